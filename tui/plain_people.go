package tui

import (
	"fmt"

	"github.com/tightrope/tightrope/journal"
)

// The lines plain mode prints for what people did: decisions, operator
// controls and notifications.

// decision prints a decision with its justification and any new limit.
func (p *Plain) decision(e journal.Event, s *journal.State, pl journal.DecisionPayload) {
	line := fmt.Sprintf("decision by %s: %s (%s)", e.Actor, pl.Choice, pl.Kind)
	if pl.Trigger != "" {
		line += " on trigger " + pl.Trigger
		if pl.Table != "" {
			line += " for " + pl.Table
		}
	}
	if pl.Limit > 0 {
		if l, ok := limitFor(&journal.TriggerPayload{Trigger: pl.Trigger}); ok {
			what := "a new limit"
			if pl.LimitDefault {
				what = "the default limit (twice the observed)"
			}
			line += " with " + what + " of " + l.format(pl.Limit)
		}
	}
	if pl.Auto {
		line += " [auto-decide]"
	}
	if pl.Justification != "" {
		line += fmt.Sprintf(" — justification: %q", pl.Justification)
	}
	p.line(s, e.At, "%s", line)
}

// control prints an operator control: pause, resume, skip, abort.
func (p *Plain) control(e journal.Event, s *journal.State, c journal.ControlPayload) {
	why := ""
	if c.Reason != "" {
		why = ": " + c.Reason
	}
	switch e.Type {
	case journal.Paused:
		p.line(s, e.At, "PAUSED by %s%s", e.Actor, why)
	case journal.Unpaused:
		p.line(s, e.At, "resumed by %s%s", e.Actor, why)
	case journal.StepSkipped:
		p.line(s, e.At, "%s: SKIPPED by %s%s", e.StepID, e.Actor, why)
	case journal.SkipRequested:
		p.line(s, e.At, "%s: %s asked to skip it when the run reaches it%s", e.StepID, e.Actor, why)
	case journal.Aborted:
		p.line(s, e.At, "ABORTED by %s%s", e.Actor, why)
	}
}

// notified prints one run of a notifier.
func (p *Plain) notified(e journal.Event, s *journal.State, n journal.NotifiedPayload) {
	if n.OK {
		p.line(s, e.At, "notified %s of %s (event %d)", n.Target, n.Event, n.Seq)
	} else {
		p.line(s, e.At, "notify FAILED: %s of %s (event %d): %s", n.Target, n.Event, n.Seq, n.Error)
	}
}
