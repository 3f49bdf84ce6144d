package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// policyState is a run of a runbook whose decision-maker is alice, with
// step "copy" done and step "later" pending.
func policyState(t *testing.T, edit func(*journal.State)) journal.State {
	t.Helper()
	rb, err := runbooks.Parse("rb.yaml", []byte(controlsHeader+`steps:
  - { id: copy, kind: shell, run: "true" }
  - { id: later, kind: shell, run: "true" }
  - { id: go, kind: gate, question: go? }
rollback:
  - { id: undo, kind: manual, checklist: [done] }
`))
	if err != nil {
		t.Fatal(err)
	}
	s := journal.State{Runbook: rb}
	for _, st := range rb.Steps {
		s.Steps = append(s.Steps, journal.StepState{ID: st.ID, Kind: st.Kind, Status: journal.StatusPending})
	}
	s.Steps = append(s.Steps, journal.StepState{ID: "undo", Kind: "manual", Rollback: true, Status: journal.StatusPending, Checked: []bool{false}})
	s.Steps[0].Status = journal.StatusDone
	if edit != nil {
		edit(&s)
	}
	return s
}

func TestPolicy(t *testing.T) {
	rollingBack := func(s *journal.State) {
		s.RollingBack = true
		s.Pending = &journal.Pending{AwaitingPayload: journal.AwaitingPayload{Kind: journal.AwaitManual, Choices: []string{journal.ChoiceConfirm}}, StepID: "undo"}
	}
	gate := func(s *journal.State) {
		s.Pending = &journal.Pending{AwaitingPayload: journal.AwaitingPayload{Kind: journal.AwaitGate, Choices: []string{journal.ChoiceGo, journal.ChoiceNoGo}, Who: "alice"}, StepID: "go"}
	}
	trigger := func(s *journal.State) {
		tr := journal.TriggerPayload{Trigger: runbooks.TriggerRejectRate, Table: "t", Observed: 0.2, Threshold: 0.01}
		s.Pending = &journal.Pending{AwaitingPayload: journal.AwaitingPayload{Kind: journal.AwaitTrigger, Choices: []string{journal.ChoiceContinue, journal.ChoiceRollback}, Who: "alice"}, StepID: "copy", Trigger: &tr}
	}
	ended := func(s *journal.State) { s.Outcome = journal.OutcomeFinished }
	paused := func(s *journal.State) { s.Paused = true }
	cases := []struct {
		name  string
		edit  func(*journal.State)
		cmd   Command
		allow bool
		why   string
	}{
		{"anyone pauses", nil, Command{Kind: CmdPause, Actor: "bob"}, true, ""},
		{"pausing twice", paused, Command{Kind: CmdPause, Actor: "bob"}, false, "already paused"},
		{"anyone resumes a pause", paused, Command{Kind: CmdResume, Actor: "carol"}, true, ""},
		{"resume without a pause", nil, Command{Kind: CmdResume, Actor: "carol"}, false, "not paused"},
		{"the decision-maker aborts", nil, Command{Kind: CmdAbort, Actor: "alice", Text: "x"}, true, ""},
		{"others may not abort", nil, Command{Kind: CmdAbort, Actor: "bob"}, false, "Only alice may abort — you are bob"},
		{"no abort during a rollback", rollingBack, Command{Kind: CmdAbort, Actor: "alice"}, false, "rollback runs to the end"},
		{"nothing after the end", ended, Command{Kind: CmdAbort, Actor: "alice"}, false, "the run has ended"},
		{"skip a pending step", nil, Command{Kind: CmdSkip, Actor: "alice", StepID: "later", Text: "retired"}, true, ""},
		{"skip needs a reason", nil, Command{Kind: CmdSkip, Actor: "alice", StepID: "later"}, false, "needs a reason"},
		{"skip a done step", nil, Command{Kind: CmdSkip, Actor: "alice", StepID: "copy", Text: "x"}, false, "step copy is done"},
		{"others may not skip", nil, Command{Kind: CmdSkip, Actor: "bob", StepID: "later", Text: "x"}, false, "Only alice may skip"},
		{"no skip during a rollback", rollingBack, Command{Kind: CmdSkip, Actor: "alice", StepID: "later", Text: "x"}, false, "rollback runs every step"},
		{"a gate is not skipped", gate, Command{Kind: CmdSkip, Actor: "alice", StepID: "go", Text: "x"}, false, "a gate is answered"},
		{"the decision-maker answers a gate", gate, Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceGo}, true, ""},
		{"others may not answer a gate", gate, Command{Kind: CmdDecide, Actor: "bob", Choice: journal.ChoiceGo}, false, "Only alice may decide"},
		{"not a choice", gate, Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceContinue}, false, "is not one of"},
		{"continue needs a justification", trigger, Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceContinue, Text: "ok"}, false, "justification"},
		{"a limit below the observed", trigger, Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceContinue, Text: "known bad rows", Limit: 0.1}, false, "below what was observed"},
		{"continue with a limit", trigger, Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceContinue, Text: "known bad rows", Limit: 0.3}, true, ""},
		{"retry without a failed step", trigger, Command{Kind: CmdRetry, Actor: "alice"}, false, "nothing to retry"},
		{"confirm with unticked items", rollingBack, Command{Kind: CmdConfirm, Actor: "bob", StepID: "undo"}, false, "item 1 is not ticked"},
		{"anyone ticks", rollingBack, Command{Kind: CmdCheck, Actor: "bob", StepID: "undo", Index: 0}, true, ""},
		{"a note needs text", nil, Command{Kind: CmdNote, Actor: "bob"}, false, "needs text"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := policyState(t, tc.edit)
			why := Permit(&s, tc.cmd)
			if tc.allow != (why == "") || !strings.Contains(why, tc.why) {
				t.Fatalf("Permit = %q; want allowed=%v with %q", why, tc.allow, tc.why)
			}
		})
	}
}

