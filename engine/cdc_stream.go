package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// cdcStream is one change stream the conductor runs: started by a
// cdc-start step (or, on resume, from the journal), its capture, lag
// sampler and — once a cdc-catchup step started it — its applier run in
// goroutines the conductor owns until the run ends. Everything it knows
// after a restart comes from the journal (cdc.ReadSpooled) and the
// target's applied position; the fields here are a cache of that fold.
type cdcStream struct {
	c      *Conductor
	name   string // the stream's (slot's) name
	stepID string // the cdc-start step
	from   runbooks.Connection
	dsn    string
	tables []string

	ctx    context.Context // ends at the end of the run
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{} // a transaction was spooled: the applier looks

	mu         sync.Mutex
	snapshot   string                      // the exported snapshot copies read ("" once released or lost)
	release    func(context.Context) error // ends it
	reader     func(db.DB) db.DB           // reads through the held snapshot (MariaDB), else nil
	uncopied   map[string]bool             // captured tables no copy step has read from the snapshot yet
	gone       string                      // why no snapshot is held, for the copy's log
	refetches  int                         // rows the applier read again from the source
	started    bool                        // the capture's position check passed
	spooled    string                      // last spooled position
	unapplied  []spooledTx                 // spooled, not yet on the target, in seq order
	applying   *cdcApply                   // the applier, once started
	halted     error                       // capture stopped for good (position lost, schema change)
	caughtUp   bool                        // a cdc-catchup saw the lag under its threshold
	lag        journal.CDCLagPayload       // the last sample
	sampledAt  time.Time                   // when
	history    []lagPoint                  // recent samples, for the trend
	heads      []headPoint                 // the source's log position over time, for the source lag
	warned     bool                        // a not-converging warning is out
	lastErrLog map[string]time.Time        // rate limit of repeated warnings
	reverse    bool                        // a switch's stream back to the old side: a rollback needs it
}

// spooledTx is one spooled source transaction not yet applied: its
// journal seq and source commit time.
type spooledTx struct {
	seq     int64
	at      time.Time
	changes int
}

// cdcApply is a stream's applier: its target and the step that started it.
type cdcApply struct {
	to         runbooks.Connection
	stepID     string
	cancel     context.CancelFunc
	done       chan struct{}
	seq        int64  // applied up to this journal seq
	position   string // its source position
	positioned bool   // seq and position were read from the target
	txs        int    // applied since the last cdc_applied
	changes    int
	last       time.Time // the last cdc_applied
	stopped    bool      // stopApply ended it
}

// cdcStreams are the conductor's streams, by cdc-start step id.
type cdcStreams struct {
	mu       sync.Mutex
	byStep   map[string]*cdcStream
	rollback error         // a decision on a stream's trigger rolled the run back
	failed   chan struct{} // closed when rollback is set
	closing  bool          // the walk has ended: no new trigger is raised
	raising  sync.WaitGroup
}

// beginRaise registers a stream trigger about to be raised; false once the
// walk has ended (settleStreams).
func (c *Conductor) beginRaise() bool {
	c.cdc.mu.Lock()
	defer c.cdc.mu.Unlock()
	if c.cdc.closing {
		return false
	}
	c.cdc.raising.Add(1)
	return true
}

// settleStreams, at the end of the walk, lets the stream triggers being
// raised be decided (no question is left unanswered by the run's end) and
// returns the rollback one of them decided, if any.
func (c *Conductor) settleStreams(ctx context.Context) error {
	c.cdc.mu.Lock()
	c.cdc.closing = true
	c.cdc.mu.Unlock()
	settled := make(chan struct{})
	go func() { c.cdc.raising.Wait(); close(settled) }()
	select {
	case <-settled:
	case <-ctx.Done():
		return ctx.Err()
	}
	return c.cdcFailed()
}

// StreamName is the change stream (slot) a cdc-start step of a migration
// creates: what a dry run prints and an operator drops after the run.
func StreamName(migrationID, stepID string) string { return streamName(migrationID, stepID) }

// streamName derives a stream's (slot's) name from the migration and the
// cdc-start step: stable across a resume, valid as a PostgreSQL slot name.
func streamName(migrationID, stepID string) string {
	raw := strings.ToLower(migrationID + "_" + stepID)
	name := "tr_" + regexp.MustCompile(`[^a-z0-9_]+`).ReplaceAllString(raw, "_")
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(raw))
		name = name[:54] + "_" + hex.EncodeToString(sum[:4])
	}
	return name
}

// connectionDSN is a runbook connection's DSN, read from its variable.
func connectionDSN(conn runbooks.Connection) (string, error) {
	if conn.DSNEnv == "" {
		return "", fmt.Errorf("connection %q has no dsn_env", conn.Name)
	}
	dsn := os.Getenv(conn.DSNEnv)
	if dsn == "" {
		return "", fmt.Errorf("connection %q: environment variable %s is empty or not set", conn.Name, conn.DSNEnv)
	}
	return dsn, nil
}

