// Package journalgen writes large, realistic journals for benchmarks and
// scale tests: a run of many steps whose event mix is a real run's (step
// events and log lines, progress samples per table, reject batches with
// their rows, casts, triggers with their decisions, gates, notes,
// notifications, warnings, a verify), written through the journal's own
// append API so the hash chain and the reject digests are real.
package journalgen

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// Spec sizes a generated run.
type Spec struct {
	Events  int // total events, about (at least the fixed events of the run)
	Steps   int // runbook steps (the last one is a verify)
	Tables  int // copied tables, one copy step each
	Rejects int // reject rows, spread over the tables in batches
}

// Result is what Generate wrote.
type Result struct {
	Events   int64 // events in the journal
	Progress int64 // progress samples among them
	Rejects  int64 // reject rows
}

// rejectBatch is how many reject rows one rows_rejected event binds.
const rejectBatch = 100

// flushEvery is how many events one AppendBatch transaction writes.
const flushEvery = 5000

// Generate creates a journal at path holding a finished run sized by spec.
// It is deterministic: the same spec gives the same events (the clock
// starts at a fixed time), hence the same chain.
func Generate(ctx context.Context, path string, spec Spec) (Result, error) {
	spec = spec.normal()
	text := RunbookText(spec)
	if _, err := runbooks.Parse("scale.yaml", []byte(text)); err != nil {
		return Result{}, fmt.Errorf("journalgen: the generated runbook does not parse: %w", err)
	}
	var dry counter
	plan := &run{spec: spec, out: &dry}
	if err := plan.walk(0); err != nil {
		return Result{}, err
	}
	samples := max(spec.Events-1-int(dry.events), 0) // 1: run_started

	w := &writer{ctx: ctx}
	w.now = time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)
	store, err := journal.Create(path, journal.RunStartedPayload{
		RunbookText: text, RunbookPath: "scale.yaml", ToolVersion: "journalgen", Operator: "lead", Mode: journal.ModeLive,
	}, "lead", journal.WithClock(w.clock))
	if err != nil {
		return Result{}, err
	}
	w.store = store
	w.events = 1
	r := &run{spec: spec, out: w}
	err = r.walk(samples)
	if err == nil {
		err = w.flush()
	}
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	return Result{Events: w.events, Progress: int64(samples), Rejects: w.rows}, err
}

func (s Spec) normal() Spec {
	s.Steps = max(s.Steps, 2)
	s.Tables = min(max(s.Tables, 1), s.Steps-1)
	return s
}

// RunbookText is the runbook of a generated run: Tables copy steps spread
// among shell steps, a gate every 100 steps, a verify last, and a rollback.
func RunbookText(spec Spec) string {
	spec = spec.normal()
	var b strings.Builder
	b.WriteString(`version: 1
name: Scale rehearsal
migration_id: MIG-SCALE
decision_maker: lead
objectives: { rto: 30m, rpo: 0s, expected: 200h, window: 300h }
strategy: snapshot
connections:
  source: { driver: sqlite, path: source.db }
  target: { driver: sqlite, path: target.db }
triggers:
  reject_rate: 5%
  step_failed: true
steps:
`)
	for i := range spec.Steps - 1 {
		switch kind := stepKind(spec, i); kind {
		case "copy":
			fmt.Fprintf(&b, "  - { id: %s, title: Copy %s, kind: copy, tables: [%s] }\n", stepID(i), tableName(spec, i), tableName(spec, i))
		case "gate":
			fmt.Fprintf(&b, "  - { id: %s, kind: gate, question: Carry on after step %d? }\n", stepID(i), i)
		default:
			fmt.Fprintf(&b, "  - { id: %s, title: Housekeeping %d, kind: shell, run: \"true\" }\n", stepID(i), i)
		}
	}
	b.WriteString("  - { id: check, title: Verify every table, kind: verify, tables: [")
	for t := range spec.Tables {
		if t > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "t%03d", t)
	}
	b.WriteString("] }\nrollback:\n  - { id: back, title: Point the app back, kind: shell, run: \"true\" }\n")
	return b.String()
}

func stepID(i int) string { return fmt.Sprintf("s%04d", i) }

// copyEvery spaces the copy steps evenly among the steps.
func copyEvery(spec Spec) int { return max((spec.Steps-1)/spec.Tables, 1) }

func stepKind(spec Spec, i int) string {
	switch {
	case i%copyEvery(spec) == 0 && i/copyEvery(spec) < spec.Tables:
		return "copy"
	case i%100 == 99:
		return "gate"
	}
	return "shell"
}

func tableName(spec Spec, i int) string { return fmt.Sprintf("t%03d", i/copyEvery(spec)) }

// sink receives the run's events: counted in a dry run, written for real.
type sink interface {
	event(d journal.Draft, after time.Duration) error
	rejects(stepID string, rows []journal.RejectRow, p journal.RejectsPayload, after time.Duration) error
}

