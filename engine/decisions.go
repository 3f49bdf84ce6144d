package engine

import (
	"context"
	"fmt"

	"github.com/tightrope/tightrope/journal"
)

// autoActor marks answers given by --auto-decide in the journal.
const autoJustification = "auto-decide: scripted run (--auto-decide %s)"

// serveCommands journals notes and aborts at once, and hands answers to a
// waiting step only when they fit what the run is waiting for and come
// from someone who may give them.
func (c *Conductor) serveCommands(ctx context.Context) {
	for {
		select {
		case <-c.done:
			return
		case <-ctx.Done():
			return
		case cmd := <-c.cmds:
			c.handle(cmd)
		}
	}
}

func (c *Conductor) handle(cmd Command) {
	switch cmd.Kind {
	case CmdNote:
		if cmd.Text != "" {
			_, _ = c.emit(cmd.Actor, cmd.StepID, journal.Note, journal.NotePayload{Text: cmd.Text})
		}
	case CmdAbort, CmdPause, CmdResume, CmdSkip, CmdRetry:
		c.control(cmd)
	case CmdCheck:
		p := c.pending()
		if p == nil || p.Kind != "manual" || p.StepID != cmd.StepID {
			return
		}
		st := c.stepState(cmd.StepID, c.isRollingBack())
		if cmd.Index < 0 || cmd.Index >= len(st.Checked) || st.Checked[cmd.Index] {
			return
		}
		item := ""
		if step, ok := c.opts.Runbook.StepByID(cmd.StepID); ok && cmd.Index < len(step.Checklist) {
			item = step.Checklist[cmd.Index]
		}
		_, _ = c.emit(cmd.Actor, cmd.StepID, journal.ChecklistChecked, journal.ChecklistPayload{Index: cmd.Index, Item: item})
	case CmdConfirm, CmdDecide:
		p := c.pending()
		if p == nil || (cmd.StepID != "" && cmd.StepID != p.StepID) {
			return
		}
		if reason := c.mayAnswer(p, cmd); reason != "" {
			_, _ = c.emit(cmd.Actor, p.StepID, journal.Refused, journal.RefusedPayload{Choice: cmd.Choice, Reason: reason})
			return
		}
		c.answer(cmd)
	}
}

// mayAnswer returns why cmd cannot answer p, or "" when it can.
func (c *Conductor) mayAnswer(p *journal.Pending, cmd Command) string {
	dm := c.opts.Runbook.DecisionMaker
	switch p.Kind {
	case "manual":
		if cmd.Kind != CmdConfirm {
			return "a manual step is confirmed, not decided"
		}
		st := c.stepState(p.StepID, c.isRollingBack())
		for i, done := range st.Checked {
			if !done {
				return fmt.Sprintf("checklist item %d is not ticked", i+1)
			}
		}
		return ""
	case "rerun":
		if !containsString(p.Choices, cmd.Choice) {
			return fmt.Sprintf("%q is not one of %v", cmd.Choice, p.Choices)
		}
		if cmd.Choice == journal.ChoiceSkip && cmd.Text == "" {
			return "skipping a step needs a reason"
		}
		return ""
	case "gate", "trigger":
		if cmd.Actor != dm {
			return fmt.Sprintf("only %s may decide; this is %s", dm, cmd.Actor)
		}
		if !containsString(p.Choices, cmd.Choice) {
			return fmt.Sprintf("%q is not one of %v", cmd.Choice, p.Choices)
		}
		if cmd.Choice == journal.ChoiceContinue && len(cmd.Text) < 10 {
			return "continuing past a trigger needs a typed justification (10 characters at least)"
		}
		if cmd.Choice == journal.ChoiceContinue && cmd.Limit > 0 && p.Trigger != nil && cmd.Limit < p.Trigger.Observed {
			return fmt.Sprintf("the new limit %g is below what was observed (%g): the trigger would fire again at once", cmd.Limit, p.Trigger.Observed)
		}
		return ""
	}
	return "nothing is waiting for an answer"
}

// await records that the run waits for a person and returns the answer.
// With --auto-decide the answer is given at once and marked as automatic;
// a rerun question is answered only by --on-rerun, never guessed.
func (c *Conductor) await(ctx context.Context, stepID string, a journal.AwaitingPayload, trigger string) (Command, error) {
	if _, err := c.emit(c.opts.Operator, stepID, journal.Awaiting, a); err != nil {
		return Command{}, err
	}
	var cmd Command
	auto := c.opts.AutoDecide != "" && (a.Kind != "rerun" || c.opts.OnRerun != "")
	switch {
	case auto:
		cmd = c.autoAnswer(stepID, a)
	case a.Kind == "rerun" && c.opts.AutoDecide != "":
		return Command{}, fmt.Errorf("step %s may have had side effects when the last process stopped: "+
			"answer in the console, or resume with --on-rerun rerun|skip", stepID)
	default:
		select {
		case cmd = <-c.answers:
		case <-ctx.Done():
			return Command{}, ctx.Err()
		}
	}
	choice := cmd.Choice
	if cmd.Kind == CmdConfirm {
		choice = journal.ChoiceConfirm
	}
	_, err := c.emit(cmd.Actor, stepID, journal.Decision, journal.DecisionPayload{
		Kind: a.Kind, Choice: choice, Justification: cmd.Text, Trigger: trigger, Auto: auto, Limit: cmd.Limit,
	})
	cmd.Choice = choice
	return cmd, err
}

