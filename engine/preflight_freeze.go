package engine

import (
	"context"
	"fmt"

	"github.com/tightrope/tightrope/engine/cutover"
	"github.com/tightrope/tightrope/runbooks"
)

// freezable checks before the first step that every freeze step could
// freeze its tables as they stand: on PostgreSQL, tightrope owns every one
// that exists and no route around the freeze would refuse it
// (CheckBypasses); on MariaDB, it warns of the accounts read_only does
// not bind. A freeze refused in the middle of the window would abort
// the switch it prepares. A replicate step freezes both of its sides
// (green as a replica, blue at the switch): both are checked.
func (c *Conductor) freezable(ctx context.Context) []error {
	var problems []error
	for _, step := range append(append([]runbooks.Step(nil), c.opts.Runbook.Steps...), c.opts.Runbook.Rollback...) {
		if step.Kind == runbooks.KindReplicate && !step.All {
			for _, conn := range []string{step.From, step.To} {
				if d, err := c.database(ctx, conn); err == nil {
					err := cutover.CheckOwned(ctx, d, step.Tables)
					if err == nil {
						err = cutover.CheckBypasses(ctx, d, step.Tables)
					}
					if err != nil {
						problems = append(problems, fmt.Errorf("step %s on %s: %w", step.ID, conn, err))
					}
				}
			}
			continue
		}
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
		if err == nil {
			err = cutover.CheckBypasses(ctx, d, tables)
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("step %s: %w", step.ID, err))
		}
		unbound, err := cutover.Unbound(ctx, d)
		if err != nil {
			problems = append(problems, fmt.Errorf("step %s: %w", step.ID, err))
		}
		for _, w := range unbound {
			c.logf(step.ID, "warn", "pre-flight: %s", w)
		}
	}
	return problems
}
