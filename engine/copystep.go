package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// progressEvery is how often progress is sampled into the journal per table.
const progressEvery = time.Second

// minRowsForRate is how many rows a table must have read before its reject
// rate is judged (unless the table is finished), so one early bad row in a
// tiny sample does not stop the room.
const minRowsForRate = 200

// copyStep copies the step's tables and watches the reject rate.
func (c *Conductor) copyStep(ctx context.Context, step runbooks.Step) error {
	src, err := c.database(ctx, step.From)
	if err != nil {
		return err
	}
	dst, err := c.database(ctx, step.To)
	if err != nil {
		return err
	}
	if n, ok := dst.(db.Noticer); ok { // the MySQL adapter's fallback from LOAD DATA to INSERT
		n.OnNotice(func(msg string) { c.logf(step.ID, "warn", "%s", msg) })
	}
	tables := step.Tables
	if step.All {
		if tables, err = c.listTables(ctx, step.ID, src); err != nil {
			return fmt.Errorf("listing the source tables: %w", err)
		}
	}
	src, copied := c.copySource(step, src, tables) // a change stream's snapshot, when it captures these tables
	// A stalled database stops the copy (its planning reads are not
	// bounded by the batch timeout); it runs again from its checkpoints.
	var counters []copyengine.Counters
	what := "copy from " + step.From + " to " + step.To
	err = c.retryingIf(ctx, step.ID, what, isStall, func(ctx context.Context) error { // the copy retries lost connections itself
		sink := &copySink{c: c, step: step, last: map[string]time.Time{}, fresh: map[string]bool{}}
		var err error
		counters, err = guardWith(ctx, c, step.ID, what, []db.DB{src, dst}, true, func(ctx context.Context) ([]copyengine.Counters, error) {
			return copyengine.Run(ctx, src, dst, tables, step, c.copyID(step), sink)
		})
		if err != nil && sink.rollback != nil {
			return sink.rollback
		}
		return err // an overrun rollback from a safe point wraps ErrRollback itself
	})
	if err != nil {
		return err
	}
	copied()
	var read, written, rejected int64
	for _, t := range counters {
		read, written, rejected = read+t.Read, written+t.Written, rejected+t.Rejected
	}
	c.logf(step.ID, "info", "copied %d tables: read %d = written %d + rejected %d", len(counters), read, written, rejected)
	return nil
}

// copyID names this copy's checkpoints in the target: stable across a
// resume of the same run, distinct between runs.
func (c *Conductor) copyID(step runbooks.Step) string {
	id := c.opts.Runbook.MigrationID + "/" + step.ID
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.state.RunID; len(h) >= 12 {
		id += "/" + h[:12]
	}
	return id
}

// copySink journals what the copy produces and evaluates the reject-rate
// trigger after every batch.
type copySink struct {
	c        *Conductor
	step     runbooks.Step
	mu       sync.Mutex
	last     map[string]time.Time
	fresh    map[string]bool // rejects journaled since the table's last progress sample
	rollback error
	written  map[string]int64 // committed rows by table, for a drill's rows=N faults
}

func (s *copySink) Rejects(ctx context.Context, table string, rows []copyengine.Rejected) error {
	recs := make([]journal.RejectRow, len(rows))
	for i, r := range rows {
		recs[i] = journal.RejectRow{Table: table, Key: r.Key, Row: r.Row, Column: r.Column, Reason: r.Reason, Detail: r.Detail}
	}
	recs, err := s.c.opts.Journal.NewRejects(ctx, s.step.ID, recs) // a resumed batch may be known
	if err != nil || len(recs) == 0 {
		return err
	}
	byReason := map[string]int64{}
	for _, r := range recs {
		byReason[r.Reason]++
	}
	payload := journal.RejectsPayload{
		Table: table, ByReason: byReason,
		Sample: sample(table, recs[0]),
	}
	_, err = s.c.emitFrom(func() (journal.Event, error) {
		return s.c.opts.Journal.AppendRejects(ctx, s.c.opts.Operator, s.step.ID, recs, payload)
	})
	s.mu.Lock()
	s.fresh[table] = true
	s.mu.Unlock()
	return err
}

// sample is a reject shown in its rows_rejected event: table.column, or
// the table alone for a row refused as a whole.
func sample(table string, r journal.RejectRow) string {
	if r.Column == "" {
		return table + ": " + r.Detail
	}
	return table + "." + r.Column + ": " + r.Detail
}

// Tuning passes the conductor's copy tuning (Options.Copy, its batch
// bound from the runbook's stall timeout) to the copier.
func (s *copySink) Tuning() copyengine.Tuning { return s.c.copyTuning() }

func (s *copySink) Cast(table, column, from, to string, n int64) {
	_, _ = s.c.emit(s.c.opts.Operator, s.step.ID, journal.CastApplied, journal.CastPayload{
		Table: table, Column: column, From: from, To: to, Count: n,
	})
}

// Tuned journals a table's batch size and parallelism, as chosen and at
// every resize.
func (s *copySink) Tuned(t copyengine.Tune) {
	_, _ = s.c.emit(s.c.opts.Operator, s.step.ID, journal.CopyTuned, journal.CopyTunedPayload{
		Table: t.Table, Batch: t.Batch, Parallel: t.Parallel, Workers: t.Workers,
		AutoBatch: t.AutoBatch, AutoParallel: t.AutoParallel, Reason: t.Reason,
		RowBytes: t.RowBytes, TookMS: t.Took.Milliseconds(), Rows: t.Rows, TargetMS: t.Target.Milliseconds(),
	})
}

