package tui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
)

// Focus: tab and shift+tab move between the panes that take keys (the
// rejects pane and the journal); esc leaves. The focused pane's heading is
// marked ▸. In the journal ↑↓ j k PgUp PgDn Home End and the wheel move a
// cursor over the lines, / filters them, enter shows the whole line; on the
// rejects pane enter opens the rejected rows.

// Focusable panes, in tab order.
const (
	focusNone = iota
	focusRejects
	focusJournal
	focusCount
)

var focusNames = map[int]string{focusRejects: "REJECTS", focusJournal: "JOURNAL"}

// focusKeys are the keys of a focused pane.
type focusKeys struct {
	Next, Prev, Leave                       key.Binding
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Filter, Expand, Browse                  key.Binding
}

func newFocusKeys() focusKeys {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return focusKeys{
		Next: b([]string{"tab"}, "tab", "next pane"), Prev: b([]string{"shift+tab"}, "shift+tab", "previous pane"),
		Leave: b([]string{"esc"}, "esc", "leave pane"),
		Up:    b([]string{"up", "k"}, "↑/k", "older line"), Down: b([]string{"down", "j"}, "↓/j", "newer line"),
		PageUp: b([]string{"pgup"}, "pgup", "page up"), PageDown: b([]string{"pgdown"}, "pgdn", "page down"),
		Top: b([]string{"home"}, "home", "oldest"), Bottom: b([]string{"end"}, "end", "newest (follow)"),
		Filter: b([]string{"/"}, "/", "filter lines"), Expand: b([]string{"enter"}, "enter", "whole line"),
		Browse: b([]string{"enter"}, "enter", "rejected rows"),
	}
}

// focusActions is what the keys do on the focused pane; with no focus,
// tab enters the panes.
func (m Model) focusActions() []action {
	k := m.fkeys
	if m.focus == focusNone {
		return []action{allow(relabel(k.Next, "focus panes"), vFocusNext), unlisted(allow(k.Prev, vFocusPrev))}
	}
	out := []action{}
	switch m.focus {
	case focusRejects:
		out = append(out, allow(k.Browse, vRejects))
	case focusJournal:
		out = append(out, allow(k.Expand, vExpand), allow(k.Filter, vFilter), allow(k.Up, vScrollUp), allow(k.Down, vScrollDown),
			unlisted(allow(k.PageUp, vPageUp)), unlisted(allow(k.PageDown, vPageDown)), allow(k.Top, vTop), allow(k.Bottom, vBottom))
	}
	return append(out, allow(k.Next, vFocusNext), unlisted(allow(k.Prev, vFocusPrev)), allow(k.Leave, vLeave))
}

func relabel(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// shadowed disables the actions whose keys a focused pane takes, saying
// so: enter confirms a step only when no pane holds the focus.
func shadowed(focus, rest []action, pane string) []action {
	taken := map[string]bool{}
	for _, a := range focus {
		for _, k := range a.Keys() {
			taken[k] = true
		}
	}
	out := make([]action, 0, len(rest))
	for _, a := range rest {
		if a.Reason == "" && slices.ContainsFunc(a.Keys(), func(k string) bool { return taken[k] }) {
			a = deny(a.Binding, a.do, pane+" has the focus — esc leaves it")
		}
		out = append(out, a)
	}
	return out
}

// doFocus performs a focus action.
func (m Model) doFocus(v verb) Model {
	t := m.tail
	page := max(t.h-2, 1)
	switch v {
	case vFocusNext:
		m.focus = (m.focus + 1) % focusCount
	case vFocusPrev:
		m.focus = (m.focus + focusCount - 1) % focusCount
	case vLeave:
		m.focus = focusNone
	case vScrollUp:
		t.scroll(1)
	case vScrollDown:
		t.scroll(-1)
	case vPageUp:
		t.scroll(page)
	case vPageDown:
		t.scroll(-page)
	case vTop:
		t.scroll(1 << 30)
	case vBottom:
		t.scroll(-(1 << 30))
	case vExpand:
		if line, ok := t.selected(); ok {
			inner := max(dialogWidth(m.c.Width)-4, 10)
			lines := wrap(line, inner) // word-wise; the viewport scrolls what does not fit
			vp := viewport.New(viewport.WithWidth(inner), viewport.WithHeight(min(len(lines), max(m.c.Height-8, 3))))
			vp.SetContentLines(lines)
			m.expanded = &vp
		}
	case vFilter:
		in := textinput.New()
		in.Prompt = "/"
		in.Placeholder = "text in the journal lines"
		in.SetValue(t.filter)
		in.Focus()
		m.tailFilter = &in
	}
	t.focused = m.focus == focusJournal
	m.errs.focused = m.focus == focusRejects
	return m
}

// routeFocusInput gives keys to the journal filter being typed or to the
// expanded line; it reports whether one took msg.
func (m Model) routeFocusInput(msg tea.Msg) (Model, tea.Cmd, bool) {
	if m.tailFilter != nil {
		switch msg := msg.(type) {
		case tea.KeyPressMsg:
			switch msg.String() {
			case "enter":
				m.tail.filter = m.tailFilter.Value()
				m.tail.off = 0
				m.tailFilter = nil
				return m, nil, true
			case "esc":
				m.tailFilter = nil
				return m, nil, true
			}
			in, cmd := m.tailFilter.Update(msg)
			m.tailFilter = &in
			return m, cmd, true
		case tea.PasteMsg:
			in, cmd := m.tailFilter.Update(msg)
			m.tailFilter = &in
			return m, cmd, true
		}
	}
	if m.expanded != nil {
		switch msg := msg.(type) {
		case tea.KeyPressMsg:
			switch msg.String() {
			case "esc", "enter", "q":
				m.expanded = nil
				return m, nil, true
			}
			vp, cmd := m.expanded.Update(msg)
			m.expanded = &vp
			return m, cmd, true
		case tea.MouseWheelMsg:
			vp, cmd := m.expanded.Update(msg)
			m.expanded = &vp
			return m, cmd, true
		}
	}
	if wheel, ok := msg.(tea.MouseWheelMsg); ok && m.top() == nil {
		switch wheel.Button {
		case tea.MouseWheelUp:
			m.tail.scroll(3)
		case tea.MouseWheelDown:
			m.tail.scroll(-3)
		}
		return m, nil, true
	}
	return m, nil, false
}

// expandedView is the whole journal line in a box, scrollable.
func (m Model) expandedView(w int) string {
	st := m.c.Styles
	inner := dialogWidth(w) - 4
	lines := []string{st.DialogTitle.Render(truncate("JOURNAL LINE", inner))}
	lines = append(lines, strings.Split(m.expanded.View(), "\n")...)
	lines = append(lines, "", keyHelp(st, []key.Binding{
		key.NewBinding(key.WithHelp("esc", "close")), key.NewBinding(key.WithHelp("↑↓", "scroll"))}, inner))
	return st.Dialog.Render(fit(lines, inner, len(lines)))
}

// focusTitle marks a focused pane's heading with ▸.
func focusTitle(title string, focused bool) string {
	if focused {
		return "▸ " + title
	}
	return title
}
