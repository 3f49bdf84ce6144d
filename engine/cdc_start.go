package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// cdcStart creates the step's change stream on its source — journaling
// cdc_stream_started, keeping the exported snapshot for the copy steps —
// and starts its capture, which runs until the run ends. A stream the
// journal already holds (a resumed run) is not created again: its capture
// restarts from the journal's spooled position, checked against the
// source.
func (c *Conductor) cdcStart(ctx context.Context, step runbooks.Step) error {
	from, ok := c.opts.Runbook.Connection(step.From)
	if !ok {
		return fmt.Errorf("no connection named %q", step.From)
	}
	if from.Driver == db.SQLite {
		return fmt.Errorf("connection %q is SQLite, which keeps no change log: use strategy snapshot", from.Name)
	}
	if !cdc.CanCapture(from.Driver) {
		_, err := cdc.NewCapture(from.Driver, cdc.CaptureSpec{})
		return err
	}
	if to, ok := c.opts.Runbook.Connection(step.To); ok && !cdc.CanApply(to.Driver) {
		_, err := cdc.NewApplier(to.Driver, cdc.ApplySpec{})
		return fmt.Errorf("connection %q: %w", to.Name, err)
	}
	dsn, err := connectionDSN(from)
	if err != nil {
		return err
	}
	name := streamName(c.opts.Runbook.MigrationID, step.ID)
	sp, found, err := cdc.ReadSpooled(ctx, c.opts.Journal.Path(), name)
	if err != nil {
		return err
	}
	if found {
		c.logf(step.ID, "warn", "stream %s was started by an earlier process: capture resumes from the journal (%d transactions spooled, position %s); "+
			"its exported snapshot ended with that process", name, sp.Count, sp.Resume())
		_, err := c.openStream(c.runContext(ctx), step, from, dsn, sp, nil)
		return err
	}
	tables := step.Tables
	if step.All {
		src, err := c.database(ctx, step.From)
		if err != nil {
			return err
		}
		if tables, err = c.listTables(ctx, step.ID, src); err != nil {
			return fmt.Errorf("listing the source tables: %w", err)
		}
	}
	spec := cdc.StreamSpec{Source: from.Name, DSN: dsn, Stream: name, Tables: tables}
	started, err := cdc.Create(ctx, from.Driver, spec, c.opts.Journal, c.opts.Operator, step.ID)
	if err != nil && strings.Contains(err.Error(), "already exists") && from.Driver == db.Postgres {
		if inside, ierr := c.stoppedInside(ctx, step.ID); ierr != nil {
			return ierr
		} else if inside {
			c.logf(step.ID, "warn", "stream %s: its publication or slot is on %s but not in the journal: the process stopped inside this step left them "+
				"before it could journal the stream; dropping them (no capture reads them) and creating the stream again", name, from.Name)
			if derr := (cdc.PGStream{DSN: dsn, Stream: name}).DropLeftover(ctx); derr != nil {
				return fmt.Errorf("%w (and dropping the leftovers: %v)", err, derr)
			}
			started, err = cdc.Create(ctx, from.Driver, spec, c.opts.Journal, c.opts.Operator, step.ID)
		}
	}
	if err != nil {
		if strings.Contains(err.Error(), "already exists") {
			return fmt.Errorf("%w — a stream named %s exists on %s from another run of migration %s: drop its slot and publication there, or give this run another migration_id",
				err, name, from.Name, c.opts.Runbook.MigrationID)
		}
		return err
	}
	if _, err := c.openStream(c.runContext(ctx), step, from, dsn, cdc.Spooled{Started: started.Payload}, &started); err != nil {
		if started.Release != nil {
			_ = started.Release(context.Background())
		}
		return err
	}
	held := ""
	if started.Snapshot != "" {
		held = fmt.Sprintf("; snapshot %s held for the copy steps from %s", started.Snapshot, from.Name)
	}
	c.logf(step.ID, "info", "stream %s started on %s at %s: tables %s%s", name, from.Name, started.Payload.Start, strings.Join(tables, ", "), held)
	return nil
}

