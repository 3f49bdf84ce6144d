package assess

import (
	"fmt"
	"time"

	"github.com/tightrope/tightrope/runbooks"
)

// judgeDuration weighs the copies' predicted duration (rows over the
// measured read rate: a floor, since writing is not measured) against
// objectives.expected and the overrun trigger.
func (a *assessor) judgeDuration() {
	var total time.Duration
	for _, s := range a.res.Steps {
		total += s.Predicted
	}
	if len(a.res.Steps) == 0 {
		return
	}
	exp := a.o.Runbook.Objectives.Expected
	msg := fmt.Sprintf("the copies would take at least %s at the measured read rate (writes not measured)", total.Round(time.Millisecond))
	f := Finding{Grade: Note, Message: msg}
	if exp > 0 {
		f.Message += fmt.Sprintf(" against %s expected", exp)
		limit := exp
		if th, ok := a.o.Runbook.Triggers.Threshold(runbooks.TriggerOverrun); ok {
			limit = time.Duration(float64(exp) * th)
			if total > limit {
				f.Grade, f.Trigger = Blocker, runbooks.TriggerOverrun
				f.Message += fmt.Sprintf(", over the overrun limit of %s", limit)
			}
		}
		if f.Grade == Note && total > exp {
			f.Grade = Warning
		}
	}
	a.add(f)
}
