package report

import (
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
)

// TestReportsEscapeControlCharacters: escape sequences in notes, warnings,
// errors and actors reach neither the Markdown nor the HTML report (a
// screen clear, OSC 52, a title change, a CR overwrite, a C1 CSI).
func TestReportsEscapeControlCharacters(t *testing.T) {
	const hostile = "A\x1b[2JB\x1b]52;c;cm0=\x07C\x1b]0;pwned\x07D\rFAKE\u009b2JE"
	h := newHandJournal(t)
	h.at(0, "mallory\x1b[2J", "", journal.Note, journal.NotePayload{Text: hostile})
	h.at(1, "mallory", "", journal.Warning, journal.WarningPayload{Kind: "rto", Message: hostile})
	h.close()
	r, err := Build(h.path)
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, r)
	for _, f := range []string{"md", "html"} {
		for _, bad := range []string{"\x1b", "\x07", "\r", "\u009b"} {
			if strings.Contains(out[f], bad) {
				t.Errorf("%s report holds %q", f, bad)
			}
		}
		if !strings.Contains(out[f], `x1b`) || !strings.Contains(out[f], `u009b2JE`) {
			t.Errorf("%s report does not show the text escaped:\n%s", f, out[f])
		}
	}
}

// TestReportsEscapeHostileChangeCapture: a change stream's name, source,
// tables and a lag sample's texts reach neither report raw.
func TestReportsEscapeHostileChangeCapture(t *testing.T) {
	const hostile = "A\x1b[2JB\x1b]52;c;cm0=\x07C\x1b]0;pwned\x07D\rFAKE\u009b2JE"
	h := newHandJournal(t)
	h.at(0, "engine", "", journal.CDCStreamStarted, journal.CDCStreamPayload{Stream: hostile, Source: hostile, Engine: hostile, Tables: []string{hostile}, Start: hostile})
	h.at(1, "engine", "", journal.CDCLagSample, journal.CDCLagPayload{Stream: hostile, LagMS: 1500, Trend: hostile, WALStatus: hostile, OldestLog: hostile, HeadroomBytes: -1, ETAMS: -1})
	h.at(2, "engine", "", journal.CDCLagSample, journal.CDCLagPayload{Stream: hostile, LagMS: 900, Trend: hostile, WALStatus: hostile, OldestLog: hostile, HeadroomBytes: 10, ETAMS: -1})
	h.close()
	r, err := Build(h.path)
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, r)
	for _, f := range []string{"md", "html"} {
		for _, bad := range []string{"\x1b", "\x07", "\r", "\u009b"} {
			if strings.Contains(out[f], bad) {
				t.Errorf("%s report holds %q", f, bad)
			}
		}
		if !strings.Contains(out[f], `u009b2JE`) {
			t.Errorf("%s report does not show the stream (escaped):\n%s", f, out[f])
		}
	}
}
