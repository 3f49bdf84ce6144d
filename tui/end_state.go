package tui

import (
	"os"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/tightrope/tightrope/journal"
)

// badge is the header's first word: the mode while the run goes on; once
// it is over, how it ended (FINISHED, ROLLED BACK, FAILED, ABORTED),
// after DRILL, REPLAY or WATCH when so — never LIVE over a finished run.
func (h *headerPane) badge() string {
	st := h.c.Styles
	mode := st.ModeBadge(h.c.Mode)
	drill := "" // a drill's journal watched or replayed is still a drill
	if isDrill(h.c, h.state) && h.c.Mode != ModeDrill {
		drill = st.ModeBadge(ModeDrill) + " "
		mode = drill + mode
	}
	var end string
	switch h.state.Outcome {
	case journal.OutcomeFinished:
		end = st.BadgeFinished.Render("FINISHED")
	case journal.OutcomeRolledBack:
		end = st.BadgeRolledBack.Render("ROLLED BACK")
	case journal.OutcomeFailed:
		end = st.BadgeFailed.Render("FAILED")
	case journal.OutcomeAborted:
		end = st.BadgeFailed.Render("ABORTED")
	case "":
		if !h.closed {
			return mode
		}
		end = st.BadgeRolledBack.Render("STOPPED") // interrupted: resumable from the journal
	default:
		end = st.BadgeFailed.Render(h.state.Outcome)
	}
	if h.c.Mode == ModeLive || h.c.Mode == "" {
		return drill + end
	}
	return mode + " " + end
}

// runOver reports whether the state says the run has ended: panes then
// show final values, not rates and ETAs.
func runOver(s journal.State) bool { return s.Outcome != "" }

// tableThreshold is the reject rate limit in force for a table: the one a
// "continue" raised, else the runbook's; raised says which.
func tableThreshold(s journal.State, table string) (limit float64, watched, raised bool) {
	for i := len(s.Limits) - 1; i >= 0; i-- {
		if l := s.Limits[i]; l.Trigger == "reject_rate" && (l.Table == "" || l.Table == table) {
			return l.Value, true, true
		}
	}
	th, ok := threshold(s)
	return th, ok, false
}

// ring is the terminal bell, once per alarm: a trigger that holds the run
// (each new one by its time), in live and watch; a replay stays quiet.
func (m *Model) ring() tea.Cmd {
	pd := m.state.Pending
	if pd == nil || pd.Kind != journal.AwaitTrigger || m.c.Mode == ModeReplay || pd.Since.Equal(m.rang) {
		return nil
	}
	m.rang = pd.Since
	return tea.Raw("\a")
}

// noColorAlarm makes the alarm unmistakable without colour (NO_COLOR):
// reverse video on the full-width banner, which already carries ⚠.
func noColorAlarm(st *Styles) {
	if os.Getenv("NO_COLOR") == "" {
		return
	}
	st.Alarm = lipgloss.NewStyle().Reverse(true).Bold(true)
	st.BadgeLive = st.BadgeLive.Reverse(true)
}
