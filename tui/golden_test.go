package tui

import (
	"bytes"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/tightrope/tightrope/journal"
)

// goldenScreen runs the console under teatest (no TTY, no signals, fixed
// 120x40, fixed NoTTY colour profile) with a fixed clock; feeds it
// snapshots through the fake session; quits; and renders the final
// model's view through the NoTTY profile, so the golden file is the screen
// as plain text. Refresh with: go test ./tui/ -run Golden -update
func goldenScreen(t *testing.T, operator string, states ...journal.State) []byte {
	t.Helper()
	return goldenScreenTyped(t, operator, nil, "", states...)
}

// goldenScreenTyped is goldenScreen with keys pressed, then text typed,
// once the last snapshot is on screen.
func goldenScreenTyped(t *testing.T, operator string, keys []string, text string, states ...journal.State) []byte {
	t.Helper()
	sess := newFakeSession()
	tm := teatest.NewTestModel(t, New(sess, Options{Operator: operator, Mode: ModeLive, Now: fixedNow}),
		teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.NoTTY)))
	for _, s := range states {
		sess.ch <- s
	}
	// The console reads the next snapshot only after it handled the last
	// one: sending it again proves the last one is on screen.
	sess.ch <- states[len(states)-1]
	for _, k := range keys {
		tm.Send(keyMsg(k))
	}
	tm.Type(text)
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	var screen bytes.Buffer
	w := &colorprofile.Writer{Forward: &screen, Profile: colorprofile.NoTTY}
	if _, err := w.Write([]byte(final.View().Content)); err != nil {
		t.Fatal(err)
	}
	assertFits(t, screen.String(), 120, 40)
	return screen.Bytes()
}

func TestGoldenMidCopyWithRejects(t *testing.T) {
	golden.RequireEqual(t, goldenScreen(t, "alice", copyStatePrev(), copyState()))
}

func TestGoldenTriggerDecisionDialog(t *testing.T) {
	golden.RequireEqual(t, goldenScreen(t, "alice", copyState(), triggerState()))
}

func TestGoldenContinueWithLimitDialog(t *testing.T) {
	golden.RequireEqual(t, goldenScreenTyped(t, "alice", []string{"c"}, "legacy N/A statuses; rows kept in rejects",
		copyState(), triggerState()))
}

func TestGoldenRerunDialog(t *testing.T) {
	golden.RequireEqual(t, goldenScreen(t, "bob", rerunState()))
}
