package safetext

import "testing"

func TestEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ünïcode ✓": "plain text, ünïcode ✓",
		"\x1b[2Jclear":          `\x1b[2Jclear`,
		"\x1b]52;c;aGk=\x07":    `\x1b]52;c;aGk=\x07`,
		"\x1b]0;title\x07":      `\x1b]0;title\x07`,
		"ok\rFAILED":            `ok\rFAILED`,
		"\u009b2J":              `\u009b2J`,
		"a\nb\tc":               `a\nb\tc`,
		"bad \xff byte":         `bad \xff byte`,
		"\u202eevil":            `\u202eevil`,
		"del\x7f":               `del\x7f`,
	} {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Text("a\n\tb\x1b[K"); got != "a\n\tb\\x1b[K" {
		t.Errorf("Text keeps newlines and tabs only: %q", got)
	}
}
