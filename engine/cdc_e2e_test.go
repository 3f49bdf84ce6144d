package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// waitLong is waitState with a longer patience, for streams.
func waitLong(t *testing.T, c *Conductor, what string, d time.Duration, ok func(*journal.State) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := c.waitFor(ctx, ok); err != nil {
		t.Fatalf("waited %s in vain for %s", d, what)
	}
}

func stepIs(id, status string) func(*journal.State) bool {
	return func(s *journal.State) bool {
		st, _ := s.StepByID(id)
		return st.Status == status
	}
}

func pendingManual(id string) func(*journal.State) bool {
	return func(s *journal.State) bool {
		return s.Pending != nil && s.Pending.Kind == journal.AwaitManual && s.Pending.StepID == id
	}
}

const cdcSteps = `  - { id: capture, kind: cdc-start, tables: [orders, customers] }
  - { id: bulk, kind: copy, tables: [orders, customers], batch: 100 }
  - { id: catch-up, kind: cdc-catchup, lag: %s, timeout: 3m }
  - { id: quiet, kind: manual, instructions: stop the writers }
`

// TestCDCPostgresToPostgres: cdc-start, a copy and a catch-up while a
// writer inserts, updates and deletes on the source the whole time. The
// copy reads the slot's exported snapshot — it copied exactly the rows the
// source held at the slot's consistent point — the applier keeps the
// target current after the catch-up, and at the end the target equals the
// source row for row with every spooled transaction applied exactly once.
func TestCDCPostgresToPostgres(t *testing.T) {
	w := newCDCWorld(t, 3000)
	rb := w.runbook(t, "", fmt.Sprintf(cdcSteps, "2s"))
	r := startRun(t, rb, w.dir, "alice", "")
	wr := startWriter(t, w.src, 3000, 2*time.Millisecond)
	started := time.Now()
	done := runAsync(r)
	waitLong(t, r.c, "the catch-up", 3*time.Minute, stepIs("catch-up", journal.StatusDone))
	time.Sleep(1500 * time.Millisecond) // the writer goes on; the applier keeps up after the step
	wr.halt(t)
	mark := w.marker(t)
	w.waitMarker(t, mark)
	elapsed := time.Since(started)
	waitLong(t, r.c, "the manual step", 10*time.Second, pendingManual("quiet"))
	r.c.Send(Command{Kind: CmdConfirm, Actor: "alice", StepID: "quiet"})
	waitOutcome(t, done, journal.OutcomeFinished)

	sameTables(t, w)
	ev := readCDC(t, r.journal)
	checkAppliedOnce(t, w, ev)
	if len(ev.started) != 1 || ev.started[0].Snapshot == "" {
		t.Fatalf("cdc_stream_started: %+v", ev.started)
	}
	for _, table := range []string{"orders", "customers"} {
		want := snapshotRows(t, w, ev, table)
		if got := ev.tableCopied[table].Read; got != want {
			t.Errorf("the copy read %d rows of %s, the source held %d at the slot's consistent point: the copy did not read the stream's snapshot", got, table, want)
		}
	}
	if !anyLog(ev.logs, "snapshot "+ev.started[0].Snapshot+" released") {
		t.Error("the snapshot was never released after the copy")
	}
	if len(ev.samples) == 0 {
		t.Error("no cdc_lag_sample while the stream ran")
	}
	changes := 0
	for _, a := range ev.applied {
		changes += a.Changes
	}
	t.Logf("writer: %d transactions in %s; stream: %d spooled, %d cdc_applied events, %d row changes applied; %d lag samples (last %+v)",
		wr.txs.Load(), elapsed.Round(time.Millisecond), len(ev.changes), len(ev.applied), changes, len(ev.samples), ev.samples[len(ev.samples)-1])
}

func anyLog(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}
