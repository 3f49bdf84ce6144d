package journal

import (
	"encoding/json"
	"testing"
	"time"
)

// ev builds an in-memory event for fold tests.
func ev(seq int64, actor, step string, typ Type, payload any) Event {
	b, _ := json.Marshal(payload)
	return Event{Seq: seq, At: time.Unix(seq, 0).UTC(), Actor: actor, StepID: step, Type: typ, Payload: b}
}

const controlRunbook = `version: 1
name: fold
migration_id: M
decision_maker: alice
steps:
  - { id: copy, kind: shell, run: "true" }
  - { id: later, kind: shell, run: "true" }
`

// TestControlStateIsFolded: pause, skip requests, limits by scope, an
// interrupted step and an unanswered trigger all come from events alone.
func TestControlStateIsFolded(t *testing.T) {
	tr := TriggerPayload{Trigger: "reject_rate", Table: "orders", Observed: 0.1, Threshold: 0.01}
	events := []Event{
		ev(1, "alice", "", RunStarted, RunStartedPayload{RunbookText: controlRunbook, Operator: "alice", Mode: ModeLive}),
		ev(2, "bob", "", Paused, ControlPayload{Reason: "locks"}),
		ev(3, "alice", "later", SkipRequested, ControlPayload{Reason: "retired"}),
		ev(4, "alice", "copy", StepStarted, StepStartedPayload{Kind: "shell"}),
		ev(5, "alice", "copy", TriggerFired, tr),
		ev(6, "alice", "copy", Awaiting, AwaitingPayload{Kind: AwaitTrigger, Choices: []string{ChoiceContinue, ChoiceRollback}, Who: "alice"}),
		ev(7, "alice", "copy", Decision, DecisionPayload{Kind: AwaitTrigger, Choice: ChoiceContinue, Trigger: "reject_rate", Table: "orders", Limit: 0.2, LimitDefault: true}),
		ev(8, "alice", "copy", Decision, DecisionPayload{Kind: AwaitTrigger, Choice: ChoiceContinue, Trigger: "overrun", Table: "ignored", Limit: 3}),
		ev(9, "alice", "copy", TriggerFired, tr),
		ev(10, "alice", "copy", Awaiting, AwaitingPayload{Kind: AwaitTrigger, Choices: []string{ChoiceContinue, ChoiceRollback}, Who: "alice"}),
		ev(11, "carol", "", RunResumed, RunResumedPayload{Operator: "carol", FromSeq: 10}),
	}
	s := Fold(events)
	if !s.Paused || s.PausedBy != "bob" {
		t.Errorf("paused %v by %q", s.Paused, s.PausedBy)
	}
	later, _ := s.StepByID("later")
	if later.SkipRequest != "retired" || later.SkipRequestedBy != "alice" {
		t.Errorf("skip request: %+v", later)
	}
	if v, ok := s.Limit("reject_rate", "copy", "orders"); !ok || v != 0.2 {
		t.Errorf("orders limit %g %v", v, ok)
	}
	if _, ok := s.Limit("reject_rate", "copy", "customers"); ok {
		t.Error("a table's limit applies to another table")
	}
	if _, ok := s.Limit("reject_rate", "other-copy", "orders"); ok {
		t.Error("a step's limit applies to another step")
	}
	if v, ok := s.Limit("overrun", "later", "x"); !ok || v != 3 {
		t.Errorf("overrun is run-wide: %g %v", v, ok)
	}
	copyStep, _ := s.StepByID("copy")
	if !copyStep.Interrupted || s.Pending != nil || s.Unanswered == nil || s.Unanswered.Trigger == nil || s.Unanswered.StepID != "copy" {
		t.Fatalf("after the resume: step %+v, pending %+v, unanswered %+v", copyStep, s.Pending, s.Unanswered)
	}
	// The question asked again and answered clears it; skipping honours the
	// request.
	s.Apply(ev(12, "alice", "copy", Awaiting, AwaitingPayload{Kind: AwaitTrigger, Choices: []string{ChoiceContinue}, Who: "alice"}))
	s.Apply(ev(13, "alice", "copy", Decision, DecisionPayload{Kind: AwaitTrigger, Choice: ChoiceRollback, Trigger: "reject_rate", Table: "orders"}))
	s.Apply(ev(14, "alice", "later", StepSkipped, ControlPayload{Reason: "retired"}))
	later, _ = s.StepByID("later")
	if s.Unanswered != nil || later.Status != StatusSkipped || later.SkipRequest != "" {
		t.Errorf("unanswered %+v, later %+v", s.Unanswered, later)
	}
	if c := s.Clone(); len(c.Limits) != 2 {
		t.Errorf("clone lost the limits: %+v", c.Limits)
	}
}