// TestTheEngineRefusesAbortDuringARollback: the rule the console shows is
// the rule the engine applies — an abort sent during a rollback is refused
// and journaled, and the rollback finishes.
func TestTheEngineRefusesAbortDuringARollback(t *testing.T) {
	r := smallRun(t, controlsHeader+`steps:
  - { id: go, kind: gate, question: go? }
rollback:
  - { id: undo, kind: manual }
`, "alice", "")
	done := runAsync(r)
	waitPending(t, r.c, journal.AwaitGate)
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", StepID: "go", Choice: journal.ChoiceNoGo, Text: "the checks failed"})
	waitState(t, r.c, "the rollback's manual step", func(s journal.State) bool {
		return s.RollingBack && s.Pending != nil && s.Pending.StepID == "undo"
	})
	r.c.Send(Command{Kind: CmdAbort, Actor: "alice", Text: "stop everything"})
	waitRefused(t, r.c, 1)
	r.c.Send(Command{Kind: CmdConfirm, Actor: "alice", StepID: "undo"})
	waitOutcome(t, done, journal.OutcomeRolledBack)
	if s := r.c.State(); s.Outcome != journal.OutcomeRolledBack || s.Rollback == nil || !s.Rollback.OK {
		t.Fatalf("outcome %q, rollback %+v", s.Outcome, s.Rollback)
	}
}

// TestAutoDecideIsTheDecisionMakers: --auto-decide in anyone else's name
// stops before the first step and journals nothing of theirs.
func TestAutoDecideIsTheDecisionMakers(t *testing.T) {
	r := smallRun(t, controlsHeader+`steps:
  - { id: go, kind: gate, question: go? }
`, "mallory", journal.ChoiceContinue)
	outcome, err := r.c.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "only alice may decide") {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	if s := r.c.State(); s.LastSeq != 1 || len(s.Decisions) != 0 {
		t.Fatalf("the run went on: %d events, decisions %+v", s.LastSeq, s.Decisions)
	}
}
