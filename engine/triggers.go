package engine

import (
	"context"
	"fmt"

	"github.com/tightrope/tightrope/journal"
)

// measure is one observation of a rollback trigger, made where the
// trigger is evaluated: reject_rate after every copy batch (copystep.go),
// overrun at safe points (watchdog.go), verify_mismatch per table after a
// verify (safety.go), step_failed after a failed step (conductor.go).
type measure struct {
	trigger  string
	stepID   string
	table    string // for table-scoped triggers
	observed float64
	// message words the observation against the threshold in force.
	message  func(threshold float64) string
	evidence map[string]any // added to the conductor's frozen evidence
	// recount, when set, observes again from the fold once the copies are
	// held and their committed progress journaled (reject_rate), so the
	// trigger's numbers are the target's.
	recount func(*journal.State) measure
}

// judge compares an observation with the threshold in force — the one a
// "continue" left in the journal for the trigger's scope, or else the
// runbook's — and, when it is over, raises the trigger and waits for the
// decision-maker. It returns nil to go on (under the threshold, or
// continued past it, the new limit journaled with the decision), an error
// wrapping ErrRollback when they chose to roll back, or another error.
func (c *Conductor) judge(ctx context.Context, m measure) error {
	configured, watched := c.opts.Runbook.Triggers.Threshold(m.trigger)
	if !watched {
		return nil
	}
	threshold := c.limit(m.trigger, m.stepID, m.table, configured)
	if m.observed <= threshold {
		return nil
	}
	answer, err := c.raise(ctx, m.stepID, func() (journal.TriggerPayload, bool) {
		// the copies are held: observe again what the target committed,
		// against the limit in force now (a decision may have come between)
		if m.recount != nil {
			c.withState(func(s *journal.State) { m = m.recount(s) })
		}
		threshold = c.limit(m.trigger, m.stepID, m.table, configured)
		if m.observed <= threshold {
			return journal.TriggerPayload{}, false
		}
		ev := c.evidence()
		for k, v := range m.evidence {
			ev[k] = v
		}
		return journal.TriggerPayload{
			Trigger: m.trigger, Table: m.table, Observed: m.observed, Threshold: threshold,
			Message: m.message(threshold), Evidence: ev,
		}, true
	})
	if err != nil {
		return err
	}
	if answer.Choice == journal.ChoiceRollback {
		what := m.trigger
		if m.table != "" {
			what += " of " + m.table
		}
		return fmt.Errorf("%s: %w", what, ErrRollback)
	}
	return nil
}
