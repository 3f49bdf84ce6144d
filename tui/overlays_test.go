package tui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/tightrope/tightrope/journal"
)

func TestHelpOverlayListsKeysAndWhyOthersAreUnavailable(t *testing.T) {
	t.Parallel()
	m, sess := newTestModel(t, "bob", gateState())
	m, _ = press(t, m, "?")
	if !m.help {
		t.Fatal("? did not open the help")
	}
	mustContain(t, m, "KEYS", "go — unavailable:", "Only alice may decide", "rejected rows", "shift+tab  previous pane")
	m, _ = press(t, m, "N") // any key closes the help, and does nothing else
	if m.help || m.top() != nil {
		t.Fatalf("help %v, dialog %v after a key in the help", m.help, m.top())
	}
	if len(sess.sent()) != 0 {
		t.Fatal("a key that closed the help sent a command")
	}
}

func TestHelpOverlayInTheBrowserListsTheBrowserKeys(t *testing.T) {
	t.Parallel()
	m := newJournalModel(t, rejectsJournal(t, 3), "alice", 120, 40, triggerState())
	m, _ = press(t, m, "e", "?")
	mustContain(t, m, "KEYS · REJECTED ROWS", "/      filter", "wheel  scroll")
	m, _ = press(t, m, "x")
	if m.help || m.browser == nil {
		t.Fatal("closing the help closed the browser")
	}
}

// TestKeyLineNeverCutsAKeyName: at every width the key line keeps keys
// whole (or leaves them out), shortens descriptions before it drops keys,
// and says "? more" once it shortened.
func TestKeyLineNeverCutsAKeyName(t *testing.T) {
	t.Parallel()
	st := DefaultStyles(DefaultTheme())
	items := []helpItem{{key: "space", desc: "tick next item"}, {key: "enter", desc: "confirm step", reason: "tick 2 more first: Maintenance banner is up"},
		{key: "p", desc: "pause"}, {key: "e", desc: "rejected rows"}, {key: "N", desc: "note"}, {key: "q", desc: "quit"},
		{key: "shift+tab", desc: "previous field"}, {key: "?", desc: "keys"}}
	full := ansi.Strip(fitKeys(st, items, 500, true, true))
	if !strings.Contains(full, "(tick 2 more first: Maintenance banner is up)") || !strings.HasSuffix(full, "? keys") {
		t.Fatalf("wide line: %q", full)
	}
	for w := 6; w < width(full); w++ {
		line := ansi.Strip(fitKeys(st, items, w, true, true))
		if width(line) > w {
			t.Fatalf("width %d: %q is %d wide", w, line, width(line))
		}
		if !strings.HasSuffix(line, "? more") {
			t.Fatalf("width %d: %q shortened without saying ? more", w, line)
		}
		if strings.Contains(line, "…") {
			t.Fatalf("width %d: %q cuts with …", w, line)
		}
		tokens := map[string]bool{}
		for _, part := range strings.Split(strings.ReplaceAll(line, "   ", " · "), " · ") {
			k, _, _ := strings.Cut(part, " ")
			tokens[k] = true
		}
		for k := range tokens {
			ok := k == "?"
			for _, it := range items {
				ok = ok || it.key == k
			}
			if !ok {
				t.Fatalf("width %d: %q is not a whole key in %q", w, k, line)
			}
		}
	}
	// Descriptions go before keys: the first width that fits all keys
	// bare keeps every key.
	bare := ansi.Strip(fitKeys(st, items, len("space · enter · p · e · N · q · shift+tab · ? more"), true, true))
	for _, k := range []string{"space", "enter", "p", "e", "N", "q", "shift+tab"} {
		if !strings.Contains(bare, k) {
			t.Fatalf("%q dropped key %q while descriptions could go", bare, k)
		}
	}
}

// goldenSized runs the console under teatest at w×h with a journal, feeds
// the states, presses keys, and returns the final screen as plain text.
func goldenSized(t *testing.T, path string, w, h int, keys []tea.Msg, states ...journal.State) []byte {
	t.Helper()
	sess := newFakeSession()
	tm := teatest.NewTestModel(t, New(sess, Options{Operator: "alice", Mode: ModeLive, Now: fixedNow, Journal: path}),
		teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.NoTTY)))
	for _, s := range states {
		sess.ch <- s
	}
	sess.ch <- states[len(states)-1]
	for _, k := range keys {
		tm.Send(k)
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	var screen bytes.Buffer
	wr := &colorprofile.Writer{Forward: &screen, Profile: colorprofile.NoTTY}
	if _, err := wr.Write([]byte(final.View().Content)); err != nil {
		t.Fatal(err)
	}
	assertFits(t, screen.String(), w, h)
	return screen.Bytes()
}

func keys(ks ...string) []tea.Msg {
	out := make([]tea.Msg, len(ks))
	for i, k := range ks {
		out[i] = keyMsg(k)
	}
	return out
}

func TestGoldenRejectsBrowserFromAlarm(t *testing.T) {
	golden.RequireEqual(t, goldenSized(t, rejectsJournal(t, 40), 120, 40, keys("e", "j", "j"), copyState(), triggerState()))
}

func TestGoldenRejectsBrowserExpandedRow(t *testing.T) {
	golden.RequireEqual(t, goldenSized(t, rejectsJournal(t, 40), 120, 40, keys("e", "enter"), copyState()))
}

func TestGoldenRejectsBrowserFiltered(t *testing.T) {
	msgs := append(keys("e", "/"), keys(strings.Split("numeric", "")...)...)
	golden.RequireEqual(t, goldenSized(t, rejectsJournal(t, 40), 120, 40, append(msgs, keyMsg("enter")), copyState()))
}

func TestGoldenRejectsBrowser80x24(t *testing.T) {
	golden.RequireEqual(t, goldenSized(t, rejectsJournal(t, 40), 80, 24, keys("e"), copyState(), triggerState()))
}

func TestGoldenRejectsBrowser200x60(t *testing.T) {
	golden.RequireEqual(t, goldenSized(t, rejectsJournal(t, 40), 200, 60, keys("e"), copyState(), triggerState()))
}

func TestGoldenHelpOverlay(t *testing.T) {
	golden.RequireEqual(t, goldenSized(t, "", 120, 40, keys("esc", "?"), copyState(), triggerState()))
}

func TestGoldenRejectsBrowserFromThePane(t *testing.T) {
	golden.RequireEqual(t, goldenSized(t, rejectsJournal(t, 40), 120, 40, keys("tab", "enter", "G"), copyState()))
}

func TestGoldenJournalFiltered(t *testing.T) {
	msgs := append(keys("tab", "tab", "/"), keys(strings.Split("batch 19", "")...)...)
	golden.RequireEqual(t, goldenSized(t, "", 120, 40, append(msgs, keyMsg("enter")), busyState()))
}
