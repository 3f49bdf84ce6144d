package engine

import (
	"errors"
	"fmt"

	"github.com/tightrope/tightrope/journal"
)

// ErrEnded is returned by Run for a journal whose run already ended in a
// way no resume can take up again (finished, rolled back, aborted), or
// ended failed and nobody chose to retry it.
var ErrEnded = errors.New("the run already ended")

// reopen decides whether a run that already ended may go on: only a
// failed run, only when Options.RetryFailed says the decision-maker chose
// to retry it, and only in the decision-maker's name. It returns the
// failed step to run again ("" when the run failed before its first step),
// for the run_resumed event that reopens the run in the fold.
func (c *Conductor) reopen() (string, error) {
	s := c.State()
	if s.Outcome != journal.OutcomeFailed {
		return "", fmt.Errorf("%w (%s); nothing to resume", ErrEnded, s.Outcome)
	}
	step := FailedStep(s)
	if !c.opts.RetryFailed {
		return "", fmt.Errorf("%w failed (%s): the decision-maker may retry it (resume --retry-failed)", ErrEnded, failedWhere(step))
	}
	if dm := c.opts.Runbook.DecisionMaker; dm != "" && c.opts.Operator != dm {
		return "", fmt.Errorf("%w: only %s may retry this failed run (this is %s)", ErrNotDecisionMaker, dm, c.opts.Operator)
	}
	return step, nil
}

// FailedStep is the step a failed run failed at: the last runbook step
// that failed and was not waived; "" when the run failed before any step
// (pre-flight).
func FailedStep(s journal.State) string {
	id := ""
	for _, st := range s.Steps {
		if !st.Rollback && st.Status == journal.StatusFailed && !st.Waived {
			id = st.ID
		}
	}
	return id
}

func failedWhere(step string) string {
	if step == "" {
		return "before the first step"
	}
	return "at step " + step
}
