package tui

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/tightrope/tightrope/journal"
)

// hostile is text a runbook, a command or a server could carry: a screen
// clear, an OSC 52 clipboard write, a title change, a line erase, a
// carriage-return overwrite and a C1 CSI.
const hostile = "A\x1b[2JB\x1b]52;c;cm0gLXJmIC8=\x07C\x1b]0;pwned\x07D\x1b[1K\rFAKE OK\u009b2JE"

// controls returns the control characters left in out once the output's
// own SGR styles are removed (keep: newline, tab).
func controls(out string) []rune {
	out = regexp.MustCompile("\x1b\\[[0-9;:]*m").ReplaceAllString(out, "")
	var bad []rune
	for _, r := range out {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || r == utf8.RuneError {
			bad = append(bad, r)
		}
	}
	return bad
}

// TestPlainEscapesHostileText: plain output (run --plain, replay and watch
// --plain) carries no control character from events at all.
func TestPlainEscapesHostileText(t *testing.T) {
	evs := []journal.Event{
		event(1, 0, journal.RunStarted, "", "alice", journal.RunStartedPayload{Operator: "alice", Mode: "live"}),
		event(2, time.Second, journal.StepStarted, "s", "alice", journal.StepStartedPayload{Kind: "shell", Title: hostile}),
		event(3, 2*time.Second, journal.Log, "s", "alice", journal.LogPayload{Stream: "stdout", Line: hostile}),
		event(4, 3*time.Second, journal.StepFinished, "s", "alice", journal.StepFinishedPayload{Status: "failed", Error: hostile + "\nsecond line"}),
		event(5, 4*time.Second, journal.Note, "", hostile, journal.NotePayload{Text: hostile}),
		event(6, 5*time.Second, journal.RunFinished, "", "alice", journal.RunFinishedPayload{Outcome: "failed", Error: hostile}),
	}
	var out bytes.Buffer
	p := NewPlain(&out)
	var s journal.State
	for _, e := range evs {
		s.Apply(e)
		p.Event(e, &s)
	}
	p.Summary(s)
	if bad := controls(out.String()); len(bad) > 0 {
		t.Errorf("plain output holds control characters %q:\n%s", bad, out.String())
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Errorf("plain output holds an escape sequence")
	}
	if !strings.Contains(out.String(), `A\x1b[2JB\x1b]52;c;cm0gLXJmIC8=\x07C`) || !strings.Contains(out.String(), `\rFAKE OK\u009b2JE`) {
		t.Errorf("the hostile text is not shown escaped:\n%s", out.String())
	}
	if strings.Contains(out.String(), "\nsecond line") {
		t.Errorf("a newline in an error forged a line of its own:\n%s", out.String())
	}
}

// TestConsoleEscapesHostileText: every string of a snapshot that enters
// the console is drawn escaped: step titles, log lines, errors, outcome.
func TestConsoleEscapesHostileText(t *testing.T) {
	s := copyState()
	s.Steps[0].Title = hostile
	s.Steps[0].Error = hostile
	s.OutcomeErr = hostile
	for i := range 5 {
		s.Log = append(s.Log, journal.LogRecord{At: at(time.Duration(i) * time.Second), StepID: s.Steps[0].ID, Stream: "stdout", Line: hostile})
	}
	orig := s.Log[0].Line
	m, _ := newTestModel(t, "alice", baseState())
	ch := make(chan journal.State, 1)
	ch <- s
	m = update(t, m, waitForState(ch)())
	view := m.View().Content
	if bad := controls(view); len(bad) > 0 {
		t.Errorf("the console draws control characters %q", bad)
	}
	if !strings.Contains(view, `\x1b[2JB`) {
		t.Errorf("the hostile text is not shown escaped:\n%s", screen(m))
	}
	if s.Log[0].Line != orig {
		t.Errorf("the session's own snapshot was changed")
	}
}

// TestLivenessEscapesHostileText: the lease holder's host and operator,
// read from a file beside the journal, are drawn escaped too.
func TestLivenessEscapesHostileText(t *testing.T) {
	l := Liveness{Journal: "j\x1b[2J", LastSign: at(time.Second)}
	l.Writer.Host, l.Writer.Operator = hostile, "eve\u009b2J"
	got := display(l)
	if bad := controls(got.Journal + got.Writer.Host + got.Writer.Operator); len(bad) > 0 {
		t.Errorf("liveness keeps control characters %q", bad)
	}
	if !got.LastSign.Equal(l.LastSign) || l.Writer.Host != hostile {
		t.Errorf("display changed a time or its argument")
	}
}

// TestCDCEscapesHostileText: a change stream's names and every text of a
// lag sample (a journal written by anyone: watch and replay read foreign
// files) reach the change-capture pane and plain lines escaped.
func TestCDCEscapesHostileText(t *testing.T) {
	s := cdcState()
	for i := range s.CDC {
		c := &s.CDC[i]
		c.Stream, c.Source, c.Engine, c.Tables, c.Start = hostile+c.Stream, hostile, hostile, []string{hostile}, hostile
		lag := *c.Lag
		lag.Trend, lag.WALStatus, lag.OldestLog, lag.Stream = hostile, hostile, hostile, c.Stream
		c.Lag = &lag
	}
	m, _ := newTestModel(t, "alice", baseState())
	ch := make(chan journal.State, 1)
	ch <- s
	m = update(t, m, waitForState(ch)())
	m = update(t, m, tea.WindowSizeMsg{Width: 220, Height: 70})
	view := m.View().Content
	if bad := controls(view); len(bad) > 0 {
		t.Errorf("the change-capture pane draws control characters %q:\n%s", bad, screen(m))
	}
	if !strings.Contains(view, `\x1b[2JB`) {
		t.Errorf("the hostile text is not shown escaped:\n%s", screen(m))
	}

	var out bytes.Buffer
	p := NewPlain(&out)
	var ps journal.State
	ps.Apply(event(1, 0, journal.RunStarted, "", "alice", journal.RunStartedPayload{Operator: "alice", Mode: "live"}))
	for i, e := range []journal.Event{
		event(2, time.Second, journal.CDCStreamStarted, "", "engine", journal.CDCStreamPayload{Stream: hostile, Source: hostile, Engine: hostile, Tables: []string{hostile}, Start: hostile}),
		event(3, 2*time.Second, journal.CDCLagSample, "", "engine", journal.CDCLagPayload{Stream: hostile, LagMS: 10, Trend: hostile, WALStatus: hostile, OldestLog: hostile, HeadroomBytes: -1, ETAMS: -1}),
	} {
		ps.Apply(e)
		p.Event(e, &ps)
		if i == 1 && !strings.Contains(out.String(), "cdc ") {
			t.Fatalf("plain printed no cdc line:\n%s", out.String())
		}
	}
	if bad := controls(out.String()); len(bad) > 0 {
		t.Errorf("plain cdc lines hold control characters %q:\n%s", bad, out.String())
	}
}
