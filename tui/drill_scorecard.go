package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/engine/drill/scorecard"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
)

// At the end of a drill the console shows its scorecard — the fold of the
// drill's journal (engine/drill/scorecard), the same lines plain mode
// prints — in a box over the final screen, before the console closes.
// The operator reads it, scrolls it when the screen is short, and
// dismisses it; the run's final screen is underneath.

// scorecardMsg carries the scored drill, read from the journal once the
// session is over.
type scorecardMsg struct {
	lines []string
	err   string
}

// drillCard is the open scorecard overlay.
type drillCard struct {
	lines []string // the scorecard's lines, already safe (scorecard.Lines)
	top   int      // the first line shown
}

// isDrill reports whether the console shows a drill: run as one, or a
// drill's journal replayed or watched (the fold's Mode).
func isDrill(c *Common, s journal.State) bool {
	return c.Mode == ModeDrill || s.Mode == journal.ModeDrill
}

// loadScorecard scores the drill from its journal when the session ends.
// Only the drill's own console does: a watcher or a replay has the report.
func (m Model) loadScorecard() tea.Cmd {
	if m.c.Mode != ModeDrill || m.c.journalPath == "" {
		return nil
	}
	path := m.c.journalPath
	return func() tea.Msg {
		card, err := scorecard.FromJournal(path)
		if err != nil {
			return scorecardMsg{err: err.Error()}
		}
		return scorecardMsg{lines: card.Lines()}
	}
}

// openScorecard opens the overlay over whatever else is open.
func (m Model) openScorecard(msg scorecardMsg) Model {
	lines := msg.lines
	if msg.err != "" {
		lines = []string{"DRILL scorecard · could not read the journal: " + safetext.Line(msg.err)}
	}
	m.card = &drillCard{lines: lines}
	m.help = false
	return m
}

// routeScorecard gives a key to the open scorecard: the arrows and pages
// scroll it, q and ctrl+c close it and go on to quit, any other key closes
// it. It reports whether the scorecard took the key.
func (m Model) routeScorecard(msg tea.Msg) (Model, bool) {
	k, ok := msg.(tea.KeyPressMsg)
	if m.card == nil || !ok {
		return m, false
	}
	rows := m.scorecardRows()
	switch k.String() {
	case "up", "k":
		m.card.top = max(m.card.top-1, 0)
	case "down", "j":
		m.card.top = min(m.card.top+1, max(len(m.card.lines)-rows, 0))
	case "pgup":
		m.card.top = max(m.card.top-rows, 0)
	case "pgdown", "space":
		m.card.top = min(m.card.top+rows, max(len(m.card.lines)-rows, 0))
	case "q", "ctrl+c":
		m.card = nil
		return m, false
	default:
		m.card = nil
	}
	return m, true
}

// scorecardInner is the width of the scorecard's text inside its box.
func (m Model) scorecardInner() int { return min(m.body.w-6, 110) }

// scorecardRows is how many of the scorecard's lines fit on the screen:
// the box's border, padding, title and key line take 5.
func (m Model) scorecardRows() int { return max(m.body.h-7, 1) }

// scorecardView is the scorecard box: its title, the lines (wrapped to
// the box, a continuation indented), and how to leave it.
func (m Model) scorecardView() string {
	st, inner := m.c.Styles, m.scorecardInner()
	if m.card == nil || inner < 20 {
		return ""
	}
	var body []string
	const label = 13 // "  detected   ": the lines' labels, kept as a margin
	for _, l := range m.card.lines[1:] {
		l = safetext.Line(l)
		if len(l) <= label || width(l) <= inner {
			body = append(body, l)
			continue
		}
		for i, w := range wrap(l[label:], inner-label) {
			if i == 0 {
				w = l[:label] + w
			} else {
				w = strings.Repeat(" ", label) + w
			}
			body = append(body, w)
		}
	}
	title := m.card.lines[0]
	style := st.OK
	if strings.HasSuffix(title, "FAIL") || strings.Contains(title, "could not") {
		style = st.Danger
	}
	rows := m.scorecardRows()
	top := min(m.card.top, max(len(body)-rows, 0))
	shown := body[top:min(top+rows, len(body))]
	lines := []string{st.BadgeDrill.Render("DRILL") + " " + style.Render(truncate(safetext.Line(strings.TrimPrefix(title, "DRILL ")), inner-6))}
	lines = append(lines, shown...)
	keys := "esc closes · q quits"
	if len(body) > rows {
		keys = fmt.Sprintf("lines %d–%d of %d · ↑↓ pgup pgdn scroll · ", top+1, top+len(shown), len(body)) + keys
	}
	lines = append(lines, "", st.Muted.Render(truncate(keys, inner)))
	return st.Dialog.Render(fit(lines, inner, len(lines)))
}