// LastTune is a table's batch size in force in this step before a restart
// (the fold's last copy_tuned of the step and table), so a resumed copy
// goes on with it.
func (s *copySink) LastTune(table string) (copyengine.Tune, bool) {
	var t copyengine.Tune
	found := false
	s.c.withState(func(st *journal.State) {
		for _, tb := range st.Tables {
			if tb.Table == table && tb.TunedStep == s.step.ID && tb.Tuning.Batch > 0 {
				p := tb.Tuning
				t = copyengine.Tune{Table: table, Batch: p.Batch, Parallel: p.Parallel, Workers: p.Workers,
					AutoBatch: p.AutoBatch, AutoParallel: p.AutoParallel, Reason: p.Reason, RowBytes: p.RowBytes}
				found = true
			}
		}
	})
	return t, found
}

func (s *copySink) Created(table string, maps []db.Mapping) {
	s.c.logf(s.step.ID, "info", "created %s in the target from the source's shape", table)
	for _, m := range maps {
		if m.Note != "" {
			s.c.logf(s.step.ID, "warn", "%s.%s: %s → %s: %s", table, m.Column, m.Source, m.Target, m.Note)
		}
	}
}

func (s *copySink) Retry(table string, attempt int, wait time.Duration, err error) {
	s.c.logf(s.step.ID, "warn", "%s: %v — retry %d in %s", table, err, attempt, wait)
}

// Hold makes a batch's rejects, write and commit one section that a
// trigger taking c.hold waits for (settle.go).
func (s *copySink) Hold() func() {
	s.c.hold.RLock()
	return s.c.hold.RUnlock
}

// Committed keeps the copy's committed counters for settleProgress.
func (s *copySink) Committed(sum func() []copyengine.Counters) {
	s.c.setTally(tally{stepID: s.step.ID, sum: sum})
}

func (s *copySink) Progress(ctx context.Context, k copyengine.Counters) error {
	if err := s.c.safePoint(ctx, s.step.ID); err != nil {
		return err
	}
	behind := false // a trigger settled this table further while this report waited
	s.c.withState(func(st *journal.State) {
		p, ok := tableProgress(st, k.Table)
		behind = ok && p.Read > k.Read
	})
	p := journal.ProgressPayload{
		Table: k.Table, Read: k.Read, Written: k.Written, Rejected: k.Rejected, Bytes: k.Bytes,
		Total: k.Total, TotalExact: k.TotalExact, ElapsedMS: k.Elapsed.Milliseconds(),
	}
	s.mu.Lock()
	// A sample is due once a second, and after any batch with rejects, so
	// the reject rate on screen is never rejects over a stale read count.
	due := k.Done || s.fresh[k.Table] || time.Since(s.last[k.Table]) >= progressEvery
	if due {
		s.last[k.Table], s.fresh[k.Table] = time.Now(), false
	}
	var committed int64
	if s.c.opts.Faults != nil {
		if s.written == nil {
			s.written = map[string]int64{}
		}
		s.written[k.Table] = max(s.written[k.Table], k.Written)
		for _, n := range s.written {
			committed += n
		}
	}
	s.mu.Unlock()
	if k.Done {
		if _, err := s.c.emit(s.c.opts.Operator, s.step.ID, journal.TableCopied, p); err != nil {
			return err
		}
	} else if due && !behind {
		if _, err := s.c.emit(s.c.opts.Operator, s.step.ID, journal.Progress, p); err != nil {
			return err
		}
	}
	if s.c.opts.Faults != nil {
		s.c.faultsCommitted(ctx, s.step, committed)
	}
	return s.checkRejectRate(ctx, k)
}

// checkRejectRate raises the reject_rate trigger for a table whose
// rejected/read ratio is over the threshold in force. A "continue" raises
// that table's threshold to the limit the decision-maker typed, or else to
// twice the rate observed.
func (s *copySink) checkRejectRate(ctx context.Context, k copyengine.Counters) error {
	if k.Read == 0 || (k.Read < minRowsForRate && !k.Done) {
		return nil
	}
	err := s.c.judge(ctx, rejectRate(s.step.ID, k.Table, k.Read, k.Rejected))
	if errors.Is(err, ErrRollback) {
		s.mu.Lock()
		s.rollback = err
		s.mu.Unlock()
	}
	return err
}

// rejectRate is the reject_rate observation of a table; with the copies
// held it is observed again from the fold, settled to what the target
// committed.
func rejectRate(stepID, table string, read, rejected int64) measure {
	rate := float64(rejected) / float64(read)
	return measure{
		trigger: runbooks.TriggerRejectRate, stepID: stepID, table: table, observed: rate,
		message: func(threshold float64) string {
			return fmt.Sprintf("reject rate of %s is %s (%d of %d rows), over the %s threshold", table, pct(rate), rejected, read, pct(threshold))
		},
		evidence: map[string]any{"table": table, "read": read, "rejected": rejected},
		recount: func(s *journal.State) measure {
			if p, ok := tableProgress(s, table); ok && p.Read > 0 {
				m := rejectRate(stepID, table, p.Read, p.Rejected)
				m.recount = nil
				return m
			}
			return rejectRate(stepID, table, read, rejected)
		},
	}
}

// pct formats a fraction as a percentage with up to three decimals.
func pct(f float64) string {
	return trimFloat(fmt.Sprintf("%.3f", f*100)) + "%"
}

func trimFloat(s string) string {
	for len(s) > 1 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}
