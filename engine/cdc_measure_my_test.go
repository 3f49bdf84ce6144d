package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// TestCDCMeasureMariaDB measures a MariaDB → PostgreSQL stream through the
// conductor: how fast the catch-up drains the backlog a wait after the
// copy left (changes/s) and the lag under a steady writer afterwards. It
// runs only when asked:
// TIGHTROPE_CDC_MEASURE=1 go test ./engine -run TestCDCMeasureMariaDB -v
func TestCDCMeasureMariaDB(t *testing.T) {
	if os.Getenv("TIGHTROPE_CDC_MEASURE") == "" {
		t.Skip("set TIGHTROPE_CDC_MEASURE=1 to measure")
	}
	w := newMyWorld(t, 50000)
	text := fmt.Sprintf(`version: 1
name: measure
migration_id: %s
decision_maker: alice
strategy: cdc
connections:
  source: { driver: mysql, dsn_env: %s }
  target: { driver: postgres, dsn_env: %s }
steps:
  - { id: capture, kind: cdc-start, tables: [orders, customers] }
  - { id: bulk, kind: copy, tables: [orders, customers] }
  - { id: backlog, kind: wait, duration: 15s }
  - { id: catch-up, kind: cdc-catchup, lag: 2s, timeout: 5m }
  - { id: quiet, kind: manual, instructions: stop the writers }
`, w.mig, w.srcEnv, w.dstEnv)
	path := filepath.Join(w.dir, "rb.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := startRun(t, rb, w.dir, "alice", "")
	wr := startMyWriter(t, w.app, 50000, time.Millisecond)
	done := runAsync(r)
	waitLong(t, r.c, "the catch-up to start", 5*time.Minute, stepIs("catch-up", journal.StatusRunning))
	from := time.Now()
	backlog := r.c.stream("capture").pendingTxs()
	seqFrom := r.c.stream("capture").appliedSeq()
	waitLong(t, r.c, "the catch-up", 5*time.Minute, stepIs("catch-up", journal.StatusDone))
	catchup := time.Since(from)
	seqTo := r.c.stream("capture").appliedSeq()
	steadyFrom, txsBefore := time.Now(), wr.txs.Load()
	time.Sleep(20 * time.Second)
	steady, txsSteady := time.Since(steadyFrom), wr.txs.Load()-txsBefore
	wr.halt(t)
	w.eventually(t, time.Minute, "the target never caught up after the writer stopped")
	waitLong(t, r.c, "the manual step", time.Minute, pendingManual("quiet"))
	r.c.Send(Command{Kind: CmdConfirm, Actor: "alice", StepID: "quiet"})
	waitOutcome(t, done, journal.OutcomeFinished)

	ev := readCDC(t, r.journal)
	checkStreamAppliedOnce(t, ev, streamName(w.mig, "capture"), "target")
	var drained int
	for _, a := range ev.applied {
		if a.Seq > seqFrom && a.Seq <= seqTo {
			drained += a.Changes
		}
	}
	var n, sum, peak int64
	for _, s := range ev.samples[max(0, len(ev.samples)-int(steady/lagEvery)):] {
		n, sum, peak = n+1, sum+s.LagMS, max(peak, s.LagMS)
	}
	t.Logf("backlog at catch-up start: %d transactions; caught up (lag < 2s) in %s: %d row changes applied, %.0f changes/s while the writer went on",
		backlog, catchup.Round(time.Millisecond), drained, float64(drained)/catchup.Seconds())
	t.Logf("steady writer: %d transactions in %s (%.0f tx/s); lag over %d samples: mean %d ms, peak %d ms",
		txsSteady, steady.Round(time.Millisecond), float64(txsSteady)/steady.Seconds(), n, sum/max(n, 1), peak)
}
