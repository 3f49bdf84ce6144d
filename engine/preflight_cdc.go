package engine

import (
	"context"
	"fmt"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/runbooks"
)

// cdcCapturable checks before the first step that every cdc-start step's
// source can be captured as it stands (MariaDB: MyPreflight — log_bin,
// ROW format, FULL row image and metadata, retention, grants): a setting
// found wrong in the middle of the window would stop the run after the
// copy. The driver's own text names each statement or my.cnf line to
// change.
func (c *Conductor) cdcCapturable(ctx context.Context) []error {
	var problems []error
	for _, step := range c.opts.Runbook.Steps {
		if step.Kind != runbooks.KindCDCStart {
			continue
		}
		from, ok := c.opts.Runbook.Connection(step.From)
		if !ok || !cdc.CanCapture(from.Driver) {
			continue // Check reports it
		}
		dsn, err := connectionDSN(from)
		if err != nil {
			continue // reported by the connection check
		}
		tables := step.Tables
		if step.All {
			src, err := c.database(ctx, step.From)
			if err != nil {
				continue
			}
			if tables, err = c.listTables(ctx, step.ID, src); err != nil {
				problems = append(problems, fmt.Errorf("step %s: listing the tables of %s: %w", step.ID, step.From, err))
				continue
			}
		}
		if err := cdc.Preflight(ctx, from.Driver, dsn, tables); err != nil {
			problems = append(problems, fmt.Errorf("step %s: change capture from %s cannot start: %w", step.ID, step.From, err))
		}
	}
	return problems
}
