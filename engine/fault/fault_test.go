package fault

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

func TestParseSpecs(t *testing.T) {
	for _, ok := range []string{"bad-rows:products.rating:8000:not-integer", "bad-rows:p.price:1:precision",
		"target-drift:customers:5", "corrupt-snapshot:snap-source", "notifier-down",
		"network-drop:source@copy:10s", "network-blackhole:target@copy:5s:2s", "latency:source:50ms", "kill@copy", "kill@copy:2s",
		"kill@copy:rows=1000", "network-drop:source@copy:10s:rows=1"} {
		f, err := Parse(ok)
		if err != nil {
			t.Errorf("%s: %v", ok, err)
			continue
		}
		if f.Spec() != ok {
			t.Errorf("Spec() = %q, want %q", f.Spec(), ok)
		}
	}
	for spec, want := range map[string]string{
		"bad-rows:products:8000:not-integer":     "not TABLE.COLUMN",
		"bad-rows:products.rating:0:not-integer": "positive number",
		"bad-rows:products.rating:5:mangled":     "KIND must be one of",
		"target-drift:customers":                 "TABLE:N",
		"notifier-down:now":                      "no arguments",
		"meteor-strike":                          "unknown fault",
		"kill":                                   "want @STEP",
		"kill@copy:soon":                         "not a duration",
		"network-drop:source:10s":                "CONN@STEP:DURATION",
		"network-drop:source@copy:soon":          "not a duration",
		"latency:source":                         "CONN:DELAY",
		"kill@copy:rows=0":                       "at least 1",
		"kill@copy:rows=many":                    "whole number",
		"network-drop:source@copy:10s:rows=-5":   "at least 1",
	} {
		if _, err := Parse(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", spec, err, want)
		}
	}
}

// A kind registered twice is a programming error, caught at init.
func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("registering bad-rows twice did not panic")
		}
	}()
	register(Kind{Name: "bad-rows"})
}

// engines opens a fresh database of each engine the test servers offer.
func engines(t *testing.T) map[string]db.DB {
	t.Helper()
	out := map[string]db.DB{}
	path := filepath.Join(t.TempDir(), "f.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil { // an empty file is an empty database
		t.Fatal(err)
	}
	d, err := dbtest.Open(t, db.SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	out[db.SQLite] = d
	for driver, env := range map[string]string{db.Postgres: dbtest.PostgresEnv, db.MySQL: dbtest.MySQLEnv} {
		dsn := os.Getenv(env)
		if dsn == "" {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not set", env)
			}
			t.Logf("%s not set: %s skipped", env, driver)
			continue
		}
		d, err := dbtest.Open(t, driver, dsn)
		if err != nil {
			dbtest.ServerDown(t, env, err)
		}
		out[driver] = d
	}
	return out
}

// shopTable creates a products-like table of 10 rows with a strict shape.
func shopTable(t *testing.T, d db.DB) string {
	t.Helper()
	name := dbtest.UniqueName(t, "fault")
	q := d.Quote(name)
	dbtest.MustExec(t, d, fmt.Sprintf("CREATE TABLE %s (id INTEGER PRIMARY KEY, rating INTEGER, price DECIMAL(10,2), sku VARCHAR(20), born DATE)", q))
	t.Cleanup(func() { _, _ = d.SQL().Exec("DROP TABLE " + q) })
	for i := 1; i <= 10; i++ {
		dbtest.MustExec(t, d, fmt.Sprintf("INSERT INTO %s VALUES (%d, %d, %d.25, 'SKU-%d', '2020-01-%02d')", q, i, i%5, i, i, i))
	}
	return name
}

