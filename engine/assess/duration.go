package assess

import (
	"fmt"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// judgeDuration weighs the copies' predicted duration against
// objectives.expected and the overrun trigger: each step the longer of its
// read time (rows over the measured read rate) and its write time (rows
// over the write rate); without a write rate, the read time is a floor and
// the finding says the write rate is unknown.
func (a *assessor) judgeDuration() {
	var total, read, write time.Duration
	known := true
	for _, s := range a.res.Steps {
		total += s.Predicted
		read += s.ReadTime
		write += s.WriteTime
		known = known && s.WriteKnown
	}
	if len(a.res.Steps) == 0 {
		return
	}
	exp := a.o.Runbook.Objectives.Expected
	msg := fmt.Sprintf("the copies would take about %s: the longer of reading (%s at the measured read rate) and writing (%s at the %s)",
		total.Round(time.Millisecond), read.Round(time.Millisecond), write.Round(time.Millisecond), a.writeSource())
	if !known {
		msg = fmt.Sprintf("the copies would take at least %s at the measured read rate; the write rate is unknown (no copy of these tables is recorded in this migration's journals: measure it with assess --measure-write)", total.Round(time.Millisecond))
	}
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

// writeSource says where the write rates came from.
func (a *assessor) writeSource() string {
	measured, recorded := false, false
	for _, t := range a.res.Tables {
		if t.WriteFrom == journal.WriteMeasured {
			measured = true
		} else if t.WriteFrom != "" {
			recorded = true
		}
	}
	switch {
	case measured && recorded:
		return "write rates measured on a scratch table and recorded in the last run"
	case measured:
		return "write rate measured on a scratch table in the target"
	}
	return "write rate of the last recorded copy"
}
