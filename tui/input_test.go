package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// TestLineInputEditsLikeOtherCharmApps: the text fields are bubbles'
// textinput — word-wise deletion and movement, a pasted line break becomes
// a space, control characters never get in, the limit holds.
func TestLineInputEditsLikeOtherCharmApps(t *testing.T) {
	t.Parallel()
	in := newLineInput("why…", 40)
	in.Update(tea.PasteMsg{Content: "legacy N/A\nratings\x1b[2J here"})
	if v := in.Value(); strings.ContainsAny(v, "\n\x1b") || !strings.HasPrefix(v, "legacy N/A ratings") {
		t.Fatalf("pasted: %q", v)
	}
	in.Update(tea.KeyPressMsg{Code: 'w', Mod: tea.ModCtrl}) // delete the last word
	if v := in.Value(); strings.HasSuffix(v, "here") {
		t.Fatalf("ctrl+w kept the last word: %q", v)
	}
	in.Update(tea.KeyPressMsg{Code: 'b', Mod: tea.ModAlt}) // a word back, then type
	in.Update(tea.KeyPressMsg{Code: 'X', Text: "X"})
	if v := in.Value(); !strings.Contains(v, "X") || strings.HasSuffix(v, "X") {
		t.Fatalf("alt+b did not move a word back: %q", v)
	}
	in.Update(tea.PasteMsg{Content: strings.Repeat("y", 100)})
	if n := len([]rune(in.Value())); n != 40 {
		t.Fatalf("%d runes past the limit of 40", n)
	}
}
