package engine

import (
	"context"
	"fmt"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// cdcDrained is a switch's precondition that change capture between its
// two sides has applied everything up to the freeze: nil when no stream
// runs for that pair. Until this build folds the streams' state, a
// cdc-start step of the pair that ran counts as a stream it cannot prove
// drained, and the switch does not go on.
func (c *Conductor) cdcDrained(ctx context.Context, step runbooks.Step) error {
	for _, s := range c.opts.Runbook.Steps {
		if s.Kind != runbooks.KindCDCStart || s.From != step.From || s.To != step.To {
			continue
		}
		if st := c.stepState(s.ID, false); st.Status != journal.StatusPending {
			return fmt.Errorf("change capture from %s to %s was started by step %s and this build cannot tell it has drained", step.From, step.To, s.ID)
		}
	}
	return ctx.Err()
}
