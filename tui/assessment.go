package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/engine/assess"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
)

// When a run's assess step journals its assessment (or a journal of
// tightrope assess is watched or replayed), the console shows its summary
// — findings by grade, each table's predicted rejects, the copies'
// predicted durations, the snapshots' sizes and restore times — in a box
// over the screen, the same lines plain mode prints (assess.Lines). It
// opens by itself once per assessment, so the decision-maker reads it
// before the assessment trigger's decision; a closes and reopens it.

// assessBox is the open assessment overlay.
type assessBox struct {
	seq   int64    // the assessment's event, so it opens by itself once
	title string   // the verdict
	bad   bool     // a blocker was found
	lines []string // the summary, already safe
	top   int      // the first line shown
}

// assessmentLines is the overlay of the state's assessment: its verdict
// as the title, and the summary lines without the verdict line.
func assessmentLines(s journal.State) *assessBox {
	a := s.Assessment
	if a == nil {
		return nil
	}
	verdict := "no blocker"
	if a.Blocked() {
		verdict = fmt.Sprintf("%d BLOCKER(S)", a.Counts[journal.GradeBlocker])
	}
	title := fmt.Sprintf("assessment · %s · %d warning(s) · %d note(s)", verdict, a.Counts[journal.GradeWarning], a.Counts[journal.GradeNote])
	if s.AssessedStep != "" {
		title = s.AssessedStep + " " + title
	}
	lines := assess.Lines(a)
	if len(lines) > 0 {
		lines = lines[:len(lines)-1] // the verdict is the title
	}
	return &assessBox{seq: s.AssessedSeq, title: safetext.Line(title), bad: a.Blocked(), lines: lines}
}

// followAssessment opens the overlay the first time a new assessment is in
// the state, and keeps an open one showing the latest.
func (m Model) followAssessment() Model {
	if m.state.Assessment == nil || m.state.AssessedSeq == m.assessSeen {
		return m
	}
	m.assessSeen = m.state.AssessedSeq
	m.assessed = assessmentLines(m.state)
	m.help = false
	return m
}

// toggleAssessment opens the overlay of the state's assessment.
func (m Model) toggleAssessment() Model {
	m.assessed = assessmentLines(m.state)
	m.help = false
	return m
}

// assessActions offers the assessment key when the state holds one.
func (m Model) assessActions() []action {
	if m.state.Assessment == nil {
		return nil
	}
	return []action{allow(m.c.Keys.Assess, vAssess)}
}

// routeAssessment gives a key to the open overlay: the arrows and pages
// scroll it, q and ctrl+c close it and go on, any other key closes it. It
// reports whether the overlay took the key.
func (m Model) routeAssessment(msg tea.Msg) (Model, bool) {
	k, ok := msg.(tea.KeyPressMsg)
	if m.assessed == nil || !ok {
		return m, false
	}
	rows := m.assessRows()
	body := len(m.assessBody())
	switch k.String() {
	case "up", "k":
		m.assessed.top = max(m.assessed.top-1, 0)
	case "down", "j":
		m.assessed.top = min(m.assessed.top+1, max(body-rows, 0))
	case "pgup":
		m.assessed.top = max(m.assessed.top-rows, 0)
	case "pgdown", "space":
		m.assessed.top = min(m.assessed.top+rows, max(body-rows, 0))
	case "q", "ctrl+c":
		m.assessed = nil
		return m, false
	default:
		m.assessed = nil
	}
	return m, true
}

// assessInner is the width of the overlay's text inside its box.
func (m Model) assessInner() int { return min(m.body.w-6, 110) }

// assessRows is how many lines fit: the box's border, padding, title and
// key line take 5, and a row is left above and below.
func (m Model) assessRows() int { return max(m.body.h-7, 1) }

// assessBody is the summary wrapped to the box, a continuation indented
// under its line.
func (m Model) assessBody() []string {
	inner := m.assessInner()
	var body []string
	for _, l := range m.assessed.lines {
		l = safetext.Line(l)
		if width(l) <= inner {
			body = append(body, l)
			continue
		}
		indent := len(l) - len(strings.TrimLeft(l, " ")) + 2
		for i, w := range wrap(strings.TrimLeft(l, " "), inner-indent) {
			pad := indent
			if i == 0 {
				pad = indent - 2
			}
			body = append(body, strings.Repeat(" ", pad)+w)
		}
	}
	return body
}

// assessView is the overlay: the verdict, the summary, how to leave.
func (m Model) assessView() string {
	st, inner := m.c.Styles, m.assessInner()
	if m.assessed == nil || inner < 20 {
		return ""
	}
	body := m.assessBody()
	style := st.OK
	if m.assessed.bad {
		style = st.Danger
	}
	rows := m.assessRows()
	top := min(m.assessed.top, max(len(body)-rows, 0))
	shown := body[top:min(top+rows, len(body))]
	lines := []string{style.Render(truncate(m.assessed.title, inner))}
	lines = append(lines, shown...)
	keys := "esc closes · a reopens"
	if len(body) > rows {
		keys = fmt.Sprintf("lines %d–%d of %d · ↑↓ pgup pgdn scroll · ", top+1, top+len(shown), len(body)) + keys
	}
	lines = append(lines, "", st.Muted.Render(truncate(keys, inner)))
	return st.Dialog.Render(fit(lines, inner, len(lines)))
}
