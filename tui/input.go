package tui

import (
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// lineInput is a one-line text field for notes, justifications, limits and
// typed confirmations: bubbles' textinput (word-wise editing, paste, the
// keys other Charm apps use), drawn in the console's styles with a steady
// cursor.
type lineInput struct {
	ti   textinput.Model
	blur bool // another field has the focus: no cursor drawn
}

func newLineInput(placeholder string, limit int) lineInput {
	ti := textinput.New()
	ti.Prompt = ""
	ti.Placeholder = placeholder
	ti.CharLimit = limit
	ti.Focus()
	return lineInput{ti: ti}
}

// Value is the text typed so far.
func (in lineInput) Value() string { return in.ti.Value() }

// Update edits the field for a key press or a paste. The cursor does not
// blink, so the blink commands are not needed.
func (in *lineInput) Update(msg tea.Msg) {
	in.ti, _ = in.ti.Update(msg)
}

// View renders the field in w cells, scrolled so the cursor stays visible.
func (in lineInput) View(w int, st *Styles) string {
	if w < 2 {
		return ""
	}
	ti := in.ti
	s := ti.Styles()
	s.Focused.Text, s.Blurred.Text = st.Input, st.Input
	s.Focused.Placeholder, s.Blurred.Placeholder = st.Placeholder, st.Placeholder
	s.Cursor.Blink = false
	ti.SetStyles(s)
	ti.SetWidth(w - 1) // one cell for the cursor
	if in.blur {
		ti.Blur()
	}
	return truncate(ti.View(), w)
}
