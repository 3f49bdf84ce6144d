package engine

import (
	"context"
	"fmt"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
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

// handle checks a command against the permission policy — a refusal is
// journaled with its reason — and acts on it.
func (c *Conductor) handle(cmd Command) {
	var why string
	stale := false
	c.withState(func(s *journal.State) {
		why = Permit(s, cmd)
		switch cmd.Kind {
		case CmdCheck, CmdConfirm, CmdDecide: // a late answer to a question already answered: dropped
			stale = s.Pending == nil || (cmd.StepID != "" && cmd.StepID != s.Pending.StepID)
		}
	})
	if stale {
		return
	}
	if why != "" {
		if cmd.Kind != CmdNote || cmd.Text != "" {
			c.refuse(cmd, why)
		}
		return
	}
	switch cmd.Kind {
	case CmdNote:
		_, _ = c.emit(cmd.Actor, cmd.StepID, journal.Note, journal.NotePayload{Text: cmd.Text})
	case CmdAbort, CmdPause, CmdResume, CmdSkip, CmdRetry:
		c.control(cmd)
	case CmdCheck:
		p := c.pending()
		if p == nil { // answered in the meantime
			return
		}
		item := ""
		if step, ok := c.opts.Runbook.StepByID(p.StepID); ok && cmd.Index < len(step.Checklist) {
			item = step.Checklist[cmd.Index]
		}
		_, _ = c.emit(cmd.Actor, p.StepID, journal.ChecklistChecked, journal.ChecklistPayload{Index: cmd.Index, Item: item})
	case CmdConfirm, CmdDecide:
		c.answer(cmd)
	}
}

// await records that the run waits for a person and returns the answer.
// With --auto-decide the answer is given at once and marked as automatic;
// a rerun question is answered only by --on-rerun, never guessed.
func (c *Conductor) await(ctx context.Context, stepID string, a journal.AwaitingPayload, t *journal.TriggerPayload) (Command, error) {
	// One question at a time: a change stream's trigger, raised from its
	// own goroutine, waits for a gate or manual step being answered.
	c.askMu.Lock()
	defer c.askMu.Unlock()
	if _, err := c.emit(c.opts.Operator, stepID, journal.Awaiting, a); err != nil {
		return Command{}, err
	}
	var cmd Command
	auto := c.opts.AutoDecide != "" && (a.Kind != journal.AwaitRerun || c.opts.OnRerun != "")
	switch {
	case auto:
		cmd = c.autoAnswer(stepID, a)
	case a.Kind == journal.AwaitRerun && c.opts.AutoDecide != "":
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
	d := journal.DecisionPayload{Kind: a.Kind, Choice: choice, Justification: cmd.Text, Auto: auto}
	if t != nil {
		d.Trigger, d.Table = t.Trigger, t.Table
		if choice == journal.ChoiceContinue {
			d.Limit, d.LimitDefault = limitAccepted(t, cmd.Limit)
		}
	}
	_, err := c.emit(cmd.Actor, stepID, journal.Decision, d)
	cmd.Choice = choice
	return cmd, err
}

// limitAccepted is the threshold a "continue" past t leaves in force for
// its scope: the one the decision-maker typed, or else twice the observed
// value (marked as the default). A trigger without a number (step_failed)
// has none.
func limitAccepted(t *journal.TriggerPayload, typed float64) (float64, bool) {
	if spec, _ := runbooks.TriggerByName(t.Trigger); spec.Unit == runbooks.UnitNone {
		return 0, false
	}
	if typed > 0 {
		return typed, false
	}
	return 2 * t.Observed, true
}

// autoAnswer answers for a scripted run: manual steps are confirmed with
// their checklist ticked, gates and triggers follow --auto-decide, rerun
// questions follow --on-rerun.
func (c *Conductor) autoAnswer(stepID string, a journal.AwaitingPayload) Command {
	actor := c.opts.Operator
	why := fmt.Sprintf(autoJustification, c.opts.AutoDecide)
	switch a.Kind {
	case journal.AwaitManual:
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
	case journal.AwaitRerun:
		return Command{Kind: CmdDecide, Actor: actor, StepID: stepID, Choice: c.opts.OnRerun, Text: "--on-rerun " + c.opts.OnRerun}
	case journal.AwaitGate:
		choice := journal.ChoiceGo
		if c.opts.AutoDecide == journal.ChoiceRollback {
			choice = journal.ChoiceNoGo
		}
		return Command{Kind: CmdDecide, Actor: actor, StepID: stepID, Choice: choice, Text: why}
	default:
		return Command{Kind: CmdDecide, Actor: actor, StepID: stepID, Choice: c.opts.AutoDecide, Text: why}
	}
}

// raise holds the run, journals a met trigger with its evidence and asks
// the decision-maker: continue (with a justification and, optionally, a new
// limit), roll back, or — for a failed step — retry it. It returns the
// answer. build words the trigger once the copies are held and their
// committed progress journaled (settle.go), so its numbers are the
// target's; it may find the trigger no longer met, and then nothing is
// raised (a zero Command).
func (c *Conductor) raise(ctx context.Context, stepID string, build func() (journal.TriggerPayload, bool)) (Command, error) {
	c.decideMu.Lock()
	defer c.decideMu.Unlock()
	if err := ctx.Err(); err != nil {
		return Command{}, err
	}
	c.hold.Lock() // waits for the batches in flight to commit
	defer c.hold.Unlock()
	c.settleProgress()
	t, met := build()
	if !met {
		return Command{}, nil
	}
	if _, err := c.emit(c.opts.Operator, stepID, journal.TriggerFired, t); err != nil {
		return Command{}, err
	}
	choices := []string{journal.ChoiceContinue, journal.ChoiceRollback}
	if t.Trigger == runbooks.TriggerStepFailed {
		choices = append(choices, journal.ChoiceRetry)
	}
	return c.await(ctx, stepID, journal.AwaitingPayload{
		Kind: journal.AwaitTrigger, Question: t.Message + " — continue or roll back?",
		Choices: choices, Who: c.opts.Runbook.DecisionMaker,
	}, &t)
}

// limit is the threshold in force for a trigger in a step and table: the
// one the last "continue" for that scope left in the journal, or the
// runbook's.
func (c *Conductor) limit(trigger, stepID, table string, runbook float64) float64 {
	v, ok := 0.0, false
	c.withState(func(s *journal.State) { v, ok = s.Limit(trigger, stepID, table) })
	if ok {
		return v
	}
	return runbook
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
