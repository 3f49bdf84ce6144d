package tui

import (
	"fmt"
	"slices"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// Operator controls: pause / resume, skip, retry and abort. Who may do
// what (the engine enforces the same and journals refusals):
//
//   - pause, resume and notes: anyone at a live console;
//   - skip, retry and abort: the decision-maker only; others see the key
//     disabled with the reason;
//   - the rerun question on resume: anyone (it is about side effects
//     someone at the console can check, not a go / no-go).
//
// Each reason function returns "" when the key may act, otherwise why not,
// situation first ("nothing to retry: no step has failed"), permission
// second ("Only alice may retry — you are bob").

// controlActions are the operator controls the run offers right now.
// Disabled skip, retry and abort stay out of the help line unless they
// matter; a press always says why.
func (m Model) controlActions() []action {
	k := m.c.Keys
	pause := allow(k.Pause, vPause)
	if m.state.Paused {
		pause.SetHelp(k.Pause.Help().Key, "resume")
	}
	if m.state.Outcome != "" {
		pause = deny(k.Pause, vPause, "the run has ended")
	}
	id, why := m.skipTarget()
	skip := offer(k.Skip, vSkip, why)
	if why == "" {
		skip.SetHelp(k.Skip.Help().Key, "skip "+id+"…")
	}
	_, retryWhy := m.retryTarget()
	return []action{quietly(pause), quietly(skip), quietly(offer(k.Retry, vRetry, retryWhy)),
		quietly(offer(k.Abort, vAbort, m.abortReason()))}
}

// onlyDecisionMaker says why this operator may not do verb, or "".
func (m Model) onlyDecisionMaker(verb string) string {
	dm := decider(m.state)
	if (m.state.Runbook != nil && m.state.Runbook.DecisionMaker != "") || (m.state.Pending != nil && m.state.Pending.Who != "") {
		if dm != m.c.Operator {
			return fmt.Sprintf("Only %s may %s — you are %s", dm, verb, orNobody(m.c.Operator))
		}
	}
	return ""
}

// failedPending reports whether the run holds on a failed step
// (a step_failed trigger, which offers retry).
func (m Model) failedPending() bool { return holdsOnFailure(m.state.Pending) }

// holdsOnFailure reports whether pd is a step_failed trigger.
func holdsOnFailure(pd *journal.Pending) bool {
	if pd == nil || pd.Kind != journal.AwaitTrigger {
		return false
	}
	return (pd.Trigger != nil && pd.Trigger.Trigger == runbooks.TriggerStepFailed) || slices.Contains(pd.Choices, journal.ChoiceRetry)
}

// skipTarget is the step s would skip: the manual step waiting, the failed
// step the run holds on, or else the next step that has not started; or
// why none can be.
func (m Model) skipTarget() (string, string) {
	s := m.state
	if r := m.readOnlyReason(); r != "" {
		return "", r
	}
	if s.Outcome != "" {
		return "", "the run has ended"
	}
	if s.RollingBack {
		return "", "nothing to skip: the rollback runs every step"
	}
	var id string
	if pd := s.Pending; pd != nil {
		switch {
		case pd.Kind == journal.AwaitManual, m.failedPending():
			id = pd.StepID
		case pd.Kind == journal.AwaitGate:
			return "", "a gate is answered, not skipped: g go · n no-go"
		case pd.Kind == journal.AwaitRerun:
			return "", "answer the rerun question first: d"
		default:
			return "", "answer the trigger first: d to decide"
		}
	} else if id = nextPendingStep(s); id == "" {
		return "", "nothing to skip: no step is pending"
	}
	return id, m.onlyDecisionMaker("skip")
}

// nextPendingStep is the first runbook step that has not started.
func nextPendingStep(s journal.State) string {
	for _, st := range s.Steps {
		if !st.Rollback && st.Status == journal.StatusPending {
			return st.ID
		}
	}
	return ""
}

// retryTarget is the failed step R would run again, or why there is none:
// only a failed step the run holds on (its step_failed trigger) can be
// retried.
func (m Model) retryTarget() (string, string) {
	s := m.state
	if r := m.readOnlyReason(); r != "" {
		return "", r
	}
	if !m.failedPending() {
		for _, st := range s.Steps {
			if st.Status == journal.StatusFailed && s.Outcome == "" {
				return "", fmt.Sprintf("nothing to retry: step %s failed and the run did not hold for it", st.ID)
			}
		}
		return "", "nothing to retry: no step has failed"
	}
	return s.Pending.StepID, m.onlyDecisionMaker("retry")
}

// abortReason says why A cannot stop the run, or "". A running rollback is
// not stopped halfway: a half-run rollback is worse than a finished one.
func (m Model) abortReason() string {
	s := m.state
	switch {
	case m.readOnlyReason() != "":
		return m.readOnlyReason()
	case s.Outcome != "":
		return "the run has ended"
	case s.RollingBack && s.Rollback == nil:
		return "the rollback runs to the end: a half-run rollback is worse than a finished one"
	}
	return m.onlyDecisionMaker("abort")
}

// stepWhat is "check (verify)" for a dialog's text.
func stepWhat(s journal.State, id string) string {
	kind := stepByID(s, id).Kind
	if kind == "" {
		kind = planStep(s, id).Kind
	}
	if kind == "" {
		return id
	}
	return id + " (" + kind + ")"
}