// stream returns the running stream of a cdc-start step.
func (c *Conductor) stream(stepID string) *cdcStream {
	c.cdc.mu.Lock()
	defer c.cdc.mu.Unlock()
	return c.cdc.byStep[stepID]
}

// streamFrom returns the running stream capturing connection from (the
// latest cdc-start step reading it), if any.
func (c *Conductor) streamFrom(from string) *cdcStream {
	c.cdc.mu.Lock()
	defer c.cdc.mu.Unlock()
	var found *cdcStream
	for _, st := range c.opts.Runbook.Steps {
		if s := c.cdc.byStep[st.ID]; s != nil && s.from.Name == from {
			found = s
		}
	}
	return found
}

// cdcFailed is the rollback a stream's trigger decided, if any: the walk
// takes it at its next safe point.
func (c *Conductor) cdcFailed() error {
	c.cdc.mu.Lock()
	defer c.cdc.mu.Unlock()
	return c.cdc.rollback
}

// cdcFailedCh is closed once a stream's trigger decided a rollback: a
// waiting step (wait) stops at once.
func (c *Conductor) cdcFailedCh() <-chan struct{} {
	c.cdc.mu.Lock()
	defer c.cdc.mu.Unlock()
	if c.cdc.failed == nil {
		c.cdc.failed = make(chan struct{})
	}
	return c.cdc.failed
}

func (c *Conductor) setCDCRollback(err error) {
	c.cdc.mu.Lock()
	if c.cdc.rollback == nil {
		c.cdc.rollback = err
		if c.cdc.failed == nil {
			c.cdc.failed = make(chan struct{})
		}
		close(c.cdc.failed)
	}
	c.cdc.mu.Unlock()
	c.stopApplying() // nothing more goes to a target the run abandons
}

// stopApplying stops every forward stream's applier (a rollback starts).
func (c *Conductor) stopApplying() {
	c.cdc.mu.Lock()
	streams := make([]*cdcStream, 0, len(c.cdc.byStep))
	for _, s := range c.cdc.byStep {
		streams = append(streams, s)
	}
	c.cdc.mu.Unlock()
	for _, s := range streams {
		s.mu.Lock()
		reverse := s.reverse
		s.mu.Unlock()
		if !reverse { // the reverse stream carries the new side's writes back: a rollback drains it
			s.stopApply()
		}
	}
}

// openStream registers a stream and starts its capture and lag sampler.
// runCtx is the run's context: the stream ends with it, or at stopCDC.
func (c *Conductor) openStream(runCtx context.Context, step runbooks.Step, from runbooks.Connection, dsn string, sp cdc.Spooled, started *cdc.Started) (*cdcStream, error) {
	c.cdc.mu.Lock()
	defer c.cdc.mu.Unlock()
	if c.cdc.byStep == nil {
		c.cdc.byStep = map[string]*cdcStream{}
	}
	if s := c.cdc.byStep[step.ID]; s != nil {
		return s, nil
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(runCtx))
	s := &cdcStream{
		c: c, name: sp.Started.Stream, stepID: step.ID, from: from, dsn: dsn, tables: sp.Started.Tables,
		ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), spooled: sp.Last, uncopied: map[string]bool{},
		lastErrLog: map[string]time.Time{},
	}
	switch {
	case started != nil && started.Snapshot != "":
		s.snapshot, s.release, s.reader = started.Snapshot, started.Release, started.Reader
		for _, t := range s.tables {
			s.uncopied[t] = true
		}
	case started != nil:
		s.gone = "the stream was created without one"
	default:
		s.gone = "it ended with the process that was stopped; this one resumed the stream from the journal"
	}
	if err := s.loadUnapplied(ctx); err != nil {
		cancel()
		return nil, err
	}
	c.cdc.byStep[step.ID] = s
	stop := context.AfterFunc(runCtx, cancel) // the run's end stops the stream
	s.wg.Go(func() { defer stop(); s.capture() })
	s.wg.Go(s.sampleLoop)
	return s, nil
}

// loadUnapplied folds the journal's spooled transactions of the stream
// after the last cdc_applied (an applier corrects it from the target's
// position, which may be further).
func (s *cdcStream) loadUnapplied(ctx context.Context) error {
	var applied int64
	err := journal.ScanDecoded(ctx, s.c.opts.Journal.Path(), func(e journal.Event, p any, err error) error {
		switch e.Type {
		case journal.CDCChanges, journal.CDCApplied:
		default:
			return nil
		}
		if err != nil {
			return err
		}
		switch x := p.(type) {
		case journal.CDCChangesPayload:
			if x.Stream == s.name {
				s.unapplied = append(s.unapplied, spooledTx{seq: e.Seq, at: x.At, changes: len(x.Changes)})
			}
		case journal.CDCAppliedPayload:
			if x.Stream == s.name {
				applied = max(applied, x.Seq)
			}
		}
		return nil
	})
	s.dropApplied(applied)
	return err
}

