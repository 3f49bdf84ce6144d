package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// crowdedState stresses the layout: many steps with long titles, many
// tables, long log lines, a failed step and a rollback under way.
func crowdedState() journal.State {
	s := copyState()
	rb := *s.Runbook
	for i := range 30 {
		id := fmt.Sprintf("extra-%02d", i)
		rb.Steps = append(rb.Steps, runbooks.Step{ID: id, Kind: "shell", Title: strings.Repeat("a very long step title ", 4), Run: strings.Repeat("echo x; ", 40)})
		s.Steps = append(s.Steps[:len(s.Steps)-2:len(s.Steps)-2], append([]journal.StepState{{ID: id, Title: strings.Repeat("a very long step title ", 4), Kind: "shell", Status: journal.StatusPending}}, s.Steps[len(s.Steps)-2:]...)...)
	}
	s.Runbook = &rb
	for i := range 12 {
		s.Tables = append(s.Tables, journal.TableState{ProgressPayload: journal.ProgressPayload{
			Table: fmt.Sprintf("table_with_a_rather_long_name_%d", i), Read: int64(i) * 1000, Written: int64(i) * 990, Rejected: int64(i) * 10, Total: 50000},
			ByReason: map[string]int64{strings.Repeat("reason ", 12): int64(i) * 10}})
	}
	for i := range 60 {
		s.Log = append(s.Log, journal.LogRecord{At: at(time.Duration(i) * time.Second), StepID: "copy", Stream: "stderr", Line: strings.Repeat("noisy output ", 30)})
	}
	s.Steps[3].Status, s.Steps[3].Error = journal.StatusFailed, strings.Repeat("connection reset by peer ", 10)
	s.RollingBack, s.RollbackAt = true, at(31*time.Minute)
	s.Restores = []journal.RestorePayload{{Snapshot: s.Snapshots[0].Label, DurationMS: 45 * 60 * 1000, Verified: true}}
	s.Pending = nil
	return s
}

type scenario struct {
	name  string
	op    string
	mode  string
	state *journal.State
	keys  []string
	text  string
	done  bool
}

func scenarios() []scenario {
	st := func(s journal.State) *journal.State { return &s }
	finished := copyState()
	finished.Outcome, finished.FinishedAt = journal.OutcomeRolledBack, at(50*time.Minute)
	return []scenario{
		{name: "empty", op: "alice"},
		{name: "manual", op: "alice", state: st(manualState())},
		{name: "copy", op: "alice", state: st(copyState())},
		{name: "gate-dialog", op: "alice", state: st(gateState()), keys: []string{"n"}},
		{name: "trigger-alice", op: "alice", state: st(triggerState())},
		{name: "trigger-bob", op: "bob", state: st(triggerState())},
		{name: "justify-long", op: "alice", state: st(triggerState()), keys: []string{"c"}, text: strings.Repeat("because ", 40)},
		{name: "rollback-typed", op: "alice", state: st(triggerState()), keys: []string{"r"}, text: "MIG-2026-04"},
		{name: "note", op: "bob", state: st(copyState()), keys: []string{"N"}, text: strings.Repeat("ünïcødé 漢字 ", 20)},
		{name: "quit", op: "alice", state: st(copyState()), keys: []string{"q"}},
		{name: "crowded", op: "alice", state: st(crowdedState())},
		{name: "finished", op: "alice", state: st(finished), done: true},
		{name: "watch", op: "carol", mode: ModeWatch, state: st(triggerState())},
		{name: "continue-limit", op: "alice", state: st(triggerState()), keys: []string{"c", "tab"}, text: strings.Repeat("8", 30)},
		{name: "step-failed", op: "alice", state: st(stepFailedState())},
		{name: "step-failed-id", op: "alice", state: st(stepFailedState()), keys: []string{"c"}, text: strings.Repeat("why ", 30)},
		{name: "retry", op: "alice", state: st(stepFailedState()), keys: []string{"t"}},
		{name: "rerun", op: "bob", state: st(rerunState())},
		{name: "rerun-skip", op: "bob", state: st(rerunState()), keys: []string{"s"}, text: strings.Repeat("done ", 30)},
		{name: "skip", op: "alice", state: st(copyState()), keys: []string{"s"}, text: strings.Repeat("reason ", 30)},
		{name: "abort", op: "alice", state: st(copyState()), keys: []string{"A"}},
		{name: "paused-warned", op: "bob", state: st(pausedWarnedState())},
		{name: "drill", op: "alice", mode: ModeDrill, state: st(copyState())},
	}
}

func TestViewFitsTheTerminal(t *testing.T) {
	sizes := [][2]int{{80, 24}, {200, 60}, {120, 40}, {100, 30}, {60, 20}, {40, 12}, {20, 5}}
	for _, sc := range scenarios() {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", sc.name, sz[0], sz[1]), func(t *testing.T) {
				sess := newFakeSession()
				m := New(sess, Options{Operator: sc.op, Mode: sc.mode, Now: fixedNow})
				m = update(t, m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
				if sc.state != nil {
					m = update(t, m, stateMsg{State: *sc.state})
				}
				if sc.done {
					m = update(t, m, sessionDoneMsg{})
				}
				m, _ = press(t, m, sc.keys...)
				m = typeText(t, m, sc.text)
				assertFits(t, m.View().Content, sz[0], sz[1])
			})
		}
	}
}

func assertFits(t *testing.T, content string, w, h int) {
	t.Helper()
	lines := strings.Split(content, "\n")
	if len(lines) > h {
		t.Errorf("%d lines on a %d-line terminal", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide on a %d-cell terminal: %q", i+1, n, w, ansi.Strip(l))
		}
	}
}

// pausedWarnedState: a trigger waits while the run is paused, with early
// warnings and failed notifications: the busiest banner.
func pausedWarnedState() journal.State {
	s := triggerState()
	s.Paused, s.PausedBy = true, "bob"
	s.Warnings = []journal.WarningPayload{{Kind: "window", Message: "the window closes in 18m"},
		{Kind: "rto", Message: "restore estimate 41m exceeds the RTO 30m"}, {Kind: "notify", Message: "./notify.sh failed 3 times"}}
	s.Notifications = []journal.NotifiedPayload{{OK: false, Error: "exit 1"}, {OK: false, Error: "exit 1"}}
	return s
}

// At 80x24 the things that must not be missed are on screen.
func TestSmallTerminalKeepsTheEssentials(t *testing.T) {
	m, _ := newTestModel(t, "alice", triggerState())
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	mustContain(t, m, "⚠ ALARM", "DECISION REQUIRED", "r roll back", "MIG-2026-042")

	m, _ = newTestModel(t, "alice", copyState())
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	mustContain(t, m, "STEPS", "THROUGHPUT", "orders", "~52%", "REJECTS", "q quit")

	m = update(t, m, tea.WindowSizeMsg{Width: 200, Height: 60})
	mustContain(t, m, "ROLLBACK READINESS", "JOURNAL", "⚠ restore est. 41m00s > RTO 30m", "w 1,039,790")

	// The alarm and who decides stay in sight over the tallest dialogs.
	for _, keys := range [][]string{{"c"}, {"esc", "N"}} {
		m, _ = newTestModel(t, "bob", pausedWarnedState())
		m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
		m, _ = press(t, m, keys...)
		mustContain(t, m, "⚠ ALARM", "decision: alice", "notify: 2 failed")
	}
	m, _ = newTestModel(t, "alice", triggerState())
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m, _ = press(t, m, "c")
	mustContain(t, m, "⚠ ALARM", "decision: alice", "New limit you accept", "enter continue")
}
