package engine

import (
	"context"

	"github.com/tightrope/tightrope/journal"
)

// Operator controls: pause and resume, skip, retry, abort. Each is checked
// by the permission policy (policy.go), journaled with its actor, and acted
// on from the folded state only — so a resumed run sees the same pause, the
// same skip requests and the same limits as the process that stopped.

// safePoint holds while a decision is pending or the run is paused. Steps
// call it between batches; the walk calls it between steps.
func (c *Conductor) safePoint(ctx context.Context, stepID string) error {
	c.waitWhileHeld()
	if err := c.cdcFailed(); err != nil { // a change stream's trigger decided a rollback
		return err
	}
	if err := c.waitFor(ctx, func(s *journal.State) bool { return !s.Paused }); err != nil {
		return err
	}
	return c.checkOverrun(ctx, stepID)
}

// resumePaused says, when a resumed run's journal ends paused, that it
// stays paused. A scripted run (--auto-decide) cannot be unpaused by
// anyone, so it lifts the pause itself, on the record.
func (c *Conductor) resumePaused() {
	var paused bool
	var by string
	c.withState(func(s *journal.State) { paused, by = s.Paused, s.PausedBy })
	if !paused {
		return
	}
	if c.opts.AutoDecide != "" {
		_, _ = c.emit(c.opts.Operator, "", journal.Unpaused, journal.ControlPayload{
			Reason: "--auto-decide: a scripted resume does not hold on the pause " + by + " left",
		})
		return
	}
	c.logf("", "warn", "the run was paused by %s when the last process stopped; it stays paused until someone resumes it", by)
}

// control acts on pause, resume, skip, retry and abort once the policy
// allowed them.
func (c *Conductor) control(cmd Command) {
	switch cmd.Kind {
	case CmdPause:
		_, _ = c.emit(cmd.Actor, "", journal.Paused, journal.ControlPayload{Reason: cmd.Text})
	case CmdResume:
		_, _ = c.emit(cmd.Actor, "", journal.Unpaused, journal.ControlPayload{Reason: cmd.Text})
	case CmdAbort:
		c.abortOnce.Do(func() {
			c.aborted.Store(true)
			_, _ = c.emit(cmd.Actor, "", journal.Aborted, journal.ControlPayload{Reason: cmd.Text})
			c.abort()
		})
	case CmdSkip:
		p := c.pending()
		switch {
		case p != nil && p.StepID == cmd.StepID && p.Kind != journal.AwaitTrigger:
			c.answer(Command{Kind: CmdDecide, Actor: cmd.Actor, StepID: cmd.StepID, Choice: journal.ChoiceSkip, Text: cmd.Text})
		case p != nil && p.StepID == cmd.StepID:
			// A failed step's trigger: skipping it is continuing without it.
			c.answer(Command{Kind: CmdDecide, Actor: cmd.Actor, StepID: cmd.StepID, Choice: journal.ChoiceContinue, Text: "skip: " + cmd.Text})
		default:
			_, _ = c.emit(cmd.Actor, cmd.StepID, journal.SkipRequested, journal.ControlPayload{Reason: cmd.Text})
		}
	case CmdRetry:
		p := c.pending()
		if p == nil { // answered in the meantime
			return
		}
		c.answer(Command{Kind: CmdDecide, Actor: cmd.Actor, StepID: p.StepID, Choice: journal.ChoiceRetry, Text: cmd.Text})
	}
}

// refuse journals a command the policy refused, with its reason.
func (c *Conductor) refuse(cmd Command, reason string) {
	choice := cmd.Choice
	if choice == "" {
		choice = string(cmd.Kind)
	}
	stepID := cmd.StepID
	if p := c.pending(); stepID == "" && p != nil {
		stepID = p.StepID
	}
	_, _ = c.emit(cmd.Actor, stepID, journal.Refused, journal.RefusedPayload{Choice: choice, Reason: reason})
}

// answer hands an answer to the waiting step, unless one is on its way.
func (c *Conductor) answer(cmd Command) {
	select {
	case c.answers <- cmd:
	default:
	}
}
