package engine

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// appliedEvery bounds how long applied transactions wait for their
// cdc_applied event while a long apply round runs.
const appliedEvery = time.Second

// startApply starts the stream's applier to connection to (once; a second
// call is a no-op). It applies every spooled transaction after the
// target's applied position, continuously, until the run ends or stopApply.
func (s *cdcStream) startApply(to runbooks.Connection, stepID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applying != nil {
		if s.applying.to.Name != to.Name {
			return fmt.Errorf("stream %s already applies to %s, not %s", s.name, s.applying.to.Name, to.Name)
		}
		return nil
	}
	dsn, err := connectionDSN(to)
	if err != nil {
		return err
	}
	a := &cdcApply{to: to, stepID: stepID, done: make(chan struct{}), last: time.Now()}
	applier, err := cdc.NewApplier(to.Driver, cdc.ApplySpec{
		DSN: dsn, Stream: s.name, JournalPath: s.c.opts.Journal.Path(),
		OnApplied: func(seq int64, position string, changes int) { s.applied(a, seq, position, changes) },
		Ready:     s.ready,
		Live:      s.liveCopied,
		Source:    s.refetchSource(),
		OnRefetched: func(seq int64, table string, key []*string, found bool) {
			s.refetched(stepID, seq, table, key, found)
		},
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(s.ctx)
	a.cancel = cancel
	s.applying = a
	s.wg.Go(func() {
		defer close(a.done)
		s.applyLoop(ctx, applier, a)
	})
	return nil
}

// ready tells the applier it may apply the next transaction: the capture
// passed its position check, nothing halted the stream, and no decision
// rolled the run back (the reverse stream of a switch applies on: a
// rollback drains it).
func (s *cdcStream) ready() bool {
	s.mu.Lock()
	ok := s.started && s.halted == nil
	reverse := s.reverse
	s.mu.Unlock()
	return ok && (reverse || s.c.cdcFailed() == nil) // a rollback needs the reverse stream
}

// applyLoop reads the target's position, then applies what is spooled
// whenever there is something, journaling cdc_applied per round.
func (s *cdcStream) applyLoop(ctx context.Context, applier cdc.Applier, a *cdcApply) {
	wait := 500 * time.Millisecond
	for {
		at, err := applier.Position(ctx)
		if err == nil {
			s.mu.Lock()
			a.seq, a.position, a.positioned = at.Seq, at.Position, true
			// Transactions the target holds (its position row commits with
			// them) but no cdc_applied records: a process stopped between
			// the target's commit and the journal's. Recorded now, so the
			// journal counts every transaction applied exactly once.
			for _, tx := range s.unapplied {
				if tx.seq > at.Seq {
					break
				}
				a.txs++
				a.changes += tx.changes
			}
			unrecorded := a.txs
			s.dropApplied(at.Seq)
			s.mu.Unlock()
			if unrecorded > 0 {
				s.c.logf(a.stepID, "info", "stream %s: %d transactions were applied on %s before the last process stopped, without their cdc_applied record: recorded now (up to seq %d)",
					s.name, unrecorded, a.to.Name, at.Seq)
				s.flushApplied(a)
			}
			break
		}
		if ctx.Err() != nil {
			return
		}
		s.warnEvery("apply", "stream %s: reading the applied position on %s: %v — retrying", s.name, a.to.Name, err)
		if !sleepCtx(ctx, wait) {
			return
		}
	}
	for {
		if s.ready() && s.pendingTxs() > 0 {
			_, err := applier.Apply(ctx)
			s.flushApplied(a)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				s.warnEvery("apply", "stream %s: apply to %s: %v — retrying in %s", s.name, a.to.Name, err, wait)
				if !sleepCtx(ctx, wait) {
					return
				}
				wait = min(2*wait, 10*time.Second)
				continue
			}
			wait = 500 * time.Millisecond
		}
		select {
		case <-s.wake:
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return
		}
	}
}

// applied records one transaction committed on the target.
func (s *cdcStream) applied(a *cdcApply, seq int64, position string, changes int) {
	s.mu.Lock()
	a.seq, a.position = seq, position
	a.txs++
	a.changes += changes
	s.dropApplied(seq)
	due := time.Since(a.last) >= appliedEvery
	s.mu.Unlock()
	if due {
		s.flushApplied(a)
	}
}

// dropApplied forgets the unapplied transactions up to seq; s.mu held.
func (s *cdcStream) dropApplied(seq int64) {
	i := 0
	for i < len(s.unapplied) && s.unapplied[i].seq <= seq {
		i++
	}
	s.unapplied = s.unapplied[i:]
}

// flushApplied journals cdc_applied for what was applied since the last.
func (s *cdcStream) flushApplied(a *cdcApply) {
	s.mu.Lock()
	p := journal.CDCAppliedPayload{Stream: s.name, Target: a.to.Name, Seq: a.seq, Position: a.position, Txs: a.txs, Changes: a.changes}
	a.txs, a.changes, a.last = 0, 0, time.Now()
	s.mu.Unlock()
	if p.Txs == 0 {
		return
	}
	if _, err := s.c.emit(s.c.opts.Operator, a.stepID, journal.CDCApplied, p); err != nil {
		s.warnEvery("journal", "stream %s: journal cdc_applied: %v", s.name, err)
	}
}

// pendingTxs counts the spooled transactions not yet applied.
func (s *cdcStream) pendingTxs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.unapplied)
}

