package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// stepsPane lists the runbook steps with their status and durations, and
// the rollback procedure in its own section.
type stepsPane struct {
	stateFrame
	c    *Common
	late map[string]journal.StepPlan // step id → planned vs actual, set by lines (lateness.go)
}

func newSteps(c *Common) *stepsPane {
	p := &stepsPane{c: c}
	p.render = p.lines
	p.want = p.wantLines
	return p
}

// glyph is a step status as a glyph and the style to draw it in.
func (p *stepsPane) glyph(status string) string {
	st := p.c.Styles
	switch status {
	case journal.StatusDone:
		return st.OK.Render("✓")
	case journal.StatusFailed:
		return st.Danger.Render("✗")
	case journal.StatusRunning:
		return st.Accent.Render("▶")
	case journal.StatusWaiting:
		return st.Attention.Render("⏸")
	case journal.StatusSkipped:
		return st.Muted.Render("↷")
	default:
		return st.Muted.Render("·")
	}
}

// stepsShape is how the pane shares h lines out: the main steps, the
// rollback steps, whether the rollback section is folded to one line, and
// how many lines the main steps get.
type stepsShape struct {
	main, rb   []journal.StepState
	done       int
	rbActive   bool
	rbFolded   bool
	rbLines    int // lines of the rollback section
	mainBudget int
}

func (p *stepsPane) shape(h int) stepsShape {
	s := p.state
	var sh stepsShape
	for _, st := range s.Steps {
		if st.Rollback {
			sh.rb = append(sh.rb, st)
			continue
		}
		sh.main = append(sh.main, st)
		if st.Status == journal.StatusDone {
			sh.done++
		}
	}
	// The rollback section is one line unless it is running or there is room.
	sh.rbActive = s.RollingBack || s.Rollback != nil
	for _, st := range sh.rb {
		sh.rbActive = sh.rbActive || st.Status != journal.StatusPending
	}
	if len(sh.rb) > 0 {
		sh.rbLines = 1 + len(sh.rb)
		if !sh.rbActive && 1+len(sh.main)+sh.rbLines > h {
			sh.rbFolded, sh.rbLines = true, 1
		}
	}
	sh.mainBudget = h - 1 - sh.rbLines
	if sh.rbActive {
		// While rolling back the rollback steps matter most.
		sh.mainBudget = max(h-1-sh.rbLines, min(len(sh.main), 2))
	}
	return sh
}

// wantLines is the pane's natural height, counted as lines renders it at
// manyLines, without rendering a step: the layout asks it on every update.
func (p *stepsPane) wantLines(int) int {
	if len(p.state.Steps) == 0 {
		return 2
	}
	sh := p.shape(manyLines)
	return 1 + min(len(sh.main), max(sh.mainBudget, 0)) + sh.rbLines
}

func (p *stepsPane) lines(w, h int) []string {
	s := p.state
	sh := p.shape(h)
	out := []string{heading(p.c.Styles, "STEPS", w, p.c.Styles.Muted.Render(fmt.Sprintf("%d/%d done", sh.done, len(sh.main))))}
	if len(s.Steps) == 0 {
		return append(out, p.c.Styles.Muted.Render("waiting for the run to start…"))
	}
	now := p.c.clockAt(s)
	focus := focusStepID(s)
	p.late = nil
	if pv, ok := p.c.plan(s); ok {
		p.late = make(map[string]journal.StepPlan, len(pv.Steps))
		for _, sp := range pv.Steps {
			p.late[sp.ID] = sp
		}
	}
	var rbLines []string
	switch {
	case sh.rbFolded:
		ids := make([]string, len(sh.rb))
		for i, st := range sh.rb {
			ids[i] = st.ID
		}
		rbLines = []string{p.c.Styles.Section.Render("ROLLBACK ") +
			p.c.Styles.Muted.Render(fmt.Sprintf("%d steps ready: %s", len(sh.rb), strings.Join(ids, ", ")))}
	case len(sh.rb) > 0:
		rbLines = []string{heading(p.c.Styles, "ROLLBACK", w, p.c.Styles.Muted.Render(p.c.strategy(s)))}
		for _, st := range sh.rb {
			rbLines = append(rbLines, p.line(st, w, now, focus))
		}
	}
	out = append(out, p.window(sh.main, w, sh.mainBudget, now, focus)...)
	return append(out, rbLines...)
}

// window lists steps in at most n lines, keeping the focused step in view
// and saying how many are hidden above and below.
func (p *stepsPane) window(steps []journal.StepState, w, n int, now time.Time, focus string) []string {
	if n <= 0 {
		return nil
	}
	if len(steps) <= n {
		out := make([]string, len(steps))
		for i, st := range steps {
			out[i] = p.line(st, w, now, focus)
		}
		return out
	}
	fi := 0
	for i, st := range steps {
		if st.ID == focus {
			fi = i
		}
	}
	start := min(max(fi-n/2, 0), len(steps)-n)
	end := start + n
	out := make([]string, 0, n)
	for i := start; i < end; i++ {
		switch {
		case n >= 3 && i == start && start > 0:
			out = append(out, p.c.Styles.Muted.Render(fmt.Sprintf("  ⋮ %d above", start+1)))
		case n >= 3 && i == end-1 && end < len(steps):
			out = append(out, p.c.Styles.Muted.Render(fmt.Sprintf("  ⋮ %d more", len(steps)-end+1)))
		default:
			out = append(out, p.line(steps[i], w, now, focus))
		}
	}
	return out
}

// line is one step: glyph, title, kind, duration against expected.
func (p *stepsPane) line(st journal.StepState, w int, now time.Time, focus string) string {
	s := p.c.Styles
	title := st.Title
	if title == "" {
		title = st.ID
	}
	titleStyle := s.Text
	switch {
	case st.ID == focus:
		titleStyle = s.Bold
	case st.Status == journal.StatusPending || st.Status == journal.StatusSkipped:
		titleStyle = s.Muted
	}
	left := p.glyph(st.Status) + " " + titleStyle.Render(title)
	var right string
	if !st.StartedAt.IsZero() {
		d := stepDuration(st, now)
		ds := s.Text
		if st.Expected > 0 && d > st.Expected {
			ds = s.Warn
		}
		right = ds.Render(fmtDur(d))
		if st.Expected > 0 {
			right += s.Muted.Render("/" + fmtObjective(st.Expected))
		}
	} else if st.Expected > 0 {
		right = s.Muted.Render("~" + fmtObjective(st.Expected))
	}
	if l := p.c.lateness(p.late[st.ID], w < 60); l != "" && !st.Rollback {
		right += " " + l
	}
	if st.Attempts > 1 {
		right = s.Warn.Render(fmt.Sprintf("#%d ", st.Attempts)) + right
	}
	if w >= 44 && st.Kind != "" {
		right = strings.TrimSuffix(s.Muted.Render(st.Kind)+" "+right, " ")
	}
	return spread(left, right, w)
}

// stepDuration is how long a step ran, or has been running at now.
func stepDuration(st journal.StepState, now time.Time) time.Duration {
	if st.StartedAt.IsZero() {
		return 0
	}
	end := st.FinishedAt
	if end.IsZero() {
		end = now
	}
	return max(end.Sub(st.StartedAt), 0)
}

// strategy names the runbook's rollback strategy.
func (c *Common) strategy(s journal.State) string {
	if s.Runbook == nil || s.Runbook.Strategy == "" {
		return ""
	}
	return "strategy " + s.Runbook.Strategy
}
