package tui

import "charm.land/bubbles/v2/key"

// footerLines is the feedback line (after a key) and the key help composed
// from the offered actions: enabled keys first, then disabled ones with the
// reason they are disabled.
func (m Model) footerLines(w int) []string {
	st := m.c.Styles
	if in := m.tailFilter; in != nil {
		in.SetWidth(max(w-30, 10))
		return []string{truncate(in.View(), w), keyHelp(st, []key.Binding{
			key.NewBinding(key.WithHelp("enter", "apply filter")), key.NewBinding(key.WithHelp("esc", "cancel"))}, w)}
	}
	var out []string
	if m.flash != "" {
		style := st.OK
		if m.flashBad {
			style = st.Reason
		}
		mark := "› "
		if m.flashBad {
			mark = "✗ "
		}
		out = append(out, style.Render(truncate(mark+m.flash, w)))
	}
	return append(out, m.keyLine(m.offered(), w, true))
}

// keyLine renders actions as "key desc · key desc", disabled ones struck
// through and followed by their reasons (unless the caller shows them);
// too long, it shortens descriptions, never a key's name, and says "? more"
// (fitKeys).
func (m Model) keyLine(actions []action, w int, reasonsToo bool) string {
	var items []helpItem
	for _, a := range actions {
		if a.quiet {
			continue
		}
		h := a.Help()
		items = append(items, helpItem{key: h.Key, desc: h.Desc, reason: a.Reason})
	}
	d := m.top()
	return fitKeys(m.c.Styles, items, w, reasonsToo, d == nil || !d.hasInput)
}
