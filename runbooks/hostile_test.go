package runbooks

import (
	"strings"
	"testing"
)

// TestErrorsEscapeControlCharacters: lint's message, source line and caret
// line show a runbook's escape sequences as text, and the caret still
// points at the offending value.
func TestErrorsEscapeControlCharacters(t *testing.T) {
	text := "version: 1\nname: \"\\e[2J\\e]52;c;eA==\\a\"\nmigration_id: \"x\\e]0;t\\a\\r\\u009b\"\ndecision_maker: d\nsteps: [{ id: g, kind: gate, question: q }]\n"
	_, err := Parse("h.yaml", []byte("\x1b[2J"+text))
	if err == nil {
		t.Fatal("want an error")
	}
	list := err.(ErrorList)
	var all strings.Builder
	for _, e := range list {
		all.WriteString(e.Error() + "\n" + e.Snippet() + "\n")
	}
	for _, bad := range []string{"\x1b", "\a", "\r", "\u009b"} {
		if strings.Contains(all.String(), bad) {
			t.Errorf("lint output holds %q:\n%s", bad, all.String())
		}
	}
	// A raw ESC in the source line: the caret stays under the value.
	e := Error{File: "f", Line: 1, Col: 6, Width: 3, Source: "a:\x1b[ xyz"}
	want := "   1 | a:\\x1b[ xyz\n     |         ^^^"
	if got := e.Snippet(); got != want {
		t.Errorf("snippet\n%s\nwant\n%s", got, want)
	}
}