// counter counts what a walk would write.
type counter struct{ events int64 }

func (c *counter) event(journal.Draft, time.Duration) error { c.events++; return nil }
func (c *counter) rejects(string, []journal.RejectRow, journal.RejectsPayload, time.Duration) error {
	c.events++
	return nil
}

// writer appends through the store, batching events into transactions
// and stamping each with its own simulated time.
type writer struct {
	ctx    context.Context
	store  *journal.Store
	now    time.Time
	times  []time.Time // stamps of the queued events, in order
	queue  []journal.Draft
	events int64
	rows   int64
}

// clock hands the store the stamp of the next event it writes.
func (w *writer) clock() time.Time {
	if len(w.times) == 0 {
		return w.now
	}
	t := w.times[0]
	w.times = w.times[1:]
	return t
}

func (w *writer) event(d journal.Draft, after time.Duration) error {
	w.now = w.now.Add(after)
	w.times = append(w.times, w.now)
	w.queue = append(w.queue, d)
	w.events++
	if len(w.queue) >= flushEvery {
		return w.flush()
	}
	return nil
}

func (w *writer) rejects(stepID string, rows []journal.RejectRow, p journal.RejectsPayload, after time.Duration) error {
	if err := w.flush(); err != nil {
		return err
	}
	w.now = w.now.Add(after)
	w.times = append(w.times, w.now)
	if _, err := w.store.AppendRejects(w.ctx, "engine", stepID, rows, p); err != nil {
		return err
	}
	w.events++
	w.rows += int64(len(rows))
	return nil
}

func (w *writer) flush() error {
	if len(w.queue) == 0 {
		return nil
	}
	_, err := w.store.AppendBatch(w.ctx, w.queue)
	w.queue = w.queue[:0]
	return err
}

// run walks the plan of a generated run into a sink.
type run struct {
	spec    Spec
	out     sink
	rejects int // reject rows written so far
	trigs   int // triggers fired so far
}

// walk emits the whole run with samples progress events over the tables.
func (r *run) walk(samples int) error {
	spec := r.spec
	for i := range spec.Steps - 1 {
		if err := r.step(i, samples); err != nil {
			return err
		}
	}
	if err := r.verify(); err != nil {
		return err
	}
	return r.out.event(journal.Draft{Actor: "engine", Type: journal.RunFinished,
		Payload: journal.RunFinishedPayload{Outcome: journal.OutcomeFinished, DurationMS: 1}}, time.Second)
}

func (r *run) emit(stepID string, typ journal.Type, p any, after time.Duration) error {
	return r.out.event(journal.Draft{Actor: "engine", StepID: stepID, Type: typ, Payload: p}, after)
}

func (r *run) step(i, samples int) error {
	id, kind := stepID(i), stepKind(r.spec, i)
	if err := r.emit(id, journal.StepStarted, journal.StepStartedPayload{Kind: kind, Title: "step " + id}, 200*time.Millisecond); err != nil {
		return err
	}
	for l := range 3 {
		line := fmt.Sprintf("step %s: line %d of its output, %d rows touched", id, l, i*37+l)
		if err := r.emit(id, journal.Log, journal.LogPayload{Stream: "stdout", Line: line}, 50*time.Millisecond); err != nil {
			return err
		}
	}
	switch kind {
	case "copy":
		if err := r.copy(id, tableName(r.spec, i), i/copyEvery(r.spec), samples); err != nil {
			return err
		}
	case "gate":
		if err := r.ask(id, journal.AwaitGate, "Carry on?", "", journal.ChoiceGo, ""); err != nil {
			return err
		}
	}
	if i%100 == 50 {
		if err := r.out.event(journal.Draft{Actor: "bob", StepID: id, Type: journal.Note,
			Payload: journal.NotePayload{Text: "checked the dashboards at step " + id + ": all quiet"}}, time.Second); err != nil {
			return err
		}
	}
	if i%250 == 125 {
		if err := r.emit(id, journal.Warning, journal.WarningPayload{Kind: "window", Message: "the window closes in less time than the remaining steps are expected to take"}, 0); err != nil {
			return err
		}
	}
	return r.emit(id, journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusDone, DurationMS: 350}, 100*time.Millisecond)
}

// ask emits a question, its answer and the notification of the answer.
func (r *run) ask(id, kind, question, trigger, choice, why string) error {
	if err := r.emit(id, journal.Awaiting, journal.AwaitingPayload{Kind: kind, Question: question, Choices: []string{choice, journal.ChoiceRollback}, Who: "lead"}, 0); err != nil {
		return err
	}
	if err := r.out.event(journal.Draft{Actor: "lead", StepID: id, Type: journal.Decision, Payload: journal.DecisionPayload{
		Kind: kind, Choice: choice, Trigger: trigger, Justification: why,
	}}, 45*time.Second); err != nil {
		return err
	}
	return r.emit(id, journal.Notified, journal.NotifiedPayload{Event: journal.Decision, Target: "notify-room.sh", OK: true, DurationMS: 120}, 0)
}

