package engine

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/journal"
)

// TestCDCSwitch: change capture feeds a switch. The application's role
// writes through capture, copy and catch-up; once its writes are frozen
// the switch's drained precondition waits until every change is on the
// target, stops forward apply, and the switch goes ahead with the target
// equal to the source. A write on the source after the switch (by its
// owner, whom a freeze does not stop) is not applied behind it.
func TestCDCSwitch(t *testing.T) {
	w := newCDCWorld(t, 2000)
	role := "w_" + strings.ToLower(w.mig[len(w.mig)-8:])
	srv := cdctest.Postgres(t)
	cdcExec(t, srv.DSN, "CREATE ROLE "+role+" LOGIN")
	cdcExec(t, w.src, "GRANT SELECT, INSERT, UPDATE, DELETE ON orders, customers TO "+role)
	t.Cleanup(func() {
		cdcExec(t, w.src, "DROP OWNED BY "+role)
		cdcExec(t, srv.DSN, "DROP ROLE "+role)
	})
	u, err := url.Parse(w.src)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	rb := w.runbook(t, "", `  - { id: capture, kind: cdc-start, tables: [orders, customers] }
  - { id: bulk, kind: copy, tables: [orders, customers] }
  - { id: catch-up, kind: cdc-catchup, lag: 2s, timeout: 2m }
  - { id: ready, kind: manual, instructions: the application stops writing }
  - { id: freeze, kind: freeze, on: source, tables: [orders, customers] }
  - { id: flip, kind: switch, run: "true", tables: [orders, customers] }
`)
	r := startRun(t, rb, w.dir, "alice", "")
	wr := startWriter(t, u.String(), 2000, 5*time.Millisecond) // paced: an unpaced writer outruns a -race applier on a loaded machine
	done := runAsync(r)
	waitLong(t, r.c, "the manual step", 3*time.Minute, pendingManual("ready"))
	wr.halt(t) // its last transactions may still be in flight: the drain must wait for them
	r.c.Send(Command{Kind: CmdConfirm, Actor: "alice", StepID: "ready"})
	waitLong(t, r.c, "the switch's go question", time.Minute, func(s *journal.State) bool {
		return s.Pending != nil && s.Pending.Kind == journal.AwaitGate && s.Pending.StepID == "flip"
	})
	sameTables(t, w) // drained: everything on the target before the go
	cdcExec(t, w.src, "INSERT INTO customers VALUES (777777, 'after the drain', 'x')")
	time.Sleep(1500 * time.Millisecond)
	if rows := tableRows(t, w.dst, "customers"); strings.Contains(rows[len(rows)-1], "after the drain") {
		t.Fatal("a source write after the drain reached the target: forward apply still runs behind the switch")
	}
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceGo})
	waitOutcome(t, done, journal.OutcomeFinished)

	var drained *journal.SwitchCheckPayload
	for _, c := range eventsOf[journal.SwitchCheckPayload](t, r.journal, journal.SwitchCheck) {
		if !c.OK {
			t.Errorf("precondition %s failed: %s", c.Check, c.Detail)
		}
		if c.Check == journal.CheckDrained {
			drained = &c
		}
	}
	if drained == nil {
		t.Fatal("no drained precondition journaled")
	}
	ev := readCDC(t, r.journal)
	if !anyLog(ev.logs, "drained into target; forward apply stopped") {
		t.Error("the switch did not drain the stream")
	}
	t.Logf("drained in %d ms: %s", drained.DurationMS, drained.Detail)
	last := ev.changes[len(ev.changes)-1]
	if ev.applied[len(ev.applied)-1].Seq >= last.Seq {
		t.Fatal("the write after the drain was applied")
	}
	var prev int64
	txs := 0
	for _, a := range ev.applied {
		if a.Seq <= prev {
			t.Fatalf("cdc_applied up to seq %d after %d: applied twice", a.Seq, prev)
		}
		prev, txs = a.Seq, txs+a.Txs
	}
	if txs != len(ev.changes)-1 {
		t.Fatalf("applied %d transactions, spooled %d of which all but the write after the drain belong on the target", txs, len(ev.changes))
	}
}
