package main

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/snapshot"
	"github.com/tightrope/tightrope/journal"
)

// tightropeIn runs the binary with stdin.
func tightropeIn(t *testing.T, env []string, stdin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}

// schemaExists tells whether the MySQL server has a database name.
func schemaExists(t *testing.T, dsn, name string) bool {
	t.Helper()
	d, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// progressTableIn tells whether the database behind dsn has the progress
// table in its current schema.
func progressTableIn(t *testing.T, driver, dsn string) bool {
	t.Helper()
	d, err := sql.Open(map[string]string{db.Postgres: "pgx", db.MySQL: "mysql"}[driver], dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	q := "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
	if driver == db.MySQL {
		q = "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?"
	}
	var n int
	if err := d.QueryRow(q, db.ProgressTable).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestCleanupAfterTheExample: after the MariaDB → PostgreSQL example
// finished, cleanup lists the target's checkpoints table, a restore
// staging database left on MariaDB, and the in-server snapshot (kept: a
// restore could still need it); refuses while the journal's lease is held;
// removes nothing unless told yes; then removes exactly what it listed,
// and the snapshot (with its manifest) only with --drop-snapshots.
func TestCleanupAfterTheExample(t *testing.T) {
	shopMy, shopPG := exampleDatabases(t)
	env := []string{"SHOP_MYSQL_DSN=" + shopMy, "SHOP_PG_DSN=" + shopPG}
	dir := t.TempDir()
	j := filepath.Join(dir, "m2p.journal")
	out, code := tightrope(t, env, "run", "runbooks/examples/mysql-to-postgres.yaml", "--plain", "--auto-decide", "continue", "--as", "alice", "--journal", j)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	state := foldJournal(t, j)
	var snap journal.SnapshotPayload
	for _, m := range state.Snapshots {
		if m.InServer {
			snap = m
		}
	}
	if snap.Artefact == "" || !schemaExists(t, shopMy, snap.Artefact) || !progressTableIn(t, db.Postgres, shopPG) {
		t.Fatalf("the run left no in-server snapshot or no checkpoints: %+v", state.Snapshots)
	}
	live := shopMy[strings.LastIndex(shopMy, "/")+1:]
	staging := live + "__rst_18c0ffee"
	execOn(t, "mysql", shopMy, "CREATE DATABASE "+staging)
	unrelated := live + "x__rst_18c0ffee" // another database's staging: not ours
	execOn(t, "mysql", shopMy, "CREATE DATABASE "+unrelated)
	t.Cleanup(func() { execOn(t, "mysql", shopMy, "DROP DATABASE IF EXISTS "+unrelated) })

	lease, err := journal.AcquireLease(j, journal.LeaseOptions{Operator: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	out, code = tightropeIn(t, env, "yes\n", "cleanup", j, "--yes")
	expect(t, out, code, 1, "held by", "bob")
	lease.Release()

	out, code = tightropeIn(t, env, "no\n", "cleanup", j)
	expect(t, out, code, 1,
		"remove  table "+db.ProgressTable+" on target", "4 checkpoints of this run",
		"remove  database "+staging+" on source",
		"keep    in-server snapshot database "+snap.Artefact, "a restore could still need it",
		"Type yes to remove the 2 items above", "nothing was removed")
	if strings.Contains(out, unrelated) {
		t.Errorf("cleanup lists another database's staging database:\n%s", out)
	}
	if !progressTableIn(t, db.Postgres, shopPG) || !schemaExists(t, shopMy, staging) {
		t.Fatal("cleanup removed something without a yes")
	}

	out, code = tightropeIn(t, env, "yes\n", "cleanup", j)
	expect(t, out, code, 0, "done    dropped "+db.ProgressTable+" on target", "done    dropped database "+staging)
	if progressTableIn(t, db.Postgres, shopPG) || schemaExists(t, shopMy, staging) {
		t.Errorf("after cleanup: progress table or staging database left:\n%s", out)
	}
	if !schemaExists(t, shopMy, snap.Artefact) || !schemaExists(t, shopMy, unrelated) {
		t.Fatalf("cleanup dropped the snapshot or another database's staging without being told:\n%s", out)
	}

	manifests, _ := filepath.Glob(filepath.Join(dir, "snapshots", "*"+snapshot.ManifestSuffix))
	out, code = tightrope(t, env, "cleanup", j, "--yes", "--drop-snapshots")
	expect(t, out, code, 0, "done    dropped database "+snap.Artefact+" and its manifest")
	if schemaExists(t, shopMy, snap.Artefact) {
		t.Error("--drop-snapshots left the snapshot database")
	}
	after, _ := filepath.Glob(filepath.Join(dir, "snapshots", "*"+snapshot.ManifestSuffix))
	if len(after) != len(manifests)-1 {
		t.Errorf("manifests before %v, after %v", manifests, after)
	}
	out, code = tightrope(t, env, "cleanup", j, "--yes")
	expect(t, out, code, 0, "nothing to remove")
}

// TestCleanupAfterRollback: a run rolled back by a verified restore no
// longer needs its in-server snapshot; cleanup drops it without
// --drop-snapshots.
func TestCleanupAfterRollback(t *testing.T) {
	shopMy, shopPG := exampleDatabases(t)
	env := []string{"SHOP_MYSQL_DSN=" + shopMy, "SHOP_PG_DSN=" + shopPG}
	j := filepath.Join(t.TempDir(), "m2p.journal")
	out, code := tightrope(t, env, "run", "runbooks/examples/mysql-to-postgres.yaml", "--plain", "--auto-decide", "rollback", "--as", "alice", "--journal", j)
	if code != 3 {
		t.Fatalf("exit %d, want 3:\n%s", code, out)
	}
	var snap string
	for _, m := range foldJournal(t, j).Snapshots {
		if m.InServer {
			snap = m.Artefact
		}
	}
	out, code = tightrope(t, env, "cleanup", j, "--yes")
	expect(t, out, code, 0, "done    dropped database "+snap)
	if schemaExists(t, shopMy, snap) {
		t.Error("the snapshot of a verified rollback was kept")
	}
}

// TestCleanupRefusesARunThatHasNotEnded: a journal without run_finished
// belongs to a run that can be resumed from its checkpoints.
func TestCleanupRefusesARunThatHasNotEnded(t *testing.T) {
	j := filepath.Join(t.TempDir(), "open.journal")
	text := "version: 1\nname: Open\nmigration_id: MIG-OPEN\ndecision_maker: alice\nsteps:\n  - { id: m, kind: manual }\n"
	s, err := journal.Create(j, journal.RunStartedPayload{RunbookText: text, RunbookPath: "open.yaml", Operator: "alice", Mode: journal.ModeLive}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	out, code := tightrope(t, nil, "cleanup", j, "--yes")
	expect(t, out, code, 1, "has not ended", "tightrope resume")
}

func foldJournal(t *testing.T, path string) journal.State {
	t.Helper()
	events, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	return journal.Fold(events)
}

// TestCleanupKeepsOtherRunsCheckpoints: two runs copy into one target
// (PostgreSQL, MariaDB); cleaning up the first deletes only its own
// checkpoints and keeps the table for the second; cleaning up the second
// drops the table.
func TestCleanupKeepsOtherRunsCheckpoints(t *testing.T) {
	for _, driver := range []string{db.Postgres, db.MySQL} {
		t.Run(driver, func(t *testing.T) {
			s := freshServer(t, driver)
			dir := t.TempDir()
			src := openSQLite(t, filepath.Join(dir, "src.db"))
			for _, tbl := range []string{"a", "b"} {
				mustExec(t, src, "CREATE TABLE "+tbl+" (id INTEGER PRIMARY KEY, v TEXT)")
				mustExec(t, src, "INSERT INTO "+tbl+" VALUES (1, 'x'), (2, 'y'), (3, 'z')")
			}
			env := []string{s.dsnEnv + "=" + s.dsn}
			var journals []string
			for _, tbl := range []string{"a", "b"} {
				rb := filepath.Join(dir, tbl+".yaml")
				os.WriteFile(rb, []byte(`version: 1
name: Two runs
migration_id: MIG-CLEAN
decision_maker: alice
connections:
  source: { driver: sqlite, path: src.db }
  target: { driver: `+driver+`, dsn_env: `+s.dsnEnv+` }
steps:
  - { id: copy, kind: copy, tables: [`+tbl+`], create: true }
`), 0o644)
				j := filepath.Join(dir, tbl+".journal")
				out, code := tightrope(t, env, "run", rb, "--plain", "--as", "alice", "--auto-decide", "continue", "--journal", j)
				if code != 0 {
					t.Fatalf("run %s: exit %d\n%s", tbl, code, out)
				}
				journals = append(journals, j)
			}
			out, code := tightrope(t, env, "cleanup", journals[0], "--yes")
			expect(t, out, code, 0, "remove  1 checkpoints of this run in "+db.ProgressTable, "with 1 checkpoints of other runs",
				"done    deleted this run's checkpoints")
			if !progressTableIn(t, driver, s.dsn) {
				t.Fatal("cleanup of the first run dropped the second run's checkpoints")
			}
			out, code = tightrope(t, env, "cleanup", journals[0], "--yes")
			expect(t, out, code, 0, "nothing to remove")
			out, code = tightrope(t, env, "cleanup", journals[1], "--yes")
			expect(t, out, code, 0, "remove  table "+db.ProgressTable, "done    dropped "+db.ProgressTable)
			if progressTableIn(t, driver, s.dsn) {
				t.Error("the progress table is still there")
			}
		})
	}
}
