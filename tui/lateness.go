package tui

import (
	"time"

	"github.com/tightrope/tightrope/journal"
)

// The console sets the run against its plan (journal.ComparePlan, the
// same comparison the report draws): each started step says how late it
// is, or will be at best, and the header says when the run will end at
// this pace against the expected duration and the window.

// plan is the state's comparison with its plan at the console's clock;
// ok is false when the runbook plans no time (no expected anywhere).
func (c *Common) plan(s journal.State) (journal.PlanVsActual, bool) {
	pv := journal.ComparePlan(&s, c.clockAt(s))
	for _, st := range pv.Steps {
		if !st.Rollback && st.PlannedDuration > 0 {
			return pv, true
		}
	}
	return pv, false
}

// lateness words a started step's lateness: "+2m00s late" (projected while
// it runs), "1m00s early" or "on time"; in a narrow pane "+2m00s",
// "-1m00s", "±0". Empty for a step not started or a rollback step, which
// has no plan.
func (c *Common) lateness(p journal.StepPlan, narrow bool) string {
	if p.Rollback || !p.Started {
		return ""
	}
	s := c.Styles
	switch {
	case p.Late >= time.Second && narrow:
		return s.Warn.Render("+" + fmtDur(p.Late))
	case p.Late >= time.Second:
		return s.Warn.Render("+" + fmtDur(p.Late) + " late")
	case p.Late <= -time.Second && narrow:
		return s.Muted.Render("-" + fmtDur(-p.Late))
	case p.Late <= -time.Second:
		return s.Muted.Render(fmtDur(-p.Late) + " early")
	case narrow:
		return s.OK.Render("±0")
	default:
		return s.OK.Render("on time")
	}
}

// pastWindow reports whether the running run is projected to end past its
// window.
func (c *Common) pastWindow(s journal.State) bool {
	if s.Outcome != "" || s.StartedAt.IsZero() {
		return false
	}
	pv, ok := c.plan(s)
	return ok && pv.Window > 0 && pv.ProjectedEnd > pv.Window
}

// projectedEnd is the header's "ends ~0:13:00": when the forward steps end
// at this pace; red past the window, amber past the expected duration.
// Empty once the run ended or when nothing is planned.
func (c *Common) projectedEnd(s journal.State) string {
	if s.Outcome != "" || s.StartedAt.IsZero() {
		return ""
	}
	pv, ok := c.plan(s)
	if !ok {
		return ""
	}
	st := c.Styles
	style := st.Text
	switch {
	case pv.Window > 0 && pv.ProjectedEnd > pv.Window:
		style = st.Danger
	case pv.Expected > 0 && pv.ProjectedEnd > pv.Expected:
		style = st.Warn
	}
	out := st.Muted.Render("ends ~") + style.Render(fmtClock(pv.ProjectedEnd))
	if pv.Window > 0 && pv.ProjectedEnd > pv.Window {
		out += style.Render(" past the window")
	}
	return out
}
