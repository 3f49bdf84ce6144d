package tui

import (
	"strings"

	"github.com/tightrope/tightrope/journal"
)

// The first frame does not wait for the run: with Options.Initial the
// console starts from the journal's state at once (the runbook, every step
// pending) and says the connections are still opening, until the session's
// first snapshot arrives. The conductor publishes nothing while its
// pre-flight opens the databases, which left the screen blank or empty.

// start shows the initial state before the session's first snapshot.
func (m *Model) start(initial *journal.State) {
	if initial == nil {
		return
	}
	m.state = displayState(*initial)
	m.c.opening = true
	m.fanOut(stateMsg{State: m.state})
}

// openingStatus is the header's status while the connections open.
func (h *headerPane) openingStatus() string {
	st := h.c.Styles
	var names []string
	if rb := h.state.Runbook; rb != nil {
		for _, c := range rb.Connections {
			names = append(names, c.Name)
		}
	}
	text := "⋯ opening connections"
	if len(names) > 0 {
		text += ": " + strings.Join(names, ", ")
	}
	return st.Warn.Render(text + "…")
}
