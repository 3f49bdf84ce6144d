package journal

import (
	"time"

	"github.com/tightrope/tightrope/runbooks"
)

// SkipRequested records that the decision-maker asked for a step that has
// not started to be skipped (ControlPayload, Reason). The walk honours it
// when it reaches the step — in this process or, after a crash, the next.
const SkipRequested Type = "skip_requested"

// LimitRecord is a trigger threshold in force, set by a "continue" past
// the trigger. Step and Table are empty when the trigger's scope does not
// include them (overrun applies to the whole run).
type LimitRecord struct {
	Trigger string
	Step    string
	Table   string
	Value   float64
	Default bool // twice the observed value: the decision-maker typed none
	By      string
	At      time.Time
	Seq     int64
}

// limitKey normalises a trigger's scope: only the parts its scope names
// take part in the match.
func limitKey(trigger, step, table string) (string, string, string) {
	spec, _ := runbooks.TriggerByName(trigger)
	switch spec.Scope {
	case runbooks.ScopeRun:
		return trigger, "", ""
	case runbooks.ScopeStep:
		return trigger, step, ""
	}
	return trigger, step, table
}

// Limit returns the threshold a "continue" left in force for a trigger in
// the given step and table, if any; otherwise the runbook's applies.
func (s *State) Limit(trigger, step, table string) (float64, bool) {
	tr, st, tb := limitKey(trigger, step, table)
	for i := len(s.Limits) - 1; i >= 0; i-- {
		l := s.Limits[i]
		if l.Trigger == tr && l.Step == st && l.Table == tb {
			return l.Value, true
		}
	}
	return 0, false
}

// setLimit folds the limit a continue decision carries.
func (s *State) setLimit(e Event, p DecisionPayload) {
	if p.Kind != AwaitTrigger || p.Choice != ChoiceContinue || p.Trigger == "" || p.Limit <= 0 {
		return
	}
	tr, st, tb := limitKey(p.Trigger, e.StepID, p.Table)
	s.Limits = append(s.Limits, LimitRecord{
		Trigger: tr, Step: st, Table: tb, Value: p.Limit, Default: p.LimitDefault,
		By: e.Actor, At: e.At, Seq: e.Seq,
	})
}

// StepByID returns the state of a runbook step (not a rollback step).
func (s *State) StepByID(id string) (StepState, bool) { return s.StepOf(id, false) }

// StepOf returns the state of a runbook step, or of a rollback step.
func (s *State) StepOf(id string, rollback bool) (StepState, bool) {
	for _, st := range s.Steps {
		if st.ID == id && st.Rollback == rollback {
			return st, true
		}
	}
	return StepState{ID: id, Status: StatusPending}, false
}
