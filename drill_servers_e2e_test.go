package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// liveServerDB creates a database of its own on a test server, dropped at
// the end, runs setup in it and returns its DSN and name.
func liveServerDB(t *testing.T, driver, env string, setup ...string) (string, string) {
	t.Helper()
	base := dbtest.ServerDSN(t, env, "...")
	u := dbtest.UniqueName(t, "x")
	name := "lv_" + u[len(u)-8:]
	sqlDriver, adminDB := "mysql", ""
	if driver == db.Postgres {
		sqlDriver, adminDB = "pgx", "postgres"
	}
	admin, err := db.WithDatabase(driver, base, adminDB)
	if err != nil {
		t.Fatal(err)
	}
	a, err := sql.Open(sqlDriver, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Exec("CREATE DATABASE " + name); err != nil {
		dbtest.ServerDown(t, env, err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open(sqlDriver, admin); err == nil {
			drop := "DROP DATABASE IF EXISTS " + name
			if driver == db.Postgres {
				drop += " WITH (FORCE)"
			}
			a.Exec(drop)
			a.Close()
		}
	})
	dsn, err := db.WithDatabase(driver, base, name)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dbtest.Open(t, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	dbtest.MustExec(t, d, setup...)
	return dsn, name
}

// fingerprint is a table's row count and sums, to prove it unchanged.
func fingerprint(t *testing.T, driver, dsn, table string) string {
	t.Helper()
	d, err := dbtest.Open(t, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n, ids int64
	var prices sql.NullString
	if err := d.SQL().QueryRow(fmt.Sprintf("SELECT COUNT(*), COALESCE(SUM(id), 0), CAST(SUM(price) AS CHAR(40)) FROM %s", d.Quote(table))).Scan(&n, &ids, &prices); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d rows, ids %d, prices %s", n, ids, prices.String)
}

// clonesOf lists the databases named <name>_drill_… on a server.
func clonesOf(t *testing.T, driver, dsn, name string) []string {
	t.Helper()
	d, err := dbtest.Open(t, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	q := "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE ?"
	if driver == db.Postgres {
		q = "SELECT datname FROM pg_database WHERE datname LIKE $1"
	}
	rows, err := d.SQL().Query(q, name+"_drill_%")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// itemsServers is a live MariaDB source holding items and an empty
// PostgreSQL target, each a database of its own (liveServerDB), as the
// server drills' runbook (serverDrillRunbook) reaches them.
type itemsServers struct {
	myDSN, myName, pgDSN, pgName string
}

// newItemsServers creates the two databases, the source with n items
// inserted 2,000 to a statement.
func newItemsServers(t *testing.T, n int) itemsServers {
	t.Helper()
	var rows []string
	for i := 1; i <= n; i++ {
		rows = append(rows, fmt.Sprintf("(%d, 'item %d', %d.%02d)", i, i, i%1000, i%100))
	}
	setup := []string{"CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price DECIMAL(10,2) NOT NULL)"}
	for i := 0; i < len(rows); i += 2000 {
		setup = append(setup, "INSERT INTO items VALUES "+strings.Join(rows[i:min(i+2000, len(rows))], ", "))
	}
	var s itemsServers
	s.myDSN, s.myName = liveServerDB(t, db.MySQL, dbtest.MySQLEnv, setup...)
	s.pgDSN, s.pgName = liveServerDB(t, db.Postgres, dbtest.PostgresEnv, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price NUMERIC(10,2) NOT NULL)")
	return s
}

// env is the environment the runbook's dsn_env names are read from.
func (s itemsServers) env() []string {
	return []string{"DRILLE2E_LIVE_MY=" + s.myDSN, "DRILLE2E_LIVE_PG=" + s.pgDSN}
}

// fingerprints are the source's and the target's items fingerprints.
func (s itemsServers) fingerprints(t *testing.T) []string {
	t.Helper()
	return []string{fingerprint(t, db.MySQL, s.myDSN, "items"), fingerprint(t, db.Postgres, s.pgDSN, "items")}
}

// clones lists the drill clones left on either server.
func (s itemsServers) clones(t *testing.T) []string {
	t.Helper()
	return append(clonesOf(t, db.MySQL, s.myDSN, s.myName), clonesOf(t, db.Postgres, s.pgDSN, s.pgName)...)
}

// writeItemsRunbook writes text as items.yaml in a new folder and returns
// its path.
func writeItemsRunbook(t *testing.T, text string) string {
	t.Helper()
	rb := filepath.Join(t.TempDir(), "items.yaml")
	if err := os.WriteFile(rb, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return rb
}

const serverDrillRunbook = `version: 1
name: Items from MariaDB to PostgreSQL
migration_id: MIG-DRILL-SRV
decision_maker: dana
objectives: { rto: 5m, expected: 10m }
connections:
  source: { driver: mysql, dsn_env: DRILLE2E_LIVE_MY }
  target: { driver: postgres, dsn_env: DRILLE2E_LIVE_PG }
triggers: { verify_mismatch: 0, step_failed: true }
steps:
  - { id: snap-target, kind: snapshot, of: target }
  - { id: copy, kind: copy, tables: [items], batch: 500 }
  - { id: check, kind: verify, tables: [items] }
rollback:
  - { id: restore-target, kind: restore, snapshot: snap-target }
`

// Acceptance (MariaDB → PostgreSQL with --clone): a network drop of the
// source mid-copy; the copy retries and ends exact (or a trigger asks),
// and the scorecard says which, with times; the live databases are
// unchanged and the clones gone afterwards.
func TestDrillServersNetworkDropWithClones(t *testing.T) {
	s := newItemsServers(t, 20000)
	before := s.fingerprints(t)
	rb := writeItemsRunbook(t, serverDrillRunbook)
	env := s.env()
	out, code := tightrope(t, env, "drill", rb, "--clone", "--fault", "network-drop:source@copy:3s:rows=2000",
		"--plain", "--auto-decide", "rollback", "--as", "dana")
	t.Log(out)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"DRILL fault injected: network-drop:source@copy:3s:rows=2000", "healed     network-drop", "· PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// either the copy retried through the drop and ended exact, or a
	// trigger asked and the rollback restored the target: the scorecard
	// says which, with times
	retriedExact := strings.Contains(out, "retried    ") && strings.Contains(out, "last verify exact")
	rolledBack := strings.Contains(out, "detected   at") && strings.Contains(out, "checksums equal the snapshot manifest")
	if !retriedExact && !rolledBack {
		t.Error("the scorecard says neither that the copy retried and ended exact nor that a trigger led to a proven rollback")
	}
	after := s.fingerprints(t)
	if before[0] != after[0] || before[1] != after[1] {
		t.Errorf("a live database changed: before %v, after %v", before, after)
	}
	if c := s.clones(t); len(c) != 0 {
		t.Errorf("clones left behind: %v", c)
	}
}

// Acceptance (MariaDB → PostgreSQL with --clone): kill-mid-copy — the run
// process is killed in the copy, the drill resumes it, and it ends exact;
// the live databases are unchanged and the clones gone.
func TestDrillServersKillMidCopyWithClones(t *testing.T) {
	s := newItemsServers(t, 20000)
	before := s.fingerprints(t)
	rb := writeItemsRunbook(t, serverDrillRunbook)
	env := s.env()
	out, code := tightrope(t, env, "drill", rb, "--clone", "--fault", "kill@copy:rows=5000", "--expect", "continue",
		"--plain", "--auto-decide", "continue", "--as", "dana")
	t.Log(out)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"DRILL fault injected: kill@copy:rows=5000", "resumed    1 times from the journal", "last verify exact", "expected continue · PASS",
		"read 20000 = written 20000 + rejected 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	after := s.fingerprints(t)
	if before[0] != after[0] || before[1] != after[1] {
		t.Errorf("a live database changed: before %v, after %v", before, after)
	}
	if c := s.clones(t); len(c) != 0 {
		t.Errorf("clones left behind: %v", c)
	}
}

// Acceptance (MariaDB → PostgreSQL with --clone): corrupt-snapshot — the
// restore detects the damaged pg_dump artefact, falls back to the previous
// drill's snapshot of the same migration and connection, and proves it.
func TestDrillServersCorruptSnapshotFallsBack(t *testing.T) {
	s := newItemsServers(t, 500)
	before := s.fingerprints(t)
	rb := writeItemsRunbook(t, serverDrillRunbook)
	env := s.env()
	// the first drill: drift on the target, caught by verify, rolled back
	out, code := tightrope(t, env, "drill", rb, "--clone", "--fault", "target-drift:items:5", "--expect", "rollback", "--plain", "--auto-decide", "rollback", "--as", "dana")
	if code != 0 {
		t.Fatalf("first drill: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "detected   at") || !strings.Contains(out, "by trigger") {
		t.Errorf("the drift was not detected by a trigger:\n%s", out)
	}
	out, code = tightrope(t, env, "drill", rb, "--clone", "--fault", "corrupt-snapshot:snap-target", "--fault", "target-drift:items:5", "--expect", "rollback",
		"--plain", "--auto-decide", "rollback", "--as", "dana")
	t.Log(out)
	if code != 0 {
		t.Fatalf("second drill: exit %d", code)
	}
	for _, want := range []string{"DRILL fault injected: corrupt-snapshot:snap-target", "the restore detected it and fell back to MIG-DRILL-SRV target@",
		"(restore-target) in", "checksums equal the snapshot manifest", "expected rollback · PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	after := s.fingerprints(t)
	if before[0] != after[0] || before[1] != after[1] {
		t.Errorf("a live database changed: before %v, after %v", before, after)
	}
	if c := s.clones(t); len(c) != 0 {
		t.Errorf("clones left behind: %v", c)
	}
}

// corrupt-snapshot of a MariaDB in-server snapshot (method schema): one
// row of the snapshot database is deleted; the restore's check of its
// staged copy detects it before anything changes, and with no earlier
// snapshot left on the server the rollback fails loudly. The clone and
// every snapshot database made of it are gone afterwards.
func TestDrillServersCorruptInServerSnapshot(t *testing.T) {
	s := newItemsServers(t, 200)
	before := fingerprint(t, db.MySQL, s.myDSN, "items")
	text := strings.Replace(serverDrillRunbook, "  - { id: snap-target, kind: snapshot, of: target }\n", "  - { id: snap-target, kind: snapshot, of: target }\n  - { id: snap-source, kind: snapshot, of: source }\n", 1)
	text = strings.Replace(text, "rollback:\n", "rollback:\n  - { id: restore-source, kind: restore, snapshot: snap-source }\n", 1)
	rb := writeItemsRunbook(t, text)
	env := s.env()
	out, code := tightrope(t, env, "drill", rb, "--clone", "--fault", "corrupt-snapshot:snap-source", "--fault", "target-drift:items:3", "--expect", "rollback",
		"--plain", "--auto-decide", "rollback", "--as", "dana")
	t.Log(out)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the source's only snapshot is damaged)", code)
	}
	for _, want := range []string{"one row of items deleted in the snapshot database", "snapshot artefact is damaged", "restore restore-source is not proven", "(restore-target) in"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if fingerprint(t, db.MySQL, s.myDSN, "items") != before {
		t.Error("the live source changed")
	}
	if c := s.clones(t); len(c) != 0 {
		t.Errorf("clones or their snapshot databases left behind: %v", c)
	}
}

// overrun-150 (latency on the source through the relay): the slowed run
// passes 150% of its expected time, the overrun trigger fires, and the
// rollback restores the target, proven.
func TestDrillServersOverrun150(t *testing.T) {
	s := newItemsServers(t, 5000)
	text := strings.Replace(serverDrillRunbook, "objectives: { rto: 5m, expected: 10m }", "objectives: { rto: 5m, expected: 2s }", 1)
	text = strings.Replace(text, "triggers: { verify_mismatch: 0, step_failed: true }", "triggers: { verify_mismatch: 0, step_failed: true, overrun: 150% }", 1)
	text = strings.Replace(text, "batch: 500", "batch: 100", 1)
	rb := writeItemsRunbook(t, text)
	env := s.env()
	out, code := tightrope(t, env, "drill", rb, "--clone", "--scenario", "overrun-150", "--plain", "--auto-decide", "rollback", "--as", "dana")
	t.Log(out)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"DRILL fault injected: latency:source:50ms", "TRIGGER overrun", "by trigger", "decided    rollback", "checksums equal the snapshot manifest", "expected rollback · PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// network-blackhole: the source silently stops answering mid-copy for
// longer than the stall timeout; the stall is detected, and the copy either
// retries through to an exact end or a trigger leads to a proven rollback.
func TestDrillServersBlackhole(t *testing.T) {
	s := newItemsServers(t, 20000)
	text := strings.Replace(serverDrillRunbook, "objectives: { rto: 5m, expected: 10m }", "objectives: { rto: 5m, expected: 10m, stall_timeout: 2s }", 1)
	rb := writeItemsRunbook(t, text)
	env := s.env()
	out, code := tightrope(t, env, "drill", rb, "--clone", "--fault", "network-blackhole:source@copy:4s:10ms", "--plain", "--auto-decide", "rollback", "--as", "dana")
	t.Log(out)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	retriedExact := strings.Contains(out, "retried    ") && strings.Contains(out, "last verify exact")
	rolledBack := strings.Contains(out, "detected   at") && strings.Contains(out, "checksums equal the snapshot manifest")
	if !retriedExact && !rolledBack {
		t.Error("the scorecard says neither that the copy retried and ended exact nor that a trigger led to a proven rollback")
	}
}
