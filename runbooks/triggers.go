package runbooks

import "time"

// The rollback triggers a runbook may watch, by the name it spells them.
const (
	TriggerRejectRate     = "reject_rate"
	TriggerOverrun        = "overrun"
	TriggerVerifyMismatch = "verify_mismatch"
	TriggerCDCLag         = "cdc_lag"
	TriggerStepFailed     = "step_failed"
	TriggerAssessment     = "assessment"
	// TriggerCDCPositionLost and TriggerCDCSchemaChange are always watched.
	TriggerCDCPositionLost = "cdc_position_lost"
	TriggerCDCSchemaChange = "cdc_schema_change"
)

// Unit is what a trigger's observed value and threshold measure.
type Unit string

// Trigger units.
const (
	UnitFraction Unit = "fraction" // 0.001 is 0.1%
	UnitRows     Unit = "rows"
	UnitMillis   Unit = "ms"
	UnitNone     Unit = "" // step_failed: no number to compare
)

// Scope is what one trigger's limit applies to: a "continue" raises the
// limit for that scope only.
type Scope string

// Trigger scopes.
const (
	ScopeTable Scope = "table" // one table of one step
	ScopeRun   Scope = "run"   // the whole run
	ScopeStep  Scope = "step"  // one step
)

// TriggerSpec describes one rollback trigger: its runbook name, the unit of
// its values, the scope of a limit accepted past it and what it means in
// words at a threshold.
type TriggerSpec struct {
	Name  string
	Unit  Unit
	Scope Scope
	Doc   string // one line, for help and lint messages
	// Sentence says, for the review plan, what the trigger at threshold v
	// means for runbook rb (trigger_sentences.go); "" leaves it out of the
	// plan (an always-watched trigger that cannot fire in rb).
	Sentence func(rb *Runbook, v float64, sp Spelling) string
}

// Spelling formats the durations a trigger's sentence quotes. runbooks
// cannot import the human package (it imports runbooks for the trigger
// units), so the caller passes its formatters in.
type Spelling struct {
	Objective func(time.Duration) string // a runbook duration: "1h30m"
	Lag       func(time.Duration) string // a compact duration: "4.2s"
}

// triggerSpecs is the trigger registry, in the order messages list them.
var triggerSpecs = []TriggerSpec{
	{TriggerRejectRate, UnitFraction, ScopeTable, "rows rejected / rows read of a table, judged after each batch", rejectRateSentence},
	{TriggerOverrun, UnitFraction, ScopeRun, "elapsed time / objectives.expected, judged at safe points", overrunSentence},
	{TriggerVerifyMismatch, UnitRows, ScopeTable, "rows that differ between source and target in one table", verifyMismatchSentence},
	{TriggerCDCLag, UnitMillis, ScopeRun, "change-capture lag behind the source", cdcLagSentence},
	{TriggerStepFailed, UnitNone, ScopeStep, "a failed step waits for a decision instead of its on_failure", stepFailedSentence},
	{TriggerAssessment, UnitNone, ScopeStep, "an assess step found a blocker: a predicted reject rate over reject_rate, a duration over expected × overrun, a table the copy cannot fill", assessmentSentence},
	{TriggerCDCPositionLost, UnitNone, ScopeRun, "a change stream cannot resume exactly where the journal says (slot dropped or invalidated, another source, a gap); always watched", cdcPositionLostSentence},
	{TriggerCDCSchemaChange, UnitNone, ScopeRun, "a captured table changed shape mid-stream; apply pauses; always watched", cdcSchemaChangeSentence},
}

// TriggerSpecs lists every trigger this build knows.
func TriggerSpecs() []TriggerSpec { return append([]TriggerSpec(nil), triggerSpecs...) }

// TriggerByName returns the spec of a trigger.
func TriggerByName(name string) (TriggerSpec, bool) {
	for _, t := range triggerSpecs {
		if t.Name == name {
			return t, true
		}
	}
	return TriggerSpec{}, false
}

// Threshold is the runbook's threshold for the named trigger, in the
// trigger's unit, and whether the runbook watches it at all.
func (t Triggers) Threshold(name string) (float64, bool) {
	switch name {
	case TriggerRejectRate:
		if t.RejectRate != nil {
			return *t.RejectRate, true
		}
	case TriggerOverrun:
		if t.Overrun != nil {
			return *t.Overrun, true
		}
	case TriggerVerifyMismatch:
		if t.VerifyMismatch != nil {
			return float64(*t.VerifyMismatch), true
		}
	case TriggerCDCLag:
		if t.CDCLag != nil {
			return float64(t.CDCLag.Milliseconds()), true
		}
	case TriggerStepFailed:
		return 0, t.StepFailed
	case TriggerAssessment:
		return 0, t.Assessment == nil || *t.Assessment
	case TriggerCDCPositionLost, TriggerCDCSchemaChange:
		return 0, true // always watched: a lost position is never skipped in silence
	}
	return 0, false
}
