// Package assess predicts, before a row moves, what a runbook's copy steps
// will do: the column mapping each table gets, every mapping that narrows
// or changes meaning, the exact rejects (the source read through the same
// plan, converters and cast rules the copy uses), row counts, bytes and a
// measured read rate against the objectives, and the target schema's
// state. It only reads: every connection is opened read-only at the server
// (db.OpenReadOnly).
package assess

import (
	"context"
	"fmt"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// Grades of a finding.
const (
	Blocker = journal.GradeBlocker // the copy cannot run as planned, or a trigger would fire
	Warning = journal.GradeWarning // it will run, but not as the runbook hopes
	Note    = journal.GradeNote    // worth knowing
)

// MaxExamples is how many example rows are kept per table, column and reason.
const MaxExamples = 20

// Options says what to assess and how.
type Options struct {
	Runbook *runbooks.Runbook
	BaseDir string // SQLite paths are relative to it
	Sample  Sample
	// Steps limits the assessment to these copy and snapshot steps (by
	// id); empty: every step of the runbook.
	Steps []string
	// SnapshotDir is where file snapshots go; empty: "snapshots" under
	// BaseDir.
	SnapshotDir string
	// History lists journals (runs and drills) to find the last restore
	// of each snapshotted connection in, for the restore prediction.
	History []string
	// MeasureWrite measures each copied table's write rate on a scratch
	// table created in the target and dropped again: the only write an
	// assessment may do. Without it the write rate is the last recorded
	// copy's (History), or unknown.
	MeasureWrite bool
	// Open opens a connection; nil: db.OpenReadOnly.
	Open func(ctx context.Context, c runbooks.Connection) (db.DB, error)
	// OpenWrite opens the target read-write for MeasureWrite; nil: db.Open.
	OpenWrite func(ctx context.Context, c runbooks.Connection) (db.DB, error)
	// Now is the clock (rates and durations); nil: time.Now.
	Now func() time.Time
}

// The assessment's result is the payload it journals, decoded once in
// package journal; these names are its parts.
type (
	Result         = journal.AssessmentPayload
	Finding        = journal.AssessFinding
	TableResult    = journal.AssessTable
	RejectGroup    = journal.AssessReject
	Example        = journal.AssessExample
	ColumnMap      = journal.AssessColumn
	SnapshotResult = journal.AssessSnapshot
	StepPrediction = journal.AssessPrediction
)

// add records a finding.
func (a *assessor) add(f Finding) {
	r := a.res
	r.Findings = append(r.Findings, f)
	if r.Counts == nil {
		r.Counts = map[string]int{}
	}
	r.Counts[f.Grade]++
}

// Run assesses the runbook's copy and snapshot steps. An error is returned
// only when nothing could be assessed; a table that cannot be planned is a
// blocker finding.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Open == nil {
		o.Open = func(ctx context.Context, c runbooks.Connection) (db.DB, error) {
			return db.OpenReadOnly(ctx, c, o.BaseDir)
		}
	}
	if o.OpenWrite == nil {
		o.OpenWrite = func(ctx context.Context, c runbooks.Connection) (db.DB, error) {
			return db.Open(ctx, c, o.BaseDir)
		}
	}
	a := &assessor{o: o, conns: map[string]db.DB{}, res: &Result{Sample: o.Sample.String(), Counts: map[string]int{}},
		hist: &history{paths: o.History, mig: o.Runbook.MigrationID}}
	defer a.close()
	start := o.Now()
	for _, step := range o.Runbook.Steps {
		if !a.wanted(step.ID) {
			continue
		}
		var err error
		switch step.Kind {
		case runbooks.KindCopy:
			err = a.copyStep(ctx, step)
		case runbooks.KindSnapshot:
			err = a.snapshotStep(ctx, step)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			a.add(Finding{Grade: Blocker, Step: step.ID, Message: err.Error()})
		}
	}
	a.judgeDuration()
	a.res.Elapsed = o.Now().Sub(start)
	return a.res, nil
}

// assessor holds one assessment's open connections.
type assessor struct {
	o     Options
	conns map[string]db.DB
	res   *Result
	hist  *history // Options.History, read once
}

func (a *assessor) wanted(id string) bool {
	if len(a.o.Steps) == 0 {
		return true
	}
	for _, s := range a.o.Steps {
		if s == id {
			return true
		}
	}
	return false
}

// conn opens a runbook connection once.
func (a *assessor) conn(ctx context.Context, name string) (db.DB, error) {
	if d, ok := a.conns[name]; ok {
		return d, nil
	}
	c, ok := a.o.Runbook.Connection(name)
	if !ok {
		return nil, fmt.Errorf("no connection named %q", name)
	}
	d, err := a.o.Open(ctx, c)
	if err != nil {
		return nil, err
	}
	a.conns[name] = d
	return d, nil
}

func (a *assessor) close() {
	for _, d := range a.conns {
		d.Close()
	}
}
