package tui

import (
	"slices"
	"strings"
)

// footerLines is the feedback line (after a key) and the key help composed
// from the offered actions: enabled keys first, then disabled ones with the
// reason they are disabled.
func (m Model) footerLines(w int) []string {
	st := m.c.Styles
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
// through and followed by their reasons (unless the caller shows them).
func (m Model) keyLine(actions []action, w int, reasonsToo bool) string {
	st := m.c.Styles
	var on, off []string
	var reasons []string
	for _, a := range actions {
		h := a.Help()
		if a.quiet {
			continue
		}
		if a.Reason == "" {
			on = append(on, st.Key.Render(h.Key)+" "+st.KeyDesc.Render(h.Desc))
			continue
		}
		off = append(off, st.KeyDisabled.Render(h.Key+" "+h.Desc))
		if !slices.Contains(reasons, a.Reason) {
			reasons = append(reasons, a.Reason)
		}
	}
	sep := st.Muted.Render(" · ")
	line := strings.Join(on, sep)
	if len(off) > 0 {
		if line != "" {
			line += st.Muted.Render("   ")
		}
		line += strings.Join(off, sep)
		if reasonsToo {
			line += " " + st.Reason.Render("("+strings.Join(reasons, "; ")+")")
		}
	}
	return truncate(line, w)
}
