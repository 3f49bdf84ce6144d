package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

// TestCDCResumeMidCatchup: the run is stopped mid-catch-up while the
// writer goes on (also while no process runs); the resumed run restarts
// capture from the journal's spooled position and the applier from the
// target's, and in the end the target equals the source with every
// transaction spooled once and applied once across both processes.
func TestCDCResumeMidCatchup(t *testing.T) {
	w := newCDCWorld(t, 2000)
	rb := w.runbook(t, "", fmt.Sprintf(cdcSteps, "1ms")) // not caught up while the writer writes
	r := startRun(t, rb, w.dir, "alice", "")
	wr := startWriter(t, w.src, 2000, 2*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan string, 1)
	go func() {
		o, _ := r.c.Run(ctx)
		done <- o
	}()
	waitLong(t, r.c, "the catch-up to start", time.Minute, stepIs("catch-up", journal.StatusRunning))
	waitLong(t, r.c, "applied transactions", time.Minute, func(*journal.State) bool {
		return r.c.stream("capture") != nil && r.c.stream("capture").appliedSeq() > 0
	})
	time.Sleep(500 * time.Millisecond)
	cancel()
	waitOutcome(t, done, Interrupted)
	first := readCDC(t, r.journal)
	if len(first.applied) == 0 {
		t.Fatal("nothing applied before the interruption")
	}
	time.Sleep(time.Second) // written while no process captures

	c := resumeRun(t, r, "")
	done2 := runAsync(&demoRun{c: c})
	time.Sleep(2 * time.Second)
	wr.halt(t)
	mark := w.marker(t)
	w.waitMarker(t, mark)
	waitLong(t, c, "the manual step", time.Minute, pendingManual("quiet"))
	c.Send(Command{Kind: CmdConfirm, Actor: "alice", StepID: "quiet"})
	waitOutcome(t, done2, journal.OutcomeFinished)

	sameTables(t, w)
	ev := readCDC(t, r.journal)
	checkAppliedOnce(t, w, ev)
	if len(ev.applied) <= len(first.applied) {
		t.Fatal("the resumed run applied nothing")
	}
	if !anyLog(ev.logs, "capture resumes from the journal") {
		t.Error("the resumed run did not say it resumed the stream")
	}
	t.Logf("%d transactions spooled (%d before the stop), %d cdc_applied (%d before)", len(ev.changes), len(first.changes), len(ev.applied), len(first.applied))
}

// TestCDCLagTrigger: once caught up, the applier is held behind a lock on
// the target while the writer goes on; the lag grows, a warning says it
// stopped converging, and then the cdc_lag trigger fires with its evidence
// and (decided: roll back) the run rolls back, its applier stopped.
func TestCDCLagTrigger(t *testing.T) {
	w := newCDCWorld(t, 500)
	old := lagEvery
	lagEvery = time.Second
	t.Cleanup(func() { lagEvery = old })
	rb := w.runbook(t, "triggers: { cdc_lag: 3s }\n", `  - { id: capture, kind: cdc-start, tables: [orders, customers] }
  - { id: bulk, kind: copy, tables: [orders, customers] }
  - { id: catch-up, kind: cdc-catchup, lag: 2s, timeout: 2m }
  - { id: hold, kind: wait, duration: 2m }
`)
	r := startRun(t, rb, w.dir, "alice", journal.ChoiceRollback)
	startWriter(t, w.src, 500, 5*time.Millisecond)
	done := runAsync(r)
	waitLong(t, r.c, "the catch-up", time.Minute, stepIs("catch-up", journal.StatusDone))

	ctx := context.Background()
	lock, err := pgx.Connect(ctx, w.dst)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close(ctx)
	tx, err := lock.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE orders, customers IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	locked := time.Now()
	select {
	case o := <-done:
		if o != journal.OutcomeRolledBack {
			t.Fatalf("outcome %s, want rolled_back", o)
		}
	case <-time.After(time.Minute):
		t.Fatal("the run did not roll back on the lag")
	}
	tx.Rollback(ctx)
	ev := readCDC(t, r.journal)
	var fired *journal.TriggerPayload
	var firedSeq int64
	for i := range ev.triggers {
		if ev.triggers[i].Trigger == "cdc_lag" {
			fired, firedSeq = &ev.triggers[i], ev.triggerSeqs[i]
		}
	}
	if fired == nil {
		t.Fatalf("no cdc_lag trigger: %+v", ev.triggers)
	}
	if fired.Observed <= 3000 || fired.Threshold != 3000 || num(fired.Evidence["apply_lag_txs"]) == 0 {
		t.Errorf("trigger %+v", fired)
	}
	if fired.Observed > float64(time.Since(locked).Milliseconds()+3000) {
		t.Errorf("observed lag %gms, but the target was locked only %s ago", fired.Observed, time.Since(locked))
	}
	var warned int64
	for i, l := range ev.logs {
		if strings.Contains(l, "not converging") {
			warned = ev.logSeqs[i]
			break
		}
	}
	if warned == 0 || warned > firedSeq {
		t.Errorf("the warning that the lag stopped converging is at seq %d, the trigger at %d: want the warning first", warned, firedSeq)
	}
	t.Logf("cdc_lag fired at %gms (threshold %gms) %s after the lock", fired.Observed, fired.Threshold, time.Since(locked).Round(time.Millisecond))
}

