package engine

import (
	"fmt"
	"slices"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// The permission policy: who may give which command in which situation.
// It is the one place these rules live — the conductor refuses (and
// journals the refusal) with its reason, the console and plain mode explain
// a disabled key with the same words.
//
//   - notes, pause and resume: anyone at a live run;
//   - ticking a checklist and confirming a manual step: anyone, once every
//     item is ticked;
//   - the rerun question after a crash: anyone (it is about side effects
//     someone at the console can check, not a go / no-go);
//   - gates, triggers, skip, retry and abort: the runbook's decision-maker
//     only. A running rollback is never aborted or skipped: a half-run
//     rollback is worse than a finished one.

// MayAct says why actor cannot give a command of this kind about stepID in
// state s right now — the situation first ("the run has ended"), the
// permission second ("Only alice may abort — you are bob") — or "" when
// they can. It ignores the command's arguments (reason, justification,
// limit): Permit checks those too.
func MayAct(s *journal.State, actor string, kind CommandKind, stepID string) string {
	if s.Outcome != "" {
		return "the run has ended"
	}
	pd := s.Pending
	switch kind {
	case CmdNote:
		return ""
	case CmdPause:
		if s.Paused {
			return "the run is already paused"
		}
		return ""
	case CmdResume:
		if !s.Paused {
			return "the run is not paused"
		}
		return ""
	case CmdCheck, CmdConfirm:
		if pd == nil || pd.Kind != journal.AwaitManual || (stepID != "" && pd.StepID != stepID) {
			return "no manual step is waiting"
		}
		return ""
	case CmdDecide:
		if pd == nil || (stepID != "" && pd.StepID != stepID) {
			return "nothing is waiting for an answer"
		}
		switch pd.Kind {
		case journal.AwaitManual:
			return "a manual step is confirmed, not decided"
		case journal.AwaitRerun:
			return ""
		}
		return OnlyDecisionMaker(s, actor, "decide")
	case CmdRetry:
		if !HoldsOnFailure(pd) {
			return "nothing to retry: no failed step is waiting for a decision"
		}
		return OnlyDecisionMaker(s, actor, "retry")
	case CmdAbort:
		if s.RollingBack && s.Rollback == nil {
			return "the rollback runs to the end: a half-run rollback is worse than a finished one"
		}
		return OnlyDecisionMaker(s, actor, "abort")
	case CmdSkip:
		if why := skipSituation(s, stepID); why != "" {
			return why
		}
		return OnlyDecisionMaker(s, actor, "skip")
	}
	return fmt.Sprintf("unknown command %q", kind)
}

// Permit is MayAct plus the command's own arguments: a reason to skip or
// abort, a justification and a sane limit to continue past a trigger, a
// valid choice and checklist item. It returns "" when cmd may be given.
func Permit(s *journal.State, cmd Command) string {
	if why := MayAct(s, cmd.Actor, cmd.Kind, cmd.StepID); why != "" {
		return why
	}
	pd := s.Pending
	switch cmd.Kind {
	case CmdNote:
		if cmd.Text == "" {
			return "a note needs text"
		}
	case CmdSkip:
		if cmd.Text == "" {
			return "skipping a step needs a reason"
		}
	case CmdCheck:
		st, _ := s.StepOf(pd.StepID, s.RollingBack)
		if cmd.Index < 0 || cmd.Index >= len(st.Checked) {
			return fmt.Sprintf("step %s has no checklist item %d", pd.StepID, cmd.Index+1)
		}
		if st.Checked[cmd.Index] {
			return fmt.Sprintf("checklist item %d is already ticked", cmd.Index+1)
		}
	case CmdConfirm:
		st, _ := s.StepOf(pd.StepID, s.RollingBack)
		for i, done := range st.Checked {
			if !done {
				return fmt.Sprintf("checklist item %d is not ticked", i+1)
			}
		}
	case CmdDecide:
		if !slices.Contains(pd.Choices, cmd.Choice) {
			return fmt.Sprintf("%q is not one of %v", cmd.Choice, pd.Choices)
		}
		if pd.Kind == journal.AwaitRerun && cmd.Choice == journal.ChoiceSkip && cmd.Text == "" {
			return "skipping a step needs a reason"
		}
		if pd.Kind == journal.AwaitTrigger && cmd.Choice == journal.ChoiceContinue {
			if len(cmd.Text) < MinJustification {
				return fmt.Sprintf("continuing past a trigger needs a typed justification (%d characters at least)", MinJustification)
			}
			if cmd.Limit > 0 && pd.Trigger != nil && cmd.Limit < pd.Trigger.Observed {
				return fmt.Sprintf("the new limit %g is below what was observed (%g): the trigger would fire again at once", cmd.Limit, pd.Trigger.Observed)
			}
		}
	}
	return ""
}

// MinJustification is the shortest justification for continuing past a
// trigger.
const MinJustification = 10

// HoldsOnFailure reports whether the run waits on a failed step (its
// step_failed trigger), which offers retry.
func HoldsOnFailure(pd *journal.Pending) bool {
	if pd == nil || pd.Kind != journal.AwaitTrigger {
		return false
	}
	return (pd.Trigger != nil && pd.Trigger.Trigger == runbooks.TriggerStepFailed) || slices.Contains(pd.Choices, journal.ChoiceRetry)
}

// skipSituation says why stepID cannot be skipped now, whoever asks.
func skipSituation(s *journal.State, stepID string) string {
	if s.RollingBack {
		return "nothing to skip: the rollback runs every step"
	}
	if pd := s.Pending; pd != nil && pd.StepID == stepID {
		switch {
		case pd.Kind == journal.AwaitManual, HoldsOnFailure(pd):
			return ""
		case pd.Kind == journal.AwaitGate:
			return "a gate is answered, not skipped: go or no-go"
		case pd.Kind == journal.AwaitRerun:
			return "answer the rerun question instead: rerun or skip"
		default:
			return "answer the trigger first"
		}
	}
	st, ok := s.StepByID(stepID)
	if !ok {
		return fmt.Sprintf("no step %q in this runbook", stepID)
	}
	if st.Status != journal.StatusPending {
		return fmt.Sprintf("step %s is %s; only a pending, waiting or failed step can be skipped", stepID, st.Status)
	}
	if st.SkipRequest != "" {
		return fmt.Sprintf("step %s will already be skipped (%s asked)", stepID, st.SkipRequestedBy)
	}
	return ""
}

// onlyDecisionMaker says why actor may not do verb, or "".
func OnlyDecisionMaker(s *journal.State, actor, verb string) string {
	dm := DecisionMaker(s)
	if dm == "" || dm == actor {
		return ""
	}
	who := actor
	if who == "" {
		who = "not named (--as)"
	}
	return fmt.Sprintf("Only %s may %s — you are %s", dm, verb, who)
}

// DecisionMaker is who may decide in this run: the runbook's
// decision_maker.
func DecisionMaker(s *journal.State) string {
	if s.Runbook != nil {
		return s.Runbook.DecisionMaker
	}
	if s.Pending != nil && s.Pending.Kind != journal.AwaitManual && s.Pending.Kind != journal.AwaitRerun {
		return s.Pending.Who
	}
	return ""
}
