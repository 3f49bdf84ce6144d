package tui

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/tightrope/tightrope/journal"
)

// update rewrites the golden files, like teatest's -update flag.
var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden")

// requireGolden compares out with testdata/<test name>.golden, the layout
// teatest.RequireEqualOutput uses; -update rewrites the file.
func requireGolden(t *testing.T, out []byte) {
	t.Helper()
	path := filepath.Join("testdata", t.Name()+".golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if bytes.Equal(want, out) {
		return
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(out), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Fatalf("%s differs from line %d:\nwant: %q\ngot:  %q\n\nscreen:\n%s", path, i+1, w, g, out)
		}
	}
}

// goldenScreen runs the console in a real Bubble Tea program, set up the
// way teatest.NewTestModel sets one up (no TTY, no signals, fixed 120x40,
// fixed NoTTY colour profile) with a fixed clock; feeds it snapshots
// through the fake session; quits; and renders the final model's view
// through the NoTTY profile, so the golden file is the screen as plain
// text. Refresh with: go test ./tui/ -run Golden -update
func goldenScreen(t *testing.T, operator string, states ...journal.State) []byte {
	t.Helper()
	sess := newFakeSession()
	var in, out bytes.Buffer
	p := tea.NewProgram(New(sess, Options{Operator: operator, Mode: ModeLive, Now: fixedNow}),
		tea.WithInput(&in), tea.WithOutput(&out), tea.WithoutSignals(),
		tea.WithWindowSize(120, 40), tea.WithColorProfile(colorprofile.NoTTY))
	done := make(chan tea.Model, 1)
	go func() {
		m, err := p.Run()
		if err != nil {
			t.Errorf("program: %v", err)
		}
		done <- m
	}()
	p.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
	for _, s := range states {
		sess.ch <- s
	}
	// The console reads the next snapshot only after it handled the last
	// one: sending it again proves the last one is on screen.
	sess.ch <- states[len(states)-1]
	p.Quit()
	var final Model
	select {
	case m := <-done:
		final = m.(Model)
	case <-time.After(5 * time.Second):
		p.Kill()
		t.Fatal("the program did not quit")
	}
	var screen bytes.Buffer
	w := &colorprofile.Writer{Forward: &screen, Profile: colorprofile.NoTTY}
	if _, err := w.Write([]byte(final.View().Content)); err != nil {
		t.Fatal(err)
	}
	assertFits(t, screen.String(), 120, 40)
	return screen.Bytes()
}

func TestGoldenMidCopyWithRejects(t *testing.T) {
	requireGolden(t, goldenScreen(t, "alice", copyStatePrev(), copyState()))
}

func TestGoldenTriggerDecisionDialog(t *testing.T) {
	requireGolden(t, goldenScreen(t, "alice", copyState(), triggerState()))
}
