package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
)

// The console has two layers above the dialogs: the rejects browser (e)
// and the help overlay (?). Neither touches the dialog stack, so closing
// them returns to a decision exactly as it was left, typed text included.

// rejectSource opens the journal's rejects once, on first use.
func (m Model) rejectSource() (RejectSource, string) {
	c := m.c
	if c.rejects != nil {
		return c.rejects, ""
	}
	if c.journalPath == "" {
		return nil, "no journal to read the rejected rows from"
	}
	r, err := journal.OpenRejects(c.journalPath)
	if err != nil {
		return nil, err.Error()
	}
	c.rejects = r
	return r, ""
}

// openBrowser shows the rejects browser.
func (m Model) openBrowser() Model {
	src, why := m.rejectSource()
	m.browser = openRejects(m.c, src, m.state)
	if why != "" {
		m.browser.err = why
	}
	m.help = false
	return m
}

// browserRows is the height the browser's table gets on this screen.
func (m Model) browserRows() int {
	return m.browser.pageRows(m.body.w, m.overlayHeight())
}

// overlayHeight is the screen under the header and the banner: an alarm
// stays in view while the rejects browser is open.
func (m Model) overlayHeight() int {
	return max(m.body.h-m.body.header-m.body.banner, 0)
}

// routeOverlay gives a key, a paste or the wheel to the help overlay or the
// rejects browser when one is open; it reports whether one took it.
func (m Model) routeOverlay(msg tea.Msg) (Model, tea.Cmd, bool) {
	if m.help {
		if _, ok := msg.(tea.KeyPressMsg); ok {
			m.help = false // any key closes the help
			return m, nil, true
		}
	}
	if m.browser == nil {
		return m, nil, false
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+c" { // leaves the browser and does what it does everywhere
			m.browser = nil
			return m, nil, false
		}
		if msg.String() == "?" && !m.browser.filtering {
			m.help = true
			return m, nil, true
		}
		closed, cmd := m.browser.Update(msg, m.browserRows())
		if closed {
			m.browser = nil
		}
		return m, cmd, true
	case tea.MouseWheelMsg, tea.PasteMsg:
		_, cmd := m.browser.Update(msg, m.browserRows())
		return m, cmd, true
	}
	return m, nil, false
}

// overlaysView draws the rejects browser under the header and banner, and
// the help overlay over everything.
func (m Model) overlaysView(screen string) string {
	L := m.body
	if m.browser != nil {
		lines := strings.Split(screen, "\n")
		top := min(L.header+L.banner, len(lines))
		b := m.browser.View(L.w, m.overlayHeight())
		screen = fit(append(lines[:top:top], strings.Split(b, "\n")...), L.w, L.h)
	}
	if m.expanded != nil {
		screen = m.overlayBox(screen, m.expandedView(L.w))
	}
	if m.assessed != nil {
		screen = m.overlayBox(screen, m.assessView())
	}
	if m.help {
		screen = m.overlayBox(screen, m.helpView(L.w))
	}
	if m.card != nil {
		screen = m.overlayBox(screen, m.scorecardView())
	}
	return screen
}

// helpActions is every key the current situation offers, enabled or not.
func (m Model) helpActions() []helpItem {
	var out []helpItem
	if b := m.browser; b != nil {
		k := b.keys
		for _, kb := range []key.Binding{k.Close, k.Filter, k.Expand, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom} {
			h := kb.Help()
			out = append(out, helpItem{key: h.Key, desc: h.Desc})
		}
		out = append(out, helpItem{key: "wheel", desc: "scroll"})
		return out
	}
	for _, a := range m.offered() {
		h := a.Help()
		out = append(out, helpItem{key: h.Key, desc: h.Desc, reason: a.Reason})
	}
	return out
}

// helpView is the help overlay: one line per key, and why a disabled key
// is unavailable.
func (m Model) helpView(w int) string {
	st := m.c.Styles
	inner := dialogWidth(w) - 4
	if inner < 10 {
		return ""
	}
	title := "KEYS"
	if m.browser != nil {
		title = "KEYS · REJECTED ROWS"
	} else if d := m.top(); d != nil {
		title = "KEYS · THIS DIALOG"
	}
	lines := []string{st.DialogTitle.Render(title)}
	keyW := 0
	items := m.helpActions()
	for _, it := range items {
		keyW = max(keyW, width(it.key))
	}
	for _, it := range items {
		k := padRight(it.key, keyW)
		if it.reason == "" {
			lines = append(lines, truncate(st.Key.Render(k)+"  "+st.KeyDesc.Render(it.desc), inner))
			continue
		}
		first := st.KeyDisabled.Render(k) + "  " + st.KeyDisabled.Render(it.desc) + st.Reason.Render(" — unavailable: ")
		for i, l := range wrap(first+st.Reason.Render(safetext.Line(it.reason)), inner) {
			if i > 0 {
				l = strings.Repeat(" ", keyW+2) + l
			}
			lines = append(lines, truncate(l, inner))
		}
	}
	lines = append(lines, "", st.Muted.Render(truncate("any key closes this help", inner)))
	return st.Dialog.Render(fit(lines, inner, len(lines)))
}

// overlayBox centres a box over the screen.
func (m Model) overlayBox(screen, box string) string {
	L := m.body
	if box == "" {
		return screen
	}
	bw, bh := width(box), lipgloss.Height(box)
	if bh > L.h {
		box = fit(strings.Split(box, "\n"), bw, L.h)
		bh = L.h
	}
	x := max((L.w-bw)/2, 0)
	y := max((L.h-bh)/2, 0)
	return lipgloss.NewCompositor(lipgloss.NewLayer(screen), lipgloss.NewLayer(box).X(x).Y(y).Z(2)).Render()
}
