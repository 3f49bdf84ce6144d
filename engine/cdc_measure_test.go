package engine

import (
	"os"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// TestCDCMeasure measures a PG→PG stream through the conductor: how fast
// the catch-up drains the backlog the bulk copy left (changes/s) and the
// lag under a steady writer afterwards. It runs only when asked:
// TIGHTROPE_CDC_MEASURE=1 go test ./engine -run TestCDCMeasure -v
func TestCDCMeasure(t *testing.T) {
	if os.Getenv("TIGHTROPE_CDC_MEASURE") == "" {
		t.Skip("set TIGHTROPE_CDC_MEASURE=1 to measure")
	}
	w := newCDCWorld(t, 50000)
	// a wait between the copy and the catch-up builds a backlog to drain
	rb := w.runbook(t, "", `  - { id: capture, kind: cdc-start, tables: [orders, customers] }
  - { id: bulk, kind: copy, tables: [orders, customers] }
  - { id: backlog, kind: wait, duration: 15s }
  - { id: catch-up, kind: cdc-catchup, lag: 2s, timeout: 5m }
  - { id: quiet, kind: manual, instructions: stop the writers }
`)
	r := startRun(t, rb, w.dir, "alice", "")
	wr := startWriter(t, w.src, 50000, time.Millisecond)
	done := runAsync(r)
	waitLong(t, r.c, "the catch-up to start", 5*time.Minute, stepIs("catch-up", journal.StatusRunning))
	caughtFrom := time.Now()
	backlog := r.c.stream("capture").pendingTxs()
	seqFrom := r.c.stream("capture").appliedSeq()
	waitLong(t, r.c, "the catch-up", 5*time.Minute, stepIs("catch-up", journal.StatusDone))
	catchup := time.Since(caughtFrom)
	seqTo := r.c.stream("capture").appliedSeq()
	steadyFrom := time.Now()
	txsBefore := wr.txs.Load()
	time.Sleep(20 * time.Second)
	steady := time.Since(steadyFrom)
	txsSteady := wr.txs.Load() - txsBefore
	wr.halt(t)
	mark := w.marker(t)
	w.waitMarker(t, mark)
	waitLong(t, r.c, "the manual step", time.Minute, pendingManual("quiet"))
	r.c.Send(Command{Kind: CmdConfirm, Actor: "alice", StepID: "quiet"})
	waitOutcome(t, done, journal.OutcomeFinished)
	sameTables(t, w)

	ev := readCDC(t, r.journal)
	checkAppliedOnce(t, w, ev)
	var changes, txs int
	for _, a := range ev.applied {
		changes, txs = changes+a.Changes, txs+a.Txs
	}
	var n, sum, peak int64
	for _, s := range ev.samples[max(0, len(ev.samples)-int(steady/lagEvery)):] {
		n, sum, peak = n+1, sum+s.LagMS, max(peak, s.LagMS)
	}
	var drained int
	for i, a := range ev.applied {
		if ev.appliedSeq[i] > 0 && a.Seq > seqFrom && a.Seq <= seqTo {
			drained += a.Changes
		}
	}
	t.Logf("backlog at catch-up start: %d transactions; caught up (lag < 2s) in %s: %d row changes applied, %.0f changes/s while the writer went on",
		backlog, catchup.Round(time.Millisecond), drained, float64(drained)/catchup.Seconds())
	t.Logf("applied in all: %d transactions, %d row changes", txs, changes)
	t.Logf("steady writer: %d transactions in %s (%.0f tx/s); lag over %d samples: mean %d ms, peak %d ms",
		txsSteady, steady.Round(time.Millisecond), float64(txsSteady)/steady.Seconds(), n, sum/max(n, 1), peak)
}