func countWhere(t *testing.T, d db.DB, table, where string) int64 {
	t.Helper()
	var n int64
	if err := d.SQL().QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s", d.Quote(table), where)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// bad-rows writes each kind of bad value into exactly N rows on every
// engine, widening the column where the engine's type cannot hold it.
func TestBadRowsEveryEngine(t *testing.T) {
	ctx := dbtest.Ctx(t)
	for driver, d := range engines(t) {
		t.Run(driver, func(t *testing.T) {
			cases := []struct {
				column, kind, where string
				widens              bool
			}{
				{"rating", NotInteger, "CAST(rating AS CHAR(10)) = 'N/A'", true},
				{"price", Precision, "price <> ROUND(price, 2)", true},
				{"sku", TooLong, "LENGTH(sku) > 255", true},
				{"born", BadDate, "CAST(born AS CHAR(20)) = '2026-02-30'", true},
			}
			for _, c := range cases {
				table := shopTable(t, d)
				where := c.where
				if driver == db.Postgres {
					where = strings.ReplaceAll(where, "CHAR(10)", "TEXT")
					where = strings.ReplaceAll(where, "CHAR(20)", "TEXT")
				} else if driver == db.SQLite {
					where = strings.ReplaceAll(where, "CHAR(10)", "TEXT")
					where = strings.ReplaceAll(where, "CHAR(20)", "TEXT")
				}
				n, detail, err := writeBad(ctx, d, table, c.column, c.kind, 3, 20)
				if err != nil {
					t.Fatalf("%s: %v", c.kind, err)
				}
				if n != 3 {
					t.Errorf("%s: %d rows, want 3", c.kind, n)
				}
				if got := countWhere(t, d, table, where); got != 3 {
					t.Errorf("%s: %d rows hold the bad value (%s), want 3; detail %q", c.kind, got, where, detail)
				}
				if got := countWhere(t, d, table, "1=1"); got != 10 {
					t.Errorf("%s: %d rows, want the 10 there were", c.kind, got)
				}
				widened := strings.Contains(detail, "was changed from")
				if want := driver != db.SQLite && c.widens; widened != want {
					t.Errorf("%s: detail %q: widening said %v, want %v", c.kind, detail, widened, want)
				}
			}
			table := shopTable(t, d)
			n, detail, err := writeBad(ctx, d, table, "rating", NotInteger, 50, 0)
			if err != nil || n != 10 || !strings.Contains(detail, "capped at the table's 10 rows") {
				t.Errorf("N over the table: %d rows, %q, %v; want 10, capped", n, detail, err)
			}
		})
	}
}

// target-drift changes exactly N rows of the target table.
func TestTargetDriftEveryEngine(t *testing.T) {
	ctx := dbtest.Ctx(t)
	for driver, d := range engines(t) {
		t.Run(driver, func(t *testing.T) {
			table := shopTable(t, d)
			n, detail, err := drift(ctx, d, table, 4)
			if err != nil {
				t.Fatal(err)
			}
			if n != 4 {
				t.Errorf("%d rows changed, want 4 (%s)", n, detail)
			}
			// rating was id%5; drift added 1 to the first four rows
			if got := countWhere(t, d, table, "rating <> MOD(id, 5)"); got != 4 {
				t.Errorf("%d rows differ from what was copied, want 4", got)
			}
		})
	}
}

// corrupt-snapshot damages the artefact the named step captured, so its
// digest no longer matches the manifest; other steps leave it alone.
func TestCorruptSnapshotDamagesTheArtefact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snap.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("tightrope", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	before := sum(t, path)
	f, err := Parse("corrupt-snapshot:snap")
	if err != nil {
		t.Fatal(err)
	}
	s := journal.State{Snapshots: []journal.SnapshotPayload{{Step: "snap", Label: "MIG source@t", Artefact: path}}}
	if _, ok, err := f.After(context.Background(), nil, runbooks.Step{ID: "other"}, s); ok || err != nil {
		t.Fatalf("acted after another step: %v %v", ok, err)
	}
	p, ok, err := f.After(context.Background(), nil, runbooks.Step{ID: "snap"}, s)
	if err != nil || !ok {
		t.Fatalf("did not act after its step: %v %v", ok, err)
	}
	if sum(t, path) == before {
		t.Fatal("the artefact is unchanged")
	}
	if p.Target != "MIG source@t" || !strings.Contains(p.Detail, "64 bytes") {
		t.Errorf("payload %+v", p)
	}
	s.Snapshots[0].InServer = true
	if _, _, err := f.After(context.Background(), nil, runbooks.Step{ID: "snap"}, s); err == nil {
		t.Error("an in-server snapshot of an engine other than MySQL was not refused")
	}
}

func sum(t *testing.T, path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// The injector lets each fault act once, at its moment, reports it with
// its spec, kind and time, and does not inject again what the journal
// already records (a resumed drill).
func TestInjectorActsOnceAndSkipsJournaled(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	d, err := sql.Open("sqlite", "file:"+src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec("CREATE TABLE p (id INTEGER PRIMARY KEY, rating INTEGER); INSERT INTO p VALUES (1, 1), (2, 2), (3, 3)"); err != nil {
		t.Fatal(err)
	}
	d.Close()
	rb, err := runbooks.Parse(filepath.Join(dir, "rb.yaml"), []byte(`version: 1
name: t
migration_id: T-1
decision_maker: a
connections:
  source: { driver: sqlite, path: src.db }
  target: { driver: sqlite, path: dst.db }
steps:
  - { id: copy, kind: copy, tables: [p] }
`))
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := Parse("bad-rows:p.rating:2:not-integer")
	down, _ := Parse("notifier-down")
	env := &Env{Runbook: rb, BaseDir: dir}
	in := NewInjector(env, []Fault{bad, down}, nil)
	defer in.Close()
	var got []journal.FaultPayload
	record := func(p journal.FaultPayload) { got = append(got, p) }
	in.BeforeStep(context.Background(), rb.Steps[0], journal.State{}, record)
	in.BeforeStep(context.Background(), rb.Steps[0], journal.State{}, record)
	if len(got) != 2 {
		t.Fatalf("%d faults reported, want 2 (each once): %+v", len(got), got)
	}
	if got[0].Spec != "bad-rows:p.rating:2:not-integer" || got[0].Kind != "bad-rows" || got[0].Rows != 2 || got[0].At.IsZero() {
		t.Errorf("bad-rows payload %+v", got[0])
	}
	if in.NotifyDown() == nil {
		t.Error("notifier-down does not fail notifications")
	}
	again := NewInjector(&Env{Runbook: rb, BaseDir: dir}, []Fault{bad}, []string{bad.Spec()})
	defer again.Close()
	var more []journal.FaultPayload
	again.BeforeStep(context.Background(), rb.Steps[0], journal.State{}, func(p journal.FaultPayload) { more = append(more, p) })
	if len(more) != 0 {
		t.Errorf("a journaled fault was injected again: %+v", more)
	}
}