// autoAnswer answers for a scripted run: manual steps are confirmed with
// their checklist ticked, gates and triggers follow --auto-decide, rerun
// questions follow --on-rerun.
func (c *Conductor) autoAnswer(stepID string, a journal.AwaitingPayload) Command {
	actor := c.opts.Operator
	why := fmt.Sprintf(autoJustification, c.opts.AutoDecide)
	switch a.Kind {
	case "manual":
		if step, ok := c.opts.Runbook.StepByID(stepID); ok {
			st := c.stepState(stepID, c.isRollingBack())
			for i, item := range step.Checklist {
				if i < len(st.Checked) && st.Checked[i] {
					continue
				}
				_, _ = c.emit(actor, stepID, journal.ChecklistChecked, journal.ChecklistPayload{Index: i, Item: item})
			}
		}
		return Command{Kind: CmdConfirm, Actor: actor, StepID: stepID}
	case "rerun":
		return Command{Kind: CmdDecide, Actor: actor, StepID: stepID, Choice: c.opts.OnRerun, Text: "--on-rerun " + c.opts.OnRerun}
	case "gate":
		choice := journal.ChoiceGo
		if c.opts.AutoDecide == journal.ChoiceRollback {
			choice = journal.ChoiceNoGo
		}
		return Command{Kind: CmdDecide, Actor: actor, StepID: stepID, Choice: choice, Text: why}
	default:
		return Command{Kind: CmdDecide, Actor: actor, StepID: stepID, Choice: c.opts.AutoDecide, Text: why}
	}
}

// raise journals a met trigger with its evidence, holds the run and asks
// the decision-maker: continue (with a justification and, optionally, a new
// limit), roll back, or — for a failed step — retry it. It returns the
// answer.
func (c *Conductor) raise(ctx context.Context, stepID string, t journal.TriggerPayload) (Command, error) {
	c.decideMu.Lock()
	defer c.decideMu.Unlock()
	if err := ctx.Err(); err != nil {
		return Command{}, err
	}
	c.hold.Lock()
	defer c.hold.Unlock()
	if _, err := c.emit(c.opts.Operator, stepID, journal.TriggerFired, t); err != nil {
		return Command{}, err
	}
	choices := []string{journal.ChoiceContinue, journal.ChoiceRollback}
	if t.Trigger == "step_failed" {
		choices = append(choices, journal.ChoiceRetry)
	}
	return c.await(ctx, stepID, journal.AwaitingPayload{
		Kind: "trigger", Question: t.Message + " — continue or roll back?",
		Choices: choices, Who: c.opts.Runbook.DecisionMaker,
	}, t.Trigger)
}

// limit is the threshold in force for a trigger scope: the runbook's, or
// what the decision-maker accepted when continuing past it.
func (c *Conductor) limit(scope string, runbook float64) float64 {
	c.decideMu.Lock()
	defer c.decideMu.Unlock()
	if v, ok := c.limits[scope]; ok {
		return v
	}
	return runbook
}

// accept records the limit a "continue" leaves in force: the one the
// decision-maker typed, or else twice the observed value.
func (c *Conductor) accept(scope string, cmd Command, observed float64) {
	v := cmd.Limit
	if v <= 0 {
		v = 2 * observed
	}
	c.decideMu.Lock()
	defer c.decideMu.Unlock()
	c.limits[scope] = v
}

// evidence freezes the numbers a decision is taken on.
func (c *Conductor) evidence() map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	read, written, rejected := c.state.Totals()
	ev := map[string]any{
		"elapsed_ms":    c.opts.Now().Sub(c.state.StartedAt).Milliseconds(),
		"rows_read":     read,
		"rows_written":  written,
		"rows_rejected": rejected,
	}
	if exp := c.opts.Runbook.Objectives.Expected; exp > 0 {
		ev["expected_ms"] = exp.Milliseconds()
	}
	if n := len(c.state.Snapshots); n > 0 {
		s := c.state.Snapshots[n-1]
		ev["snapshot"] = s.Label
		ev["est_restore_ms"] = s.EstRestoreMS
		ev["rto_ms"] = c.opts.Runbook.Objectives.RTO.Milliseconds()
	}
	return ev
}

// waitWhileHeld returns once no decision is pending: the safe point at
// which parallel work holds while the decision-maker decides.
func (c *Conductor) waitWhileHeld() {
	c.hold.RLock()
	c.hold.RUnlock()
}

func (c *Conductor) pending() *journal.Pending {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Pending == nil {
		return nil
	}
	p := *c.state.Pending
	return &p
}

func (c *Conductor) isRollingBack() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.RollingBack
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
