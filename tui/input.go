package tui

import (
	"unicode"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// lineInput is a one-line text field with just the editing a note or a
// justification needs. (bubbles/textinput would pull a clipboard module
// this module does not carry; a field that cannot paste from the system
// clipboard on its own is fine here, terminals paste via PasteMsg.)
type lineInput struct {
	keys        *KeyMap
	placeholder string
	value       []rune
	pos         int  // cursor, in runes
	limit       int  // max runes; 0 = no limit
	blur        bool // another field has the focus: no cursor drawn
}

func newLineInput(keys *KeyMap, placeholder string, limit int) lineInput {
	return lineInput{keys: keys, placeholder: placeholder, limit: limit}
}

// Value is the text typed so far.
func (in lineInput) Value() string { return string(in.value) }

// Update edits the field for a key press or a paste.
func (in *lineInput) Update(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		in.insert(msg.Content)
	case tea.KeyPressMsg:
		k := in.keys
		switch {
		case key.Matches(msg, k.Left):
			in.pos = max(in.pos-1, 0)
		case key.Matches(msg, k.Right):
			in.pos = min(in.pos+1, len(in.value))
		case key.Matches(msg, k.LineStart):
			in.pos = 0
		case key.Matches(msg, k.LineEnd):
			in.pos = len(in.value)
		case key.Matches(msg, k.Backspace):
			if in.pos > 0 {
				in.value = append(in.value[:in.pos-1], in.value[in.pos:]...)
				in.pos--
			}
		case key.Matches(msg, k.Delete):
			if in.pos < len(in.value) {
				in.value = append(in.value[:in.pos], in.value[in.pos+1:]...)
			}
		case key.Matches(msg, k.DeleteWord):
			start := in.pos
			for start > 0 && unicode.IsSpace(in.value[start-1]) {
				start--
			}
			for start > 0 && !unicode.IsSpace(in.value[start-1]) {
				start--
			}
			in.value = append(in.value[:start], in.value[in.pos:]...)
			in.pos = start
		case key.Matches(msg, k.DeleteToStart):
			in.value = append([]rune(nil), in.value[in.pos:]...)
			in.pos = 0
		case msg.Text != "":
			in.insert(msg.Text)
		}
	}
}

// insert puts text at the cursor; line breaks and tabs become spaces and
// other control characters are dropped.
func (in *lineInput) insert(s string) {
	var rs []rune
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			rs = append(rs, ' ')
		case unicode.IsControl(r):
		default:
			rs = append(rs, r)
		}
	}
	if in.limit > 0 {
		rs = rs[:min(len(rs), max(in.limit-len(in.value), 0))]
	}
	v := make([]rune, 0, len(in.value)+len(rs))
	v = append(append(append(v, in.value[:in.pos]...), rs...), in.value[in.pos:]...)
	in.value = v
	in.pos += len(rs)
}

// View renders the field in w cells, scrolled so the cursor stays visible;
// the cursor is drawn as a reversed cell, so no terminal cursor is needed.
func (in lineInput) View(w int, st *Styles) string {
	if w < 2 {
		return ""
	}
	cursor := st.Cursor
	if in.blur {
		cursor = st.Input
	}
	if len(in.value) == 0 {
		return cursor.Render(" ") + st.Placeholder.Render(truncate(in.placeholder, w-1))
	}
	// Scroll by runes; one cell is always kept for the cursor.
	start := 0
	for start < in.pos && width(string(in.value[start:in.pos]))+1 > w {
		start++
	}
	end := in.pos
	for end < len(in.value) && width(string(in.value[start:end+1]))+1 <= w {
		end++
	}
	cur, after := " ", ""
	if in.pos < len(in.value) {
		cur = string(in.value[in.pos])
		if in.pos+1 < end {
			after = string(in.value[in.pos+1 : end])
		}
	}
	return st.Input.Render(string(in.value[start:in.pos])) + cursor.Render(cur) + st.Input.Render(after)
}
