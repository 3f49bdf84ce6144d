package dryrun

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/runbooks"
)

// files describes every file under dir with its content's sha256.
func files(t *testing.T, dir string) string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out = append(out, fmt.Sprintf("%s %x", p, sha256.Sum256(b)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

const sqliteRunbook = `version: 1
name: sqlite dry run
migration_id: MIG-DRY
decision_maker: alice
connections:
  source: { driver: sqlite, path: src.db }
  target: { driver: sqlite, path: dst.db }
notify:
  - { on: [step], exec: ./notify.sh step }
  - { on: [rollback, finished], url: "https://example.invalid/hook" }
  - { on: [trigger, decision], exec: ./page-alice.sh }
steps:
  - { id: snap, kind: snapshot, of: target }
  - { id: prep, kind: sql, on: target, run: "CREATE TABLE audit (id integer primary key); INSERT INTO audit VALUES (1)" }
  - { id: copy, kind: copy, tables: [items], create: true, batch: 100 }
  - { id: hook, kind: shell, run: "./switch.sh 'new side'", undo: ./switch.sh old }
rollback:
  - { id: back, kind: restore, snapshot: snap }
`

// TestDryRunSQLite: every kind of line a dry run prints, from a runbook on
// two SQLite files, and not one byte changed in the directory: no
// journal, no snapshot, no created table.
func TestDryRunSQLite(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "src.db", "dst.db")
	src, err := dbtest.Open(t, db.SQLite, filepath.Join(dir, "src.db"))
	if err != nil {
		t.Fatal(err)
	}
	dbtest.MustExec(t, src, "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, price NUMERIC(10,2))", "INSERT INTO items VALUES (1, 'a', 1.5)")
	dst, err := dbtest.Open(t, db.SQLite, filepath.Join(dir, "dst.db"))
	if err != nil {
		t.Fatal(err)
	}
	dbtest.MustExec(t, dst, "CREATE TABLE other (id INTEGER PRIMARY KEY)")
	src.Close()
	dst.Close()
	path := filepath.Join(dir, "rb.yaml")
	if err := os.WriteFile(path, []byte(sqliteRunbook), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	before := files(t, dir)
	var out bytes.Buffer
	now := time.Date(2026, 12, 6, 3, 4, 5, 0, time.UTC)
	err = Print(dbtest.Ctx(t), &out, Options{Runbook: rb, Journal: filepath.Join(dir, "x.journal"), SnapshotDir: filepath.Join(dir, "snapshots"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if after := files(t, dir); after != before {
		t.Errorf("the dry run changed the directory:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	text := out.String()
	snap := filepath.Join(dir, "snapshots", "MIG-DRY-snap-20261206T030405.000Z.sqlite")
	for _, want := range []string{
		"VACUUM INTO '" + snap + "';",
		"CREATE TABLE audit (id integer primary key);", "INSERT INTO audit VALUES (1);",
		`CREATE TABLE "items" (`, `PRIMARY KEY ("id")`,
		`_tightrope_progress does not exist in target: the first batch creates it:`, `CREATE TABLE IF NOT EXISTS "_tightrope_progress" (`,
		`$ sh -c './switch.sh '\''new side'\'''`, "undo, if rolled back: $ sh -c './switch.sh old'",
		"notify (step_started): $ sh -c './notify.sh step'", "notify (step_finished): $ sh -c './notify.sh step'",
		"notify (rollback_started): POST https://example.invalid/hook", "notify (run_finished): POST https://example.invalid/hook",
		"restore of " + snap + " into target",
		"notify (trigger): $ sh -c './page-alice.sh'", "notify (decision): $ sh -c './page-alice.sh'",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("dry run lacks %q:\n%s", want, text)
		}
	}
	if i, j := strings.Index(text, "VACUUM INTO"), strings.Index(text, "CREATE TABLE audit"); i < 0 || j < i {
		t.Errorf("steps out of order:\n%s", text)
	}
}

// TestDryRunIncomplete: a part that cannot be planned (a table the source
// does not have) is said on its line and makes the dry run's result an
// error, so a script does not take a partial plan for a whole one.
func TestDryRunIncomplete(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "src.db", "dst.db")
	for _, f := range []string{"src.db", "dst.db"} {
		d, err := dbtest.Open(t, db.SQLite, filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		dbtest.MustExec(t, d, "CREATE TABLE other (id INTEGER PRIMARY KEY)")
		d.Close()
	}
	path := filepath.Join(dir, "rb.yaml")
	if err := os.WriteFile(path, []byte(sqliteRunbook), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = Print(dbtest.Ctx(t), &out, Options{Runbook: rb, Journal: filepath.Join(dir, "x.journal"), SnapshotDir: filepath.Join(dir, "snapshots")})
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(out.String(), "cannot plan this part: table items in the source") {
		t.Errorf("err %v:\n%s", err, out.String())
	}
}

// touch creates empty files, which SQLite opens as empty databases.
func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDryRunBlueGreen: the blue-green example's replicate step and
// switch say what they will do, the hooks as they will run, with no
// database reached.
func TestDryRunBlueGreen(t *testing.T) {
	rb, err := runbooks.Load("../../runbooks/examples/blue-green-postgres.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	dir := t.TempDir()
	if err := Print(dbtest.Ctx(t), &out, Options{Runbook: rb, Journal: filepath.Join(dir, "x.journal"), SnapshotDir: filepath.Join(dir, "snapshots")}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"starts PostgreSQL logical replication blue → green of accounts, orders (copy: true), freezing green as a replica; then proves green → blue can replicate back",
		"blue-green, turning replicate's replication around", "$ sh -c './route.sh green'; then unfreezes green",
		"switch back, if rolled back: the mirror image, with $ sh -c './route.sh blue'",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("dry run lacks %q:\n%s", want, text)
		}
	}
}

// TestDryRunChangeCapture: a dry run says what a cdc-start creates — the
// slot's name, as the run will name it — and what a catch-up waits for,
// without connecting.
func TestDryRunChangeCapture(t *testing.T) {
	rb, err := runbooks.Parse("cdc.yaml", []byte(`version: 1
name: Streams
migration_id: MIG-7
decision_maker: alice
connections:
  source: { driver: postgres, dsn_env: TR_DRY_UNSET_A }
  target: { driver: postgres, dsn_env: TR_DRY_UNSET_B }
steps:
  - { id: capture, kind: cdc-start, tables: [orders, customers] }
  - { id: catch-up, kind: cdc-catchup, lag: 3s, timeout: 10m }
`))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	if err := Print(dbtest.Ctx(t), &out, Options{Runbook: rb, Journal: filepath.Join(dir, "x.journal"), SnapshotDir: filepath.Join(dir, "snapshots")}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"creates publication and logical slot tr_mig_7_capture for orders, customers",
		"until the lag is under 3s (timeout 10m0s)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run lacks %q:\n%s", want, out.String())
		}
	}
}
