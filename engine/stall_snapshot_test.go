package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// holedMySQLDatabase is holedServer for a database of the test's own (a
// snapshot takes a whole database), holding table t of 500 rows; the
// database and its snapshots are dropped when the test ends.
func holedMySQLDatabase(t *testing.T) *blackHole {
	t.Helper()
	dsn, admin := server(t, db.MySQL)
	name := dbtest.UniqueName(t, "stl")[:40]
	dbtest.MustExec(t, admin, "CREATE DATABASE "+name)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = name
	hole := startBlackHole(t, cfg.Addr)
	through := cfg.Clone()
	through.Addr = hole.addr()
	t.Setenv("TIGHTROPE_STALL_TARGET", through.FormatDSN())
	t.Cleanup(func() {
		hole.close() // first end the server sessions the hole keeps open
		rows, err := admin.SQL().Query("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE ?", name+"%")
		if err != nil {
			t.Error(err)
			return
		}
		var names []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			names = append(names, n)
		}
		rows.Close()
		for _, n := range names {
			admin.SQL().Exec("DROP DATABASE IF EXISTS `" + n + "`")
		}
	})
	d, err := dbtest.Open(t, db.MySQL, cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]any, 500)
	for i := range rows {
		rows[i] = []any{i + 1, i * 7}
	}
	dbtest.MustExec(t, d, "CREATE TABLE t (id integer PRIMARY KEY, n integer)")
	dbtest.InsertRows(t, d, "t", []string{"id", "n"}, rows)
	return hole
}

// TestStallDuringMySQLSnapshotIsDetected: the network goes silent as an
// in-server snapshot of a MySQL/MariaDB database starts; the stall is
// noticed within the stall timeout, retried, and reported.
func TestStallDuringMySQLSnapshotIsDetected(t *testing.T) {
	hole := holedMySQLDatabase(t)
	r := smallRun(t, stallHeader(db.MySQL)+`steps:
  - { id: ready, kind: gate, question: "snapshot now?" }
  - { id: snap, kind: snapshot, of: target }
`, "alice", "")
	seedSQLite(t, r.dir)
	r.c.opts.Copy = copyengine.Tuning{Retries: 1, RetryWait: 100 * time.Millisecond}
	h := runHoledAtGate(t, r, hole)
	if h.outcome != journal.OutcomeFailed || h.err == nil || !strings.Contains(h.err.Error(), "stopped answering") {
		t.Fatalf("outcome %q after %s, err %v", h.outcome, h.took, h.err)
	}
	retried, ok := logAt(r.c.State(), "snap", "retry 1")
	if !ok || retried.Sub(h.holed) > 3*time.Second {
		t.Errorf("the stall was not noticed within the stall timeout (2s): retry logged %v, %s after the hole", ok, retried.Sub(h.holed))
	}
	if h.took > 8*time.Second {
		t.Errorf("the stall took %s to surface", h.took)
	}
	t.Logf("black hole during a MySQL snapshot: noticed after %s, failed after %s: %v",
		retried.Sub(h.holed).Round(time.Millisecond), h.took.Round(time.Millisecond), h.err)
}

// TestStallDuringMySQLRestoreIsDetected: a snapshot is taken, then the
// network goes silent as its restore starts; the stall is reported within
// the stall timeout (a restore is not run again on its own).
func TestStallDuringMySQLRestoreIsDetected(t *testing.T) {
	hole := holedMySQLDatabase(t)
	r := smallRun(t, stallHeader(db.MySQL)+`steps:
  - { id: snap, kind: snapshot, of: target }
  - { id: ready, kind: gate, question: "restore now?" }
  - { id: back, kind: restore, snapshot: snap }
`, "alice", "")
	seedSQLite(t, r.dir)
	r.c.opts.Copy = copyengine.Tuning{Retries: 1, RetryWait: 100 * time.Millisecond}
	h := runHoledAtGate(t, r, hole)
	if h.outcome != journal.OutcomeFailed || h.err == nil || !strings.Contains(h.err.Error(), "stopped answering") {
		t.Fatalf("outcome %q after %s, err %v", h.outcome, h.took, h.err)
	}
	if st := stepStatus(r.c.State(), "snap"); st != journal.StatusDone {
		t.Fatalf("the snapshot step: %s", st)
	}
	if h.took > 4*time.Second {
		t.Errorf("the stall took %s to surface (stall timeout 2s)", h.took)
	}
	t.Logf("black hole during a MySQL restore: failed after %s: %v", h.took.Round(time.Millisecond), h.err)
}
