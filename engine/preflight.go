package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/tightrope/tightrope/engine/snapshot"
	"github.com/tightrope/tightrope/runbooks"
)

// ErrPreflight marks the error of a run that failed its pre-flight: before
// the first step, nothing changed anywhere.
var ErrPreflight = errors.New("pre-flight")

// preflight checks, before the first step of a new run, what would
// otherwise fail in the middle of the window: this build can run the
// runbook (Check), every connection opens, no copy or verify reads and
// writes one database under two names, the disks have room for the
// journal and the snapshots, every snapshot step's native
// tool is there, new enough, and can write its artefact, every freeze
// could freeze its tables, and every cdc-start's source can be captured. All problems are
// reported at once.
func (c *Conductor) preflight(ctx context.Context) error {
	var problems []error
	if err := Check(c.opts.Runbook); err != nil {
		problems = append(problems, err)
	}
	for _, conn := range c.opts.Runbook.Connections {
		if !c.uses(conn.Name) {
			continue
		}
		if _, err := c.database(ctx, conn.Name); err != nil {
			problems = append(problems, err)
		}
	}
	problems = append(problems, c.sameDatabase(ctx)...)
	problems = append(problems, c.diskSpace(ctx)...)
	problems = append(problems, c.freezable(ctx)...)
	problems = append(problems, c.cdcCapturable(ctx)...)
	for _, step := range append(append([]runbooks.Step(nil), c.opts.Runbook.Steps...), c.opts.Runbook.Rollback...) {
		if step.Kind != runbooks.KindSnapshot {
			continue
		}
		d, err := c.database(ctx, step.Of)
		if err != nil {
			continue // reported above
		}
		if err := snapshot.PreflightDir(ctx, d, step.Method, c.opts.SnapshotDir); err != nil {
			problems = append(problems, fmt.Errorf("step %s: %w", step.ID, err))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %w", ErrPreflight, errors.Join(problems...))
	}
	return nil
}

// uses tells whether any step names the connection (directly or as the
// default source/target of a copy or verify).
func (c *Conductor) uses(name string) bool {
	for _, list := range [][]runbooks.Step{c.opts.Runbook.Steps, c.opts.Runbook.Rollback} {
		for _, s := range list {
			if s.On == name || s.Of == name || s.From == name || s.To == name {
				return true
			}
		}
	}
	return false
}