// copy emits one table's copy: progress samples about once a second, its
// share of the rejects in batches, a cast, a reject-rate trigger on the
// first tables, and table_copied.
func (r *run) copy(id, table string, t, samples int) error {
	n := samples / r.spec.Tables
	if t == 0 {
		n += samples % r.spec.Tables
	}
	rejects := r.spec.Rejects / r.spec.Tables
	if t == 0 {
		rejects += r.spec.Rejects % r.spec.Tables
	}
	total := int64(max(n, 1)) * 5000
	var read, rejected int64
	batches := (rejects + rejectBatch - 1) / rejectBatch
	every := max(n/max(batches, 1), 1) // samples between two reject batches
	progress := func() journal.ProgressPayload {
		return journal.ProgressPayload{Table: table, Read: read, Written: read - rejected, Rejected: rejected,
			Bytes: read * 180, Total: total, TotalExact: true, ElapsedMS: read / 5}
	}
	left := rejects
	for k := range n {
		read = min(read+5000, total)
		if k%every == every-1 && left > 0 {
			b := min(left, rejectBatch)
			if err := r.rejectBatch(id, table, b); err != nil {
				return err
			}
			left -= b
			rejected += int64(b)
		}
		if err := r.emit(id, journal.Progress, progress(), time.Second); err != nil {
			return err
		}
	}
	for left > 0 { // fewer samples than batches
		b := min(left, rejectBatch)
		if err := r.rejectBatch(id, table, b); err != nil {
			return err
		}
		left -= b
		rejected += int64(b)
	}
	read = max(read, rejected)
	if err := r.emit(id, journal.CastApplied, journal.CastPayload{Table: table, Column: "created_at", From: "0000-00-00", To: "NULL", Count: 12}, 0); err != nil {
		return err
	}
	if t < 3 && rejected > 0 {
		r.trigs++
		if err := r.emit(id, journal.TriggerFired, journal.TriggerPayload{
			Trigger: runbooks.TriggerRejectRate, Table: table, Observed: 0.07, Threshold: 0.05,
			Message: "reject rate 7% over the 5% limit", Evidence: map[string]any{"rejected": rejected, "read": read},
		}, 0); err != nil {
			return err
		}
		if err := r.ask(id, journal.AwaitTrigger, "Reject rate over the limit: continue or roll back?", runbooks.TriggerRejectRate,
			journal.ChoiceContinue, "the rejected rows are test accounts, cleaned up later"); err != nil {
			return err
		}
	}
	p := progress()
	p.Read, p.Written, p.Total = read, read-rejected, read
	return r.emit(id, journal.TableCopied, p, time.Second)
}

// reasons are the reject reasons a generated run meets, with their column.
var reasons = []struct{ reason, column, value string }{
	{"not_a_number", "amount", `N/A`},
	{"too_long", "email", strings.Repeat("x", 300) + "@example.com"},
	{"null_in_not_null", "customer_id", ""},
	{"out_of_range", "quantity", "99999999999"},
}

func (r *run) rejectBatch(id, table string, n int) error {
	rows := make([]journal.RejectRow, n)
	byReason := map[string]int64{}
	for k := range rows {
		r.rejects++
		why := reasons[r.rejects%len(reasons)]
		row := map[string]any{
			"id": r.rejects, "customer_id": r.rejects % 9973, "email": fmt.Sprintf("user%d@example.com", r.rejects),
			"amount": "12.50", "quantity": 3, "created_at": "2025-11-02 10:00:00",
		}
		if why.value == "" {
			row[why.column] = nil
		} else {
			row[why.column] = why.value
		}
		rows[k] = journal.RejectRow{Table: table, Key: map[string]any{"id": r.rejects}, Row: row, Column: why.column,
			Reason: why.reason, Detail: fmt.Sprintf("column %s: %s does not fit", why.column, why.reason)}
		byReason[why.reason]++
	}
	return r.out.rejects(id, rows, journal.RejectsPayload{Table: table, ByReason: byReason,
		Sample: fmt.Sprintf("%d rows of %s rejected", n, table)}, 200*time.Millisecond)
}

// verify is the last step: started, one verify_result, finished.
func (r *run) verify() error {
	const id = "check"
	if err := r.emit(id, journal.StepStarted, journal.StepStartedPayload{Kind: "verify", Title: "Verify every table"}, time.Second); err != nil {
		return err
	}
	var p journal.VerifyPayload
	for t := range r.spec.Tables {
		name := fmt.Sprintf("t%03d", t)
		p.Tables = append(p.Tables, journal.TableCheck{Table: name, SourceRows: 1000, TargetRows: 1000, SourceChecksum: "ab", TargetChecksum: "ab"})
	}
	if err := r.emit(id, journal.VerifyResult, p, 30*time.Second); err != nil {
		return err
	}
	return r.emit(id, journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusDone, DurationMS: 30000}, 0)
}