// stopCDC stops every stream (capture, sampler, applier) and releases any
// snapshot still exported; the run ends after it. What was spooled stays
// in the journal; a resume restarts from it.
func (c *Conductor) stopCDC() {
	c.cdc.mu.Lock()
	streams := make([]*cdcStream, 0, len(c.cdc.byStep))
	for _, s := range c.cdc.byStep {
		streams = append(streams, s)
	}
	c.cdc.byStep = nil
	c.cdc.mu.Unlock()
	for _, s := range streams {
		s.stopApply()
		s.cancel()
		s.wg.Wait()
		s.releaseSnapshot("the run ended")
	}
}

// releaseSnapshot ends the exported snapshot, once.
func (s *cdcStream) releaseSnapshot(why string) {
	s.mu.Lock()
	release, name := s.release, s.snapshot
	s.release, s.snapshot, s.reader = nil, "", nil
	if release != nil {
		s.gone = "released: " + why
	}
	s.mu.Unlock()
	if release == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := release(ctx); err != nil {
		s.c.logf(s.stepID, "warn", "stream %s: releasing snapshot %s: %v", s.name, name, err)
		return
	}
	s.c.logf(s.stepID, "info", "stream %s: snapshot %s released (%s)", s.name, name, why)
}

// capture runs the stream's capture until the stream stops, restarting it
// after a lost connection (from the journal's position, checked again).
// A lost position or a changed table shape halts it for good and raises
// its trigger.
func (s *cdcStream) capture() {
	wait := time.Second
	for {
		capt, err := cdc.NewCapture(s.from.Driver, cdc.CaptureSpec{
			DSN: s.dsn, Stream: s.name, Journal: s.c.opts.Journal, Actor: s.c.opts.Operator, StepID: s.stepID,
			OnStarted: func() {
				s.mu.Lock()
				s.started = true
				s.mu.Unlock()
			},
			OnCommitted: s.committed,
			OnRetry: func(r cdc.Retry) {
				s.c.logf(s.stepID, "warn", "stream %s: connection lost %s ago (%s) — retry %d in %s, from the journal's position",
					s.name, r.Down.Round(time.Second), safetext.Line(r.Cause), r.Attempt, r.Wait.Round(time.Millisecond))
			},
			OnResumed: func(r cdc.Resumed) {
				s.c.logf(s.stepID, "info", "stream %s: streaming again after %s down (%d attempts), from the journal's position %s",
					s.name, r.Down.Round(time.Second), r.Attempts, safetext.Line(r.Position))
			},
			OnReconnect: func(err error) {
				s.c.logf(s.stepID, "warn", "stream %s: binlog connection dropped (%s) — retry from the journal's position",
					s.name, safetext.Line(err.Error()))
			},
		})
		if err == nil {
			err = capt.Run(s.ctx)
		}
		if s.ctx.Err() != nil {
			return
		}
		var lost *cdc.PositionLostError
		var changed *cdc.SchemaChangedError
		if errors.As(err, &lost) || errors.As(err, &changed) {
			s.halt(err)
			return
		}
		s.warnEvery("capture", "stream %s: capture stopped: %v — restarting from the journal's position in %s", s.name, err, wait)
		select {
		case <-time.After(wait):
		case <-s.ctx.Done():
			return
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// committed keeps a spooled transaction for the applier and the lag.
func (s *cdcStream) committed(seq int64, tx journal.CDCChangesPayload) {
	s.mu.Lock()
	s.spooled = tx.Position
	s.unapplied = append(s.unapplied, spooledTx{seq: seq, at: tx.At, changes: len(tx.Changes)})
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// warnEvery journals a warning at most once every 30s per kind.
func (s *cdcStream) warnEvery(kind, format string, args ...any) {
	s.mu.Lock()
	due := time.Since(s.lastErrLog[kind]) >= 30*time.Second
	if due {
		s.lastErrLog[kind] = time.Now()
	}
	s.mu.Unlock()
	if due {
		s.c.logf(s.stepID, "warn", format, args...)
	}
}

// halt stops apply at the gap and raises the stream's trigger with the
// evidence; the decision-maker rolls back or continues without it. Only
// the first finding raises it: the sampler and the capture may both see
// a lost position.
func (s *cdcStream) halt(err error) {
	s.mu.Lock()
	first := s.halted == nil
	if first {
		s.halted = err
	}
	s.mu.Unlock()
	if !first {
		return
	}
	if !s.c.beginRaise() { // the walk is over: said, not asked
		s.c.logf(s.stepID, "error", "stream %s stopped as the run ended: %v", s.name, err)
		return
	}
	defer s.c.cdc.raising.Done()
	s.c.raiseStream(s.ctx, s, err)
}
