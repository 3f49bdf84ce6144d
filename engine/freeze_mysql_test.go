package engine

import (
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// TestMariaDBFreezeUndoneByTheRollback: on the throwaway MariaDB (read_only
// is global: never on the shared server), a freeze step sets read_only and
// journals the value it replaced; an ordinary account cannot write while
// the run waits; a no-go rolls back, and the rollback sets read_only back
// to what it was by itself.
func TestMariaDBFreezeUndoneByTheRollback(t *testing.T) {
	srv := cdctest.MariaDB(t)
	name := dbtest.UniqueName(t, "frz")
	name = name[:20] + name[len(name)-9:]
	dsn := srv.CreateDatabase(t, name)
	d, err := dbtest.Open(t, db.MySQL, dsn)
	if err != nil {
		t.Fatal(err)
	}
	dbtest.MustExec(t, d, "CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY)")
	t.Cleanup(func() { d.SQL().Exec("SET GLOBAL read_only = 0") })
	app, err := dbtest.Open(t, db.MySQL, srv.Account(t, name, "SELECT, INSERT"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FRZ_MY", dsn)
	r := smallRun(t, `version: 1
name: MariaDB freeze
migration_id: MIG-FRZ
decision_maker: alice
objectives: { rto: 5m, rpo: 0s, expected: 10m, window: 1h }
connections:
  source: { driver: mysql, dsn_env: FRZ_MY }
steps:
  - { id: freeze, kind: freeze, on: source }
  - { id: own, kind: sql, on: source, run: "INSERT INTO t VALUES (NULL)" }
  - { id: go, kind: gate, question: Go on? }
rollback:
  - { id: say, kind: shell, run: "true" }
`, "alice", "")
	done := runAsync(r)
	waitPending(t, r.c, journal.AwaitGate)
	if got := globalReadOnly(t, d); got != "1" {
		t.Fatalf("read_only %s while frozen", got)
	}
	if _, err := app.SQL().Exec("INSERT INTO t VALUES (NULL)"); err == nil {
		t.Fatal("an ordinary account wrote while the server was frozen")
	}
	fr := eventsOf[journal.FreezePayload](t, r.journal, journal.Freeze)
	if len(fr) != 1 || fr[0].Method != journal.FreezeReadOnly || fr[0].PrevReadOnly != "0" {
		t.Fatalf("freeze records %+v; want read_only, previously 0", fr)
	}
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceNoGo})
	waitOutcome(t, done, journal.OutcomeRolledBack)
	if got := globalReadOnly(t, d); got != "0" {
		t.Fatalf("read_only %s after the rollback, 0 before the freeze", got)
	}
	if _, err := app.SQL().Exec("INSERT INTO t VALUES (NULL)"); err != nil {
		t.Fatalf("the application after the rollback: %v", err)
	}
	if n := dbtest.Count(t, d, "t"); n != 2 {
		t.Fatalf("t has %d rows; want tightrope's own write during the freeze and the application's after", n)
	}
}

func globalReadOnly(t *testing.T, d db.DB) string {
	t.Helper()
	var v string
	if err := d.SQL().QueryRow("SELECT @@GLOBAL.read_only").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