// interruptedWithBacklog runs capture, copy and catch-up under a writer,
// holds the applier behind a target lock so that spooled transactions
// wait unapplied, and interrupts the run: the journal a resume starts
// from, and the seq applied up to.
func interruptedWithBacklog(t *testing.T) (*cdcWorld, *demoRun, int64) {
	t.Helper()
	w := newCDCWorld(t, 500)
	rb := w.runbook(t, "", `  - { id: capture, kind: cdc-start, tables: [orders, customers] }
  - { id: bulk, kind: copy, tables: [orders, customers] }
  - { id: catch-up, kind: cdc-catchup, lag: 2s, timeout: 2m }
  - { id: hold, kind: wait, duration: 2m }
`)
	r := startRun(t, rb, w.dir, "alice", "")
	wr := startWriter(t, w.src, 500, 2*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan string, 1)
	go func() {
		o, _ := r.c.Run(ctx)
		done <- o
	}()
	waitLong(t, r.c, "the catch-up", time.Minute, stepIs("catch-up", journal.StatusDone))
	lock, err := pgx.Connect(context.Background(), w.dst)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close(context.Background())
	// The applier may hold a row of one table and want the other: the lock
	// then loses a deadlock (40P01), rolled back; take it again.
	for attempt := 1; ; attempt++ {
		_, err := lock.Exec(context.Background(), "BEGIN; LOCK TABLE orders, customers IN ACCESS EXCLUSIVE MODE")
		if err == nil {
			break
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "40P01" || attempt == 5 {
			t.Fatal(err)
		}
		if _, err := lock.Exec(context.Background(), "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second)
	cancel()
	waitOutcome(t, done, Interrupted)
	if _, err := lock.Exec(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	wr.halt(t)
	before := readCDC(t, r.journal)
	applied := before.applied[len(before.applied)-1].Seq
	if last := before.changes[len(before.changes)-1].Seq; last <= applied {
		t.Fatalf("every spooled transaction was applied before the stop (up to seq %d): the test needs some waiting", last)
	}
	return w, r, applied
}

// TestCDCPositionLost: the slot is dropped between two processes, with
// spooled transactions still unapplied; the resumed run restarts the
// capture and the applier of the finished catch-up together, finds the
// slot gone, raises cdc_position_lost with the evidence, applies nothing
// (apply waits for the position check) and (decided: roll back) rolls
// back — the target's applied position is the one the first process left.
func TestCDCPositionLost(t *testing.T) {
	w, r, appliedBefore := interruptedWithBacklog(t)

	name := streamName(w.mig, "capture")
	deadline := time.Now().Add(30 * time.Second)
	for { // the first process's walsender may still hold the slot a moment
		conn, err := pgx.Connect(context.Background(), w.src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Exec(context.Background(), "SELECT pg_drop_replication_slot($1)", name)
		conn.Close(context.Background())
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("drop the slot: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	c := resumeRun(t, r, journal.ChoiceRollback)
	select {
	case o := <-runAsync(&demoRun{c: c}):
		if o != journal.OutcomeRolledBack {
			t.Fatalf("outcome %s, want rolled_back", o)
		}
	case <-time.After(time.Minute):
		t.Fatal("the resumed run did not stop on the lost position")
	}
	ev := readCDC(t, r.journal)
	var lost *journal.TriggerPayload
	for i := range ev.triggers {
		if ev.triggers[i].Trigger == "cdc_position_lost" {
			lost = &ev.triggers[i]
		}
	}
	if lost == nil {
		t.Fatalf("no cdc_position_lost trigger: %+v", ev.triggers)
	}
	evidence := fmt.Sprint(lost.Evidence["evidence"])
	if !strings.Contains(evidence, "slot "+name+" does not exist") || !strings.Contains(lost.Message, "need copying again") ||
		lost.Evidence["stream"] != name {
		t.Errorf("trigger without its evidence: %s / %v", lost.Message, lost.Evidence)
	}
	for i, seq := range ev.appliedSeq {
		if seq > ev.resumedAt {
			t.Fatalf("cdc_applied %+v after the resume: applied past a lost position", ev.applied[i])
		}
	}
	conn, err := pgx.Connect(context.Background(), w.dst)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var seq int64
	if err := conn.QueryRow(context.Background(), "SELECT journal_seq FROM _tightrope_cdc_position").Scan(&seq); err != nil {
		t.Fatal(err)
	}
	if seq != appliedBefore {
		t.Fatalf("target applied up to seq %d, the first process left it at %d", seq, appliedBefore)
	}
}

// TestCDCApplyWaitsForThePositionCheck: a stream's applier applies
// nothing until its capture has passed the position check against the
// source — so a lost position is never applied past — and everything
// spooled once it has.
func TestCDCApplyWaitsForThePositionCheck(t *testing.T) {
	w, r, appliedBefore := interruptedWithBacklog(t)
	c := resumeRun(t, r, "")
	name := streamName(w.mig, "capture")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	from, _ := r.rb.Connection("source")
	to, _ := r.rb.Connection("target")
	s := &cdcStream{c: c, name: name, stepID: "capture", from: from, dsn: w.src, tables: []string{"orders", "customers"},
		ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), uncopied: map[string]bool{}, lastErrLog: map[string]time.Time{}}
	if err := s.loadUnapplied(ctx); err != nil {
		t.Fatal(err)
	}
	backlog := s.pendingTxs()
	if err := s.startApply(to, "catch-up"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // no capture runs: the position was never checked
	if got := s.appliedSeq(); got != appliedBefore || s.pendingTxs() != backlog || backlog == 0 {
		t.Fatalf("applied up to seq %d (was %d), %d of %d waiting: applied before the position check", got, appliedBefore, s.pendingTxs(), backlog)
	}
	s.mu.Lock()
	s.started = true // what the capture's OnStarted says once the check passed
	s.mu.Unlock()
	ev := readCDC(t, r.journal)
	last := ev.changes[len(ev.changes)-1].Seq
	deadline := time.Now().Add(30 * time.Second)
	for s.appliedSeq() != last {
		if time.Now().After(deadline) {
			t.Fatalf("applied up to seq %d, the journal spooled up to %d", s.appliedSeq(), last)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stopApply()
	s.wg.Wait()
}

// TestCDCSchemaChange: a captured table changes shape on the source
// mid-stream; capture stops at the change, cdc_schema_change is raised
// with both shapes, and nothing of the new shape reaches the target.
func TestCDCSchemaChange(t *testing.T) {
	w := newCDCWorld(t, 300)
	rb := w.runbook(t, "", `  - { id: capture, kind: cdc-start, tables: [orders, customers] }
  - { id: bulk, kind: copy, tables: [orders, customers] }
  - { id: catch-up, kind: cdc-catchup, lag: 2s, timeout: 2m }
  - { id: hold, kind: wait, duration: 2m }
`)
	r := startRun(t, rb, w.dir, "alice", journal.ChoiceRollback)
	done := runAsync(r)
	waitLong(t, r.c, "the catch-up", time.Minute, stepIs("catch-up", journal.StatusDone))
	cdcExec(t, w.src, "UPDATE orders SET note = 'before' WHERE id = 1") // the stream announces orders' shape
	waitLong(t, r.c, "the first change applied", time.Minute, func(*journal.State) bool { return r.c.stream("capture").appliedSeq() > 0 })
	cdcExec(t, w.src, "ALTER TABLE orders ADD COLUMN extra text; UPDATE orders SET note = 'after', extra = 'x' WHERE id = 2")
	select {
	case o := <-done:
		if o != journal.OutcomeRolledBack {
			t.Fatalf("outcome %s, want rolled_back", o)
		}
	case <-time.After(time.Minute):
		t.Fatal("the run did not stop on the schema change")
	}
	ev := readCDC(t, r.journal)
	var fired *journal.TriggerPayload
	for i := range ev.triggers {
		if ev.triggers[i].Trigger == "cdc_schema_change" {
			fired = &ev.triggers[i]
		}
	}
	if fired == nil {
		t.Fatalf("no cdc_schema_change trigger: %+v", ev.triggers)
	}
	if fired.Evidence["table"] != "orders" || !strings.Contains(fmt.Sprint(fired.Evidence["shape_after"]), "extra") ||
		strings.Contains(fmt.Sprint(fired.Evidence["shape_before"]), "extra") {
		t.Errorf("trigger evidence %v", fired.Evidence)
	}
	for _, tx := range ev.changesP {
		for _, c := range tx.Changes {
			if c.Table == "orders" && len(c.Columns) > 5 {
				t.Fatalf("a change of the new shape was spooled: %+v", c)
			}
		}
	}
	if rows := tableRows(t, w.dst, "orders"); len(rows) < 2 || strings.Contains(rows[1], "after") {
		t.Fatalf("the change after the new shape reached the target: %v", rows[:min(2, len(rows))])
	}
}

// TestCDCResumeMidCopy: the run stops in the middle of the copy; the
// exported snapshot ended with that process, so the resumed copy reads the
// live tables from its checkpoint on, says so, and the stream's replay
// from its consistent point (by key) brings the target level with the
// source all the same.
func TestCDCResumeMidCopy(t *testing.T) {
	w := newCDCWorld(t, 30000)
	rb := w.runbook(t, "", `  - { id: capture, kind: cdc-start, tables: [orders, customers] }
  - { id: bulk, kind: copy, tables: [orders, customers], batch: 20, parallel: 1 }
  - { id: catch-up, kind: cdc-catchup, lag: 2s, timeout: 3m }
  - { id: quiet, kind: manual, instructions: stop the writers }
`)
	r := startRun(t, rb, w.dir, "alice", "")
	wr := startWriter(t, w.src, 30000, 2*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan string, 1)
	go func() {
		o, _ := r.c.Run(ctx)
		done <- o
	}()
	waitLong(t, r.c, "the copy under way", time.Minute, func(s *journal.State) bool {
		p, ok := tableProgress(s, "orders")
		return ok && p.Written > 0
	})
	cancel()
	waitOutcome(t, done, Interrupted)
	if st := stepStatus(r.c.State(), "bulk"); st == journal.StatusDone {
		t.Fatal("the copy finished before the interruption: the test needs it cut")
	}
	time.Sleep(500 * time.Millisecond) // written while no process captures

	c := resumeRun(t, r, "")
	done2 := runAsync(&demoRun{c: c})
	waitLong(t, c, "the catch-up", 3*time.Minute, stepIs("catch-up", journal.StatusDone))
	wr.halt(t)
	mark := w.marker(t)
	w.waitMarker(t, mark)
	waitLong(t, c, "the manual step", time.Minute, pendingManual("quiet"))
	c.Send(Command{Kind: CmdConfirm, Actor: "alice", StepID: "quiet"})
	waitOutcome(t, done2, journal.OutcomeFinished)

	sameTables(t, w)
	ev := readCDC(t, r.journal)
	checkAppliedOnce(t, w, ev)
	if !anyLog(ev.logs, "its snapshot is not held") {
		t.Error("the resumed copy read the live tables without saying so")
	}
}

// TestCDCDrainStopsApply: drain, called with the source's writes stopped
// (as a switch step will), returns once everything the source had is on
// the target, and stops the applier: a later source write stays there.
func TestCDCDrainStopsApply(t *testing.T) {
	w := newCDCWorld(t, 500)
	rb := w.runbook(t, "", `  - { id: capture, kind: cdc-start, tables: [orders, customers] }
  - { id: bulk, kind: copy, tables: [orders, customers] }
  - { id: catch-up, kind: cdc-catchup, lag: 2s, timeout: 2m }
  - { id: hold, kind: wait, duration: 2m }
`)
	r := startRun(t, rb, w.dir, "alice", "")
	wr := startWriter(t, w.src, 500, 2*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan string, 1)
	go func() {
		o, _ := r.c.Run(ctx)
		done <- o
	}()
	waitLong(t, r.c, "the catch-up", time.Minute, stepIs("catch-up", journal.StatusDone))
	time.Sleep(time.Second)
	wr.halt(t) // writes frozen
	dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
	defer dcancel()
	if err := r.c.stream("capture").drain(dctx); err != nil {
		t.Fatal(err)
	}
	sameTables(t, w) // at once: drained means applied
	cdcExec(t, w.src, "INSERT INTO customers VALUES (999999, 'after the drain', 'x')")
	time.Sleep(1500 * time.Millisecond)
	if rows := tableRows(t, w.dst, "customers"); len(rows) > 0 && strings.Contains(rows[len(rows)-1], "after the drain") {
		t.Fatal("a write after the drain was applied: the applier did not stop")
	}
	cancel()
	waitOutcome(t, done, Interrupted)
}
