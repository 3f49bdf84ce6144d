package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tightrope/tightrope/journal"
)

func (c *Conductor) rollbackStartedAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.RollbackAt
}

// rollback runs the runbook's rollback procedure to its end, timed against
// the RTO. A failing rollback step is journaled and the procedure goes on:
// a half-run rollback is worse than a complete one with a known failure.
func (c *Conductor) rollback(ctx context.Context, reason string) (string, error) {
	c.stopApplying() // forward apply stops: the run abandons its target
	start := c.opts.Now()
	if c.isRollingBack() {
		start = c.rollbackStartedAt() // the RTO clock started with the first process
	} else if _, err := c.emit(c.opts.Operator, "", journal.RollbackStarted, journal.RollbackPayload{Reason: reason}); err != nil {
		return journal.OutcomeFailed, err
	}
	rto := c.opts.Runbook.Objectives.RTO
	var failed []string
	for _, step := range c.opts.Runbook.Rollback {
		if st := c.stepState(step.ID, true); st.Status == journal.StatusDone || st.Status == journal.StatusSkipped {
			continue
		}
		// The rollback runs even when the run's context was cancelled by a
		// trigger decision; only an abort stops it. A step that skips itself
		// (a restore with nothing to restore) has not failed.
		if err := c.runStep(context.WithoutCancel(ctx), step, true); err != nil && !errors.Is(err, errSkipped) {
			failed = append(failed, step.ID)
		}
	}
	// The migration's switches are switched back (their undo) and the
	// freezes its steps made undone: the old side is live and writable
	// again. Both are journaled, so a resumed rollback does neither twice.
	// A switch that replicated back (strategy cdc, or blue-green through
	// capture): the new side is frozen and the reverse stream drained
	// before the switch back, and the two sides are compared after the old
	// side is unfrozen (cdc_reverse.go).
	reversed := c.reversedSwitches()
	backFailed, began := c.reverseBack(context.WithoutCancel(ctx))
	failed = append(failed, backFailed...)
	failed = append(failed, c.switchBack(context.WithoutCancel(ctx), began)...)
	failed = append(failed, c.unfreezeForward(context.WithoutCancel(ctx))...)
	failed = append(failed, c.reverseVerify(context.WithoutCancel(ctx), reversed)...)
	took := c.opts.Now().Sub(start)
	ok := len(failed) == 0
	if _, err := c.emit(c.opts.Operator, "", journal.RollbackFinished, journal.RollbackPayload{
		Reason: reason, DurationMS: took.Milliseconds(), RTOMS: rto.Milliseconds(), OK: ok,
	}); err != nil {
		return journal.OutcomeFailed, err
	}
	if rto > 0 {
		verdict := "within"
		if took > rto {
			verdict = "OVER"
		}
		c.logf("", "info", "rollback took %s, %s the RTO of %s", took.Round(1e6), verdict, rto)
	}
	if !ok {
		return journal.OutcomeFailed, fmt.Errorf("rollback steps failed: %v", failed)
	}
	return journal.OutcomeRolledBack, nil
}
