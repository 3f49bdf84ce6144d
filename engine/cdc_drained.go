package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// drainWithin is the least a switch (or a rollback) waits for a stream to
// drain once the writing side is frozen; see drainBound.
var drainWithin = 2 * time.Minute

// drainBound is how long a switch waits for a stream to drain: its
// timeout, else the larger of the stall timeout and drainWithin.
func (c *Conductor) drainBound(step runbooks.Step) time.Duration {
	if step.Timeout > 0 {
		return step.Timeout
	}
	return max(c.stall(), drainWithin)
}

// cdcDrained is a switch's precondition that change capture between its
// two sides has applied everything up to the freeze: every stream a
// cdc-start step of the pair started is drained (cdcStream.drain: read
// past the source's head as of now, everything spooled applied) and its
// applier stopped, so forward apply never writes behind the switch. nil
// when no stream of the pair ran; a stream that ran but does not run in
// this process, or has no applier to the switch's target, cannot be
// proven drained and stops the switch.
func (c *Conductor) cdcDrained(ctx context.Context, step runbooks.Step) error {
	for _, s := range c.opts.Runbook.Steps {
		if s.Kind != runbooks.KindCDCStart || s.From != step.From || s.To != step.To {
			continue
		}
		if st := c.stepState(s.ID, false); st.Status == journal.StatusPending {
			continue
		}
		stream := c.stream(s.ID)
		if stream == nil {
			return fmt.Errorf("change capture from %s to %s was started by step %s and does not run in this process: nothing proves it drained", step.From, step.To, s.ID)
		}
		if to := stream.applyTarget(); to != step.To {
			return fmt.Errorf("change capture from %s (step %s) is not applied to %s (no cdc-catchup step started it): its changes would be left behind", step.From, s.ID, step.To)
		}
		bound := c.drainBound(step)
		dctx, cancel := context.WithTimeout(ctx, bound)
		err := stream.drain(dctx)
		cancel()
		if err != nil && ctx.Err() == nil && dctx.Err() != nil {
			return fmt.Errorf("change capture from %s to %s (step %s) did not drain within %s: %d transactions still to apply", step.From, step.To, s.ID, bound, stream.pendingTxs())
		}
		if err != nil {
			return fmt.Errorf("change capture from %s to %s (step %s): %w", step.From, step.To, s.ID, err)
		}
		c.logf(step.ID, "info", "stream %s drained into %s; forward apply stopped", stream.name, step.To)
	}
	return ctx.Err()
}