// copySource is the source a copy step reads: in a stream's exported
// snapshot when the step reads captured tables from the captured
// connection and the snapshot is still held, so copy and stream meet with
// no gap and no overlap. copied is called once the copy succeeded; the
// snapshot is released when every captured table has been copied.
func (c *Conductor) copySource(step runbooks.Step, src db.DB, tables []string) (db.DB, func()) {
	s := c.streamFrom(step.From)
	if s == nil {
		return src, func() {}
	}
	captured := slices.ContainsFunc(tables, func(t string) bool { return slices.Contains(s.tables, t) })
	if !captured {
		return src, func() {}
	}
	s.mu.Lock()
	snapshot, reader, gone := s.snapshot, s.reader, s.gone
	s.mu.Unlock()
	if snapshot == "" {
		c.logf(step.ID, "warn", "stream %s: its snapshot is not held (%s): the copy reads the live tables from its checkpoints; "+
			"the stream replays every change since its start by key (upsert, delete), so the target converges once caught up", s.name, gone)
		return src, func() { s.copiedLive(step, tables, gone) }
	}
	var snap db.DB
	var err error
	if reader != nil {
		snap = reader(src) // MariaDB: the one connection holding the consistent snapshot
	} else {
		snap, err = db.ReadingSnapshot(src, snapshot)
	}
	if err != nil {
		c.logf(step.ID, "warn", "stream %s: %v: the copy reads the live tables", s.name, err)
		return src, func() { s.copiedLive(step, tables, err.Error()) }
	}
	c.logf(step.ID, "info", "reading %s in stream %s's snapshot %s: the copy ends where the stream begins", step.From, s.name, snapshot)
	return snap, func() { s.copied(tables) }
}

// copied marks tables copied from the snapshot; once every captured table
// is, the snapshot is released.
func (s *cdcStream) copied(tables []string) {
	s.mu.Lock()
	for _, t := range tables {
		delete(s.uncopied, t)
	}
	done := len(s.uncopied) == 0 && s.release != nil
	s.mu.Unlock()
	if done {
		s.releaseSnapshot("every captured table is copied")
	}
}

// copiedLive journals cdc_copy_live once a copy that read the stream's
// tables live has finished (before its step does): the decision, why, and
// the source's log head then. A change committed before that head may
// meet a row the live read no longer saw; the applier passes over it for
// these tables (cdc.ApplySpec.Live), since the live read holds its later
// state and the stream the changes after it.
func (s *cdcStream) copiedLive(step runbooks.Step, tables []string, why string) {
	var live []string
	for _, t := range tables {
		if slices.Contains(s.tables, t) {
			live = append(live, t)
		}
	}
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	s.mu.Lock()
	spooled := s.spooled
	s.mu.Unlock()
	head := int64(-1)
	if sample, err := cdc.Sample(ctx, s.from.Driver, s.dsn, s.name, spooled); err == nil && sample.Head > 0 {
		head = sample.Head
	} else if err != nil {
		s.c.logf(step.ID, "warn", "stream %s: reading the source's log head after the live copy: %v (the applier's allowance is unbounded)", s.name, err)
	}
	_, _ = s.c.emit(s.c.opts.Operator, step.ID, journal.CDCCopyLive, journal.CDCCopyLivePayload{
		Stream: s.name, Tables: live, Reason: why, Head: head,
	})
}

// stoppedInside tells whether the attempt of step before this one was
// stopped inside it: started, and never finished (a killed process), so
// what it made on the source before journaling is this run's. A failed
// attempt finished; a first attempt had none before it.
func (c *Conductor) stoppedInside(ctx context.Context, stepID string) (bool, error) {
	open, prevOpen := false, false
	err := journal.ScanDecoded(ctx, c.opts.Journal.Path(), func(e journal.Event, _ any, err error) error {
		if e.StepID != stepID {
			return nil
		}
		switch {
		case e.Type != journal.StepStarted && e.Type != journal.StepFinished:
			return nil
		case err != nil:
			return err
		case e.Type == journal.StepStarted:
			prevOpen, open = open, true
		default:
			open = false
		}
		return nil
	})
	return prevOpen, err
}
