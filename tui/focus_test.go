package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

// busyState is the copy with 60 journal lines, the newest a long one, and
// a third table with rejects.
func busyState() journal.State {
	s := copyState()
	s.Log = append([]journal.LogRecord(nil), s.Log...)
	for i := range 57 {
		s.Log = append(s.Log, journal.LogRecord{At: at(31*time.Minute + time.Duration(i)*time.Second), StepID: "copy", Stream: "info",
			Line: fmt.Sprintf("orders: batch %d written, 5,000 rows", 150+i)})
	}
	s.Log[len(s.Log)-1].Line = "orders: batch 206 written; the target said: " + strings.Repeat("constraint orders_status_check is deferred until commit; ", 5) + "END"
	s.Tables = append([]journal.TableState(nil), s.Tables...)
	s.Tables = append(s.Tables, journal.TableState{ProgressPayload: journal.ProgressPayload{Table: "payments", Read: 5000, Written: 4990, Rejected: 10, Total: 10000, TotalExact: true, ElapsedMS: 10000},
		ByReason: map[string]int64{"not_integer": 6, "precision_loss": 4}, StartedAt: at(30 * time.Minute), UpdatedAt: at(32 * time.Minute)})
	return s
}

func TestFocusMovesBetweenPanesAndEnterOnRejectsOpensTheRows(t *testing.T) {
	t.Parallel()
	m := newJournalModel(t, rejectsJournal(t, 5), "alice", 120, 40, copyState())
	m, _ = press(t, m, "tab")
	mustContain(t, m, "▸ REJECTS")
	m, _ = press(t, m, "enter")
	if m.browser == nil {
		t.Fatal("enter on the focused rejects pane did not open the rows")
	}
	m, _ = press(t, m, "esc", "tab")
	mustContain(t, m, "▸ JOURNAL")
	mustNotContain(t, m, "▸ REJECTS")
	m, _ = press(t, m, "shift+tab")
	mustContain(t, m, "▸ REJECTS")
	m, _ = press(t, m, "esc")
	mustNotContain(t, m, "▸")
}

func TestJournalScrollsAndExpandsTheWholeLine(t *testing.T) {
	t.Parallel()
	m, _ := newTestModel(t, "alice", busyState())
	mustContain(t, m, "earlier")
	m, _ = press(t, m, "tab", "tab", "enter")
	if m.expanded == nil {
		t.Fatal("enter did not expand the newest line")
	}
	sc := strings.Join(strings.Fields(screen(m)), " ")
	if !strings.Contains(strings.ReplaceAll(sc, "│", ""), "END") {
		t.Fatalf("the expanded line is not whole:\n%s", screen(m))
	}
	m, _ = press(t, m, "esc", "k", "k", "k")
	mustContain(t, m, "line 58 of 61", "› ")
	m = update(t, m, tea.KeyPressMsg{Code: tea.KeyHome})
	mustContain(t, m, "line 1 of 61", "customers: 120,000 rows copied") // the oldest lines are back
	m = update(t, m, tea.KeyPressMsg{Code: tea.KeyEnd})
	mustNotContain(t, m, "of 61")
	m = update(t, m, tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	mustContain(t, m, "line 58 of 61")
}

func TestJournalFilter(t *testing.T) {
	t.Parallel()
	m, _ := newTestModel(t, "alice", busyState())
	m, _ = press(t, m, "tab", "tab", "/")
	m = typeText(t, m, "batch 17")
	m, _ = press(t, m, "enter")
	mustContain(t, m, "filter batch 17", "batch 170 written", "batch 179 written")
	mustNotContain(t, m, "batch 169 written")
}

func TestFocusedPaneTakesEnterFromTheManualStep(t *testing.T) {
	t.Parallel()
	s := manualState()
	s.Steps[0].Checked = []bool{true, true}
	m, sess := newTestModel(t, "bob", s)
	m, _ = press(t, m, "tab", "tab", "enter")
	if len(sess.sent()) != 0 {
		t.Fatalf("enter on the focused journal sent %v", sess.sent())
	}
	m, _ = press(t, m, "esc", "?")
	mustNotContain(t, m, "JOURNAL has the focus")
	m, _ = press(t, m, "x", "tab", "tab", "?")
	mustContain(t, m, "confirm step — unavailable: JOURNAL has the focus")
	m, _ = press(t, m, "x", "esc", "enter")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdConfirm, StepID: "freeze", Choice: journal.ChoiceConfirm, Actor: "bob"})
}

func TestEightyByTwentyFourSaysWhatItCuts(t *testing.T) {
	t.Parallel()
	m := New(newFakeSession(), Options{Operator: "alice", Mode: ModeLive, Now: fixedNow})
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = update(t, m, stateMsg{State: busyState()})
	mustContain(t, m, "⋮", "earlier", "more")
	assertFits(t, m.View().Content, 80, 24)
}

func TestGoldenConsole80x24(t *testing.T) {
	golden.RequireEqual(t, goldenSized(t, "", 80, 24, nil, busyState()))
}

func TestGoldenConsole200x60(t *testing.T) {
	golden.RequireEqual(t, goldenSized(t, "", 200, 60, nil, busyState()))
}

func TestGoldenJournalFocusedAndScrolled(t *testing.T) {
	golden.RequireEqual(t, goldenSized(t, "", 120, 40, keys("tab", "tab", "k", "k"), busyState()))
}
