package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/tightrope/tightrope/journal"
)

// controls holds what operator commands flip: the pause gate and the steps
// asked to be skipped. The conductor polls them at its safe points.
type controls struct {
	mu       sync.Mutex
	paused   bool
	released chan struct{} // closed when the pause is lifted
	skips    map[string]string
}

func newControls() *controls {
	c := &controls{skips: map[string]string{}, released: make(chan struct{})}
	close(c.released)
	return c
}

// pause closes the gate; it reports whether anything changed.
func (k *controls) pause() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.paused {
		return false
	}
	k.paused, k.released = true, make(chan struct{})
	return true
}

// unpause opens the gate; it reports whether anything changed.
func (k *controls) unpause() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.paused {
		return false
	}
	k.paused = false
	close(k.released)
	return true
}

// wait returns once the run is not paused (or ctx ends).
func (k *controls) wait(ctx context.Context) error {
	k.mu.Lock()
	ch := k.released
	k.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (k *controls) requestSkip(stepID, reason string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.skips[stepID] = reason
}

// takeSkip returns the reason a step was asked to be skipped, once.
func (k *controls) takeSkip(stepID string) (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	r, ok := k.skips[stepID]
	delete(k.skips, stepID)
	return r, ok
}

// safePoint holds while a decision is pending or the run is paused. Steps
// call it between batches; the walk calls it between steps.
func (c *Conductor) safePoint(ctx context.Context, stepID string) error {
	c.waitWhileHeld()
	if err := c.ctl.wait(ctx); err != nil {
		return err
	}
	return c.checkOverrun(ctx, stepID)
}

// control handles pause, resume, skip, retry and abort. Pause, resume and
// notes are anyone's; skip, retry and abort are the decision-maker's, and
// a refusal is journaled with the reason.
func (c *Conductor) control(cmd Command) {
	dm := c.opts.Runbook.DecisionMaker
	if (cmd.Kind == CmdSkip || cmd.Kind == CmdRetry || cmd.Kind == CmdAbort) && cmd.Actor != dm {
		_, _ = c.emit(cmd.Actor, cmd.StepID, journal.Refused, journal.RefusedPayload{
			Choice: string(cmd.Kind), Reason: fmt.Sprintf("only %s may %s; this is %s", dm, cmd.Kind, cmd.Actor),
		})
		return
	}
	switch cmd.Kind {
	case CmdPause:
		if c.ctl.pause() {
			_, _ = c.emit(cmd.Actor, "", journal.Paused, journal.ControlPayload{Reason: cmd.Text})
		}
	case CmdResume:
		if c.ctl.unpause() {
			_, _ = c.emit(cmd.Actor, "", journal.Unpaused, journal.ControlPayload{Reason: cmd.Text})
		}
	case CmdAbort:
		c.abortOnce.Do(func() {
			c.aborted.Store(true)
			_, _ = c.emit(cmd.Actor, "", journal.Aborted, journal.ControlPayload{Reason: cmd.Text})
			c.abort()
		})
	case CmdSkip:
		if cmd.Text == "" {
			c.refuse(cmd, "skipping a step needs a reason")
			return
		}
		if p := c.pending(); p != nil && p.StepID == cmd.StepID && p.Kind != "trigger" {
			c.answer(Command{Kind: CmdDecide, Actor: cmd.Actor, StepID: cmd.StepID, Choice: journal.ChoiceSkip, Text: cmd.Text})
			return
		}
		if p := c.pending(); p != nil && p.Kind == "trigger" && p.StepID == cmd.StepID {
			// A failed step's trigger: skipping it is continuing without it.
			c.answer(Command{Kind: CmdDecide, Actor: cmd.Actor, StepID: cmd.StepID, Choice: journal.ChoiceContinue, Text: "skip: " + cmd.Text})
			return
		}
		st := c.stepState(cmd.StepID, false)
		if st.Status != journal.StatusPending {
			c.refuse(cmd, fmt.Sprintf("step %s is %s; only a pending, waiting or failed step can be skipped", cmd.StepID, st.Status))
			return
		}
		c.ctl.requestSkip(cmd.StepID, cmd.Text)
		c.logf(cmd.StepID, "warn", "%s asked to skip step %s: %s", cmd.Actor, cmd.StepID, cmd.Text)
	case CmdRetry:
		p := c.pending()
		if p == nil || p.Kind != "trigger" || p.Trigger == nil || p.Trigger.Trigger != "step_failed" {
			c.refuse(cmd, "nothing to retry: no failed step is waiting for a decision")
			return
		}
		c.answer(Command{Kind: CmdDecide, Actor: cmd.Actor, StepID: p.StepID, Choice: journal.ChoiceRetry, Text: cmd.Text})
	}
}

func (c *Conductor) refuse(cmd Command, reason string) {
	_, _ = c.emit(cmd.Actor, cmd.StepID, journal.Refused, journal.RefusedPayload{Choice: string(cmd.Kind), Reason: reason})
}

// answer hands an answer to the waiting step, unless one is on its way.
func (c *Conductor) answer(cmd Command) {
	select {
	case c.answers <- cmd:
	default:
	}
}