// stopApply stops the applier (a switch step stops forward apply before it
// routes traffic); what it committed stays, with its position, and a
// started transaction is rolled back whole. The stream keeps capturing.
func (s *cdcStream) stopApply() {
	s.mu.Lock()
	a := s.applying
	s.mu.Unlock()
	if a == nil {
		return
	}
	a.cancel()
	<-a.done
	s.mu.Lock()
	a.stopped = true
	s.mu.Unlock()
}

// drain waits until every change the source had when it was called is
// applied — the capture has read the source's log up to then and the
// applier has nothing left — and then stops the applier. A switch step
// calls it with the source's writes frozen.
func (s *cdcStream) drain(ctx context.Context) error {
	s.mu.Lock()
	a, spooled := s.applying, s.spooled
	s.mu.Unlock()
	if a == nil {
		return fmt.Errorf("stream %s: nothing applies it", s.name)
	}
	if a.stopped { // drained before (a switch tried again): apply again what came since
		s.mu.Lock()
		s.applying = nil
		s.mu.Unlock()
		if err := s.startApply(a.to, a.stepID); err != nil {
			return err
		}
	}
	head, err := cdc.Sample(ctx, s.from.Driver, s.dsn, s.name, spooled)
	if err != nil {
		return err
	}
	settled := false
	for {
		if err := s.haltedErr(); err != nil {
			return err
		}
		now, err := cdc.Sample(ctx, s.from.Driver, s.dsn, s.name, spooled)
		if err != nil {
			return err
		}
		// read past the head, spooled (the capture flushes within 20ms:
		// two looks 200ms apart) and applied
		if now.Decoded >= head.Head && s.pendingTxs() == 0 {
			if settled {
				s.stopApply()
				return nil
			}
			settled = true
		} else {
			settled = false
		}
		if !sleepCtx(ctx, 200*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// haltedErr is what halted the stream's capture, if anything.
func (s *cdcStream) haltedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.halted
}

// sleepCtx sleeps d unless ctx ends first (false).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// appliedSeq is the journal seq the applier has applied up to (0: none,
// or no applier).
func (s *cdcStream) appliedSeq() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applying == nil {
		return 0
	}
	return s.applying.seq
}

// applyTarget is the connection the stream is applied to ("" when no
// applier runs or ran).
func (s *cdcStream) applyTarget() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applying == nil {
		return ""
	}
	return s.applying.to.Name
}

// liveCopied is the fold's record of the stream's tables a copy read live
// (cdc_copy_live), each with the source's log head then.
func (s *cdcStream) liveCopied() map[string]int64 {
	var live map[string]int64
	s.c.withState(func(st *journal.State) {
		for _, c := range st.CDC {
			if c.Stream == s.name {
				live = maps.Clone(c.LiveCopied)
			}
		}
	})
	return live
}

// refetchSource is the DSN an applier reads a row the live copy missed
// from again: the stream's source when it is PostgreSQL (the only source
// whose changes may leave values out).
func (s *cdcStream) refetchSource() string {
	if s.from.Driver != db.Postgres {
		return ""
	}
	return s.dsn
}

// refetched journals a row read again from the source (rare: an update
// that left values out met the live copy's rows), the first
// 20 of a stream one by one, then every 100th.
func (s *cdcStream) refetched(stepID string, seq int64, table string, key []*string, found bool) {
	s.mu.Lock()
	s.refetches++
	n := s.refetches
	s.mu.Unlock()
	if n > 20 && n%100 != 0 {
		return
	}
	what := "upserted"
	if !found {
		what = "gone from the source too: left to the stream's later changes"
	}
	k := make([]string, len(key))
	for i, v := range key {
		k[i] = "NULL"
		if v != nil {
			k[i] = safetext.Line(*v)
		}
	}
	s.c.logf(stepID, "info", "stream %s: seq %d: %s (%s): an update that left values out met the live copy's rows (missing, or its new key taken); read again from the source: %s (%d so far)",
		s.name, seq, table, strings.Join(k, ", "), what, n)
}
