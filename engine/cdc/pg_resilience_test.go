package cdc

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// startThroughRelay creates the stream after seeding the source, copies the
// snapshot to the target, and returns the writer, how many of its
// transactions came before the stream, and the relay the capture's DSN
// goes through.
func startThroughRelay(t *testing.T, w *pgWorld) (*writer, int, *relayDSN) {
	t.Helper()
	ctx := context.Background()
	wr := newWriter(t, w.source, 1, nil)
	wr.seed(t, 40)
	snap, _, err := w.streamDef().Create(ctx, w.journal, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	if n := copyFromSnapshot(t, w, snap.Name); n != 40 {
		t.Fatalf("snapshot holds %d rows, want 40", n)
	}
	snap.Release(ctx)
	r, dsn := throughRelay(t, w.source)
	return wr, wr.txs, &relayDSN{r, dsn}
}

// applyLoop applies the stream to the target every 200ms, as catch-up does,
// until stop, which returns how many transactions it applied.
func applyLoop(t *testing.T, a *PGApplier) (stop func() int) {
	var (
		mu      sync.Mutex
		applied int
		failed  error
	)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			n, err := a.Apply(context.Background())
			mu.Lock()
			applied += n
			if err != nil && failed == nil {
				failed = err
			}
			mu.Unlock()
			select {
			case <-quit:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return func() int {
		close(quit)
		<-done
		if failed != nil {
			t.Fatalf("apply during the stream: %v", failed)
		}
		return applied
	}
}

// TestPGCaptureSurvivesCut is the acceptance's cut: the capture's
// connection goes through the loopback relay, which resets it and refuses
// every new one for 60s (TIGHTROPE_CDC_CUT overrides) while a writer keeps
// inserting, updating and deleting on the source and apply keeps catching
// up. The capture retries with backoff, resumes from the journal's
// position once the network is back, and in the end every source
// transaction is spooled exactly once (no position or xid twice, none
// missing) and the target equals the source.
func TestPGCaptureSurvivesCut(t *testing.T) {
	cut := cutFor(t)
	w := newPGWorld(t)
	ctx := context.Background()
	wr, before, relay := startThroughRelay(t, w)
	c := w.capture()
	c.DSN, c.RetryMax = relay.dsn, 2*time.Second
	var ev events
	ev.hook(c)
	stopCapture := runCapture(c)
	applier := &PGApplier{DSN: w.target, Stream: w.stream, JournalPath: w.journal.Path()}
	stopApply := applyLoop(t, applier)
	stopWriter := wr.background(t, 30*time.Millisecond)

	waitSpooled(t, w, 20, true)
	relay.r.Drop(cut)
	cutAt := time.Now()
	time.Sleep(time.Second) // a journal commit under way when the cut came may land
	during, _, _ := ReadSpooled(ctx, w.journal.Path(), w.stream)
	time.Sleep(time.Until(cutAt.Add(cut)))
	after, _, _ := ReadSpooled(ctx, w.journal.Path(), w.stream)
	if after.Count != during.Count {
		t.Fatalf("%d transactions spooled while the connection was cut", after.Count-during.Count)
	}
	time.Sleep(2 * time.Second) // the writer goes on after the network is back
	if err := stopWriter(); err != nil {
		t.Fatal(err)
	}
	want := wr.txs - before
	sp := waitSpooled(t, w, int64(want), false)
	time.Sleep(500 * time.Millisecond) // anything doubled would arrive now
	if err := stopCapture(); err != nil {
		t.Fatalf("capture: %v", err)
	}
	applied := stopApply()
	n, err := applier.Apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	applied += n

	retries, resumed := ev.counts()
	if retries == 0 || resumed != 1 {
		t.Fatalf("%d retries and %d resumptions, want retries and one resumption", retries, resumed)
	}
	_, res := ev.snapshot()
	r := res[0]
	if r.Down < cut-time.Second || r.Position != during.Resume() {
		t.Fatalf("resumed %+v: want down about %s, from the journal's position %s", r, cut, during.Resume())
	}
	t.Logf("cut %s: %d retries, resumed after %s at %s; %d transactions written during the stream, %d spooled since the cut", cut, retries, r.Down.Round(time.Millisecond), r.Position, want, sp.Count-during.Count)
	if got := checkExactlyOnce(t, w); got != want {
		t.Fatalf("journal holds %d transactions, the writer committed %d", got, want)
	}
	if applied != want {
		t.Fatalf("applied %d transactions, the writer committed %d", applied, want)
	}
	if src, dst := rowsOf(t, w.source), rowsOf(t, w.target); !slices.Equal(src, dst) {
		t.Fatalf("target differs from source: %d rows vs %d\n%s", len(dst), len(src), firstDiff(src, dst))
	}
	if got := slotConfirmed(t, w); got.String() != sp.Last {
		t.Fatalf("slot confirmed %s, journal holds up to %s", got, sp.Last)
	}
}

// TestPGCaptureSurvivesBlackholeAndTermination: a relay that silently stops
// passing bytes (nothing errors) is noticed by the silence after a status
// that asked for a reply; a walsender terminated on the server (what a
// restart does to it) is an error response. Both are replaced and the
// stream goes on exactly once.
func TestPGCaptureSurvivesBlackholeAndTermination(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	wr, before, relay := startThroughRelay(t, w)
	c := w.capture()
	c.DSN, c.RetryMax = relay.dsn, time.Second
	var ev events
	ev.hook(c)
	stopCapture := runCapture(c)
	stopWriter := wr.background(t, 20*time.Millisecond)

	waitSpooled(t, w, 10, true)
	relay.r.Blackhole(4 * time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for _, resumed := ev.counts(); resumed < 1; _, resumed = ev.counts() {
		if time.Now().After(deadline) {
			t.Fatal("the capture did not resume after the black hole")
		}
		time.Sleep(100 * time.Millisecond)
	}
	told, _ := ev.snapshot()
	retries := len(told)
	if !strings.Contains(told[0].Cause, "nothing from the source") {
		t.Fatalf("first retry's cause %q, want the silence", told[0].Cause)
	}
	sp, _, _ := ReadSpooled(ctx, w.journal.Path(), w.stream)
	waitSpooled(t, w, sp.Count+5, true)
	oldPID := activePID(t, w)
	pgExec(t, w.source, "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '"+w.stream+"' AND active_pid IS NOT NULL")
	for _, resumed := ev.counts(); resumed < 2; _, resumed = ev.counts() {
		if time.Now().After(deadline) {
			t.Fatal("the capture did not resume after its walsender was terminated")
		}
		time.Sleep(100 * time.Millisecond)
	}
	told, _ = ev.snapshot()
	all := len(told)
	// The server's FATAL 57P01 reaches the capture, or the relay resets
	// the connection first when the server closes it: either way a retry.
	if all <= retries {
		t.Fatal("no retry after the walsender was terminated")
	}
	if pid := activePID(t, w); pid == 0 || pid == oldPID {
		t.Fatalf("walsender %d after the termination of %d: want a new one streaming", pid, oldPID)
	}
	time.Sleep(500 * time.Millisecond)
	if err := stopWriter(); err != nil {
		t.Fatal(err)
	}
	want := wr.txs - before
	waitSpooled(t, w, int64(want), false)
	time.Sleep(300 * time.Millisecond)
	if err := stopCapture(); err != nil {
		t.Fatalf("capture: %v", err)
	}
	t.Logf("%d retries in all (%d for the black hole)", all, retries)
	if got := checkExactlyOnce(t, w); got != want {
		t.Fatalf("journal holds %d transactions, the writer committed %d", got, want)
	}
	if n, err := (&PGApplier{DSN: w.target, Stream: w.stream, JournalPath: w.journal.Path()}).Apply(ctx); err != nil || n != want {
		t.Fatalf("applied %d of %d: %v", n, want, err)
	}
	if src, dst := rowsOf(t, w.source), rowsOf(t, w.target); !slices.Equal(src, dst) {
		t.Fatalf("target differs from source\n%s", firstDiff(src, dst))
	}
}

// TestPGCaptureGivesUp: a cut longer than the retry budget surfaces a
// *ConnectionLostError once the budget is spent, with each attempt told,
// and the slot confirms nothing the journal does not hold.
func TestPGCaptureGivesUp(t *testing.T) {
	w := newPGWorld(t)
	wr, _, relay := startThroughRelay(t, w)
	c := w.capture()
	c.DSN, c.RetryFor, c.RetryMin, c.RetryMax = relay.dsn, 2*time.Second, 100*time.Millisecond, 400*time.Millisecond
	var ev events
	ev.hook(c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	for range 5 {
		wr.step(t)
	}
	waitSpooled(t, w, 5, false)
	relay.r.Drop(time.Minute)
	lostAt := time.Now()
	for range 5 {
		wr.step(t) // written while the stream is down: never acknowledged
	}
	err := <-done
	var lost *ConnectionLostError
	if !errors.As(err, &lost) {
		t.Fatalf("Run = %v, want a ConnectionLostError", err)
	}
	took := time.Since(lostAt)
	retries, _ := ev.counts()
	if took < 2*time.Second || took > 10*time.Second || lost.Attempts < 3 || retries != lost.Attempts {
		t.Fatalf("gave up after %s with %d attempts (%d told): want about the 2s budget, several attempts each told", took, lost.Attempts, retries)
	}
	told, _ := ev.snapshot()
	for i, r := range told {
		if r.Attempt != i+1 || r.Wait > 400*time.Millisecond {
			t.Fatalf("retry %d: %+v", i, r)
		}
	}
	sp, _, _ := ReadSpooled(context.Background(), w.journal.Path(), w.stream)
	if sp.Count != 5 || slotConfirmed(t, w).String() != sp.Last {
		t.Fatalf("journal holds %d transactions up to %s, slot confirmed %s", sp.Count, sp.Last, slotConfirmed(t, w))
	}
}

// activePID is the walsender streaming the slot (0: none).
func activePID(t *testing.T, w *pgWorld) int {
	t.Helper()
	var pid *int
	if err := pgConnect(t, w.source).QueryRow(context.Background(), "SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1", w.stream).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if pid == nil {
		return 0
	}
	return *pid
}
