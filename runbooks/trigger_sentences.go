package runbooks

import (
	"fmt"
	"strconv"
	"time"
)

// The sentences of the trigger registry (triggerSpecs): what each trigger
// at its threshold means, for the stakeholder review plan.

// spellFraction spells a fraction as the runbook does: 0.001 → "0.1%".
func spellFraction(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + "%" }

func rejectRateSentence(_ *Runbook, v float64, _ Spelling) string {
	return fmt.Sprintf("Roll back if more than %s of any table's rows are rejected (judged after each batch).", spellFraction(v))
}

func overrunSentence(rb *Runbook, v float64, sp Spelling) string {
	s := fmt.Sprintf("Roll back if the run takes longer than %s of the expected duration", spellFraction(v))
	if e := rb.Objectives.Expected; e > 0 {
		s += fmt.Sprintf(" (%s of %s)", sp.Objective(time.Duration(float64(e)*v).Round(time.Second)), sp.Objective(e))
	}
	return s + "."
}

func verifyMismatchSentence(_ *Runbook, v float64, _ Spelling) string {
	if v == 0 {
		return "Roll back if a single row differs between source and target after the copy."
	}
	return fmt.Sprintf("Roll back if more than %g rows of a table differ between source and target after the copy.", v)
}

func cdcLagSentence(_ *Runbook, v float64, sp Spelling) string {
	return fmt.Sprintf("Roll back if change capture falls more than %s behind the source.", sp.Lag(time.Duration(v)*time.Millisecond))
}

func stepFailedSentence(*Runbook, float64, Spelling) string {
	return "Decide whether to roll back whenever a step fails (instead of its on_failure policy)."
}

func assessmentSentence(*Runbook, float64, Spelling) string {
	return "Decide before a row moves when an assess step predicts a blocker (rejects over the reject rate, a copy over the overrun, a restore over the RTO)."
}

// The change-stream triggers are always watched; a plan names them only
// when a step captures changes.

func cdcPositionLostSentence(rb *Runbook, _ float64, _ Spelling) string {
	if !capturesChanges(rb) {
		return ""
	}
	return "Stop for a decision if a change stream cannot resume exactly where the journal says (its slot dropped or invalidated, another source, a gap): apply pauses; continuing never applies past the gap, so the captured tables must be copied again."
}

func cdcSchemaChangeSentence(rb *Runbook, _ float64, _ Spelling) string {
	if !capturesChanges(rb) {
		return ""
	}
	return "Stop for a decision if a captured table changes shape mid-stream: apply pauses, and nothing of the new shape is applied."
}

// capturesChanges says whether a step of rb starts a change stream.
func capturesChanges(rb *Runbook) bool {
	for _, st := range rb.Steps {
		if st.Kind == KindCDCStart {
			return true
		}
	}
	return false
}
