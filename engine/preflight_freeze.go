package engine

import (
	"context"
	"fmt"

	"github.com/tightrope/tightrope/engine/cutover"
	"github.com/tightrope/tightrope/runbooks"
)

// freezable checks before the first step that every freeze step could
// freeze its tables as they stand: on PostgreSQL, tightrope owns every one
// that exists. A freeze refused in the middle of the window would abort
// the switch it prepares.
func (c *Conductor) freezable(ctx context.Context) []error {
	var problems []error
	for _, step := range append(append([]runbooks.Step(nil), c.opts.Runbook.Steps...), c.opts.Runbook.Rollback...) {
		if step.Kind != runbooks.KindFreeze {
			continue
		}
		d, err := c.database(ctx, step.On)
		if err != nil {
			continue // reported by the connection check
		}
		tables, err := c.freezeTables(ctx, step)
		if err == nil {
			err = cutover.CheckOwned(ctx, d, tables)
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("step %s: %w", step.ID, err))
		}
	}
	return problems
}
