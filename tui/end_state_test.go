package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/tightrope/tightrope/journal"
)

// rolledBackState: the run rolled back during the copy; orders stopped at
// half its rows.
func rolledBackState() journal.State {
	s := triggerState()
	s.Pending = nil
	setStep(&s, "copy", journal.StatusFailed, 7*time.Minute+13*time.Second, 33*time.Minute)
	s.Outcome, s.FinishedAt, s.LastAt, s.LastSeq = journal.OutcomeRolledBack, at(40*time.Minute), at(40*time.Minute), 900
	return s
}

// continuedState: alice continued past the reject-rate trigger with a
// limit of 0.5%, above the observed 0.213%.
func continuedState() journal.State {
	s := triggerState()
	s.Pending = nil
	setStep(&s, "copy", journal.StatusRunning, 7*time.Minute+13*time.Second, 0)
	s.Limits = []journal.LimitRecord{{Trigger: "reject_rate", Step: "copy", Table: "orders", Value: 0.005, By: "alice", At: at(33 * time.Minute)}}
	s.LastSeq = 830
	return s
}

func TestEndStatesInTheHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode, outcome string
		closed        bool
		want, not     string
	}{
		{ModeLive, journal.OutcomeFinished, true, " FINISHED ", "LIVE"},
		{ModeLive, journal.OutcomeRolledBack, true, " ROLLED BACK ", "LIVE"},
		{ModeLive, journal.OutcomeFailed, true, " FAILED ", "LIVE"},
		{ModeLive, journal.OutcomeAborted, true, " ABORTED ", "LIVE"},
		{ModeLive, "", true, " STOPPED ", "LIVE"},
		{ModeDrill, journal.OutcomeRolledBack, true, " DRILL   ROLLED BACK ", "LIVE"},
		{ModeReplay, journal.OutcomeFinished, false, " REPLAY   FINISHED ", "LIVE"},
		{ModeLive, "", false, " LIVE ", "FINISHED"},
	} {
		s := rolledBackState()
		s.Outcome = tc.outcome
		m := New(newFakeSession(), Options{Operator: "alice", Mode: tc.mode, Now: fixedNow})
		m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
		m = update(t, m, stateMsg{State: s})
		if tc.closed {
			m = update(t, m, sessionDoneMsg{})
		}
		first := strings.SplitN(screen(m), "\n", 2)[0]
		if !strings.Contains(first, tc.want) || strings.Contains(first, tc.not) {
			t.Errorf("%s/%q: header %q, want %q and no %q", tc.mode, tc.outcome, first, tc.want, tc.not)
		}
	}
}

func TestPanesFreezeAtTheEnd(t *testing.T) {
	t.Parallel()
	m, _ := newTestModel(t, "alice", rolledBackState())
	m = update(t, m, sessionDoneMsg{})
	mustContain(t, m, "ROLLED BACK", "orders", "stopped")
	if sc := screen(m); strings.Contains(sc, "ETA") || strings.Contains(sc, "/s") {
		t.Fatalf("a rate or ETA after the end:\n%s", sc)
	}
}

func TestRaisedLimitReplacesTheRunbooksInTheRejectsPane(t *testing.T) {
	t.Parallel()
	m, _ := newTestModel(t, "alice", continuedState())
	mustContain(t, m, "rate 0.213% ≤ 0.500% (raised) ok")
	mustNotContain(t, m, "OVER")
}

func TestBellRingsOncePerAlarm(t *testing.T) {
	t.Parallel()
	m, _ := newTestModel(t, "alice", copyState())
	rings := func(m Model, s journal.State) (Model, bool) {
		next, cmd := m.Update(stateMsg{State: s})
		return next.(Model), containsRaw(cmd, "\a")
	}
	var rang bool
	if m, rang = rings(m, triggerState()); !rang {
		t.Fatal("no bell on the alarm")
	}
	if m, rang = rings(m, triggerState()); rang {
		t.Fatal("the bell rang again for the same alarm")
	}
	again := triggerState()
	again.Pending.Since = at(35 * time.Minute)
	if _, rang = rings(m, again); !rang {
		t.Fatal("no bell on a new alarm")
	}
	if m.View().WindowTitle != "⚠ ALARM — tightrope · MIG-2026-042" {
		t.Fatalf("window title %q", m.View().WindowTitle)
	}
}

// containsRaw runs cmd (and a batch's commands, except those that block
// on the session) and reports whether one prints raw.
func containsRaw(cmd tea.Cmd, raw string) bool {
	if cmd == nil {
		return false
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(100 * time.Millisecond):
		return false // waiting for the next snapshot
	}
	switch msg := msg.(type) {
	case tea.RawMsg:
		return msg.Msg == raw
	case tea.BatchMsg:
		for _, c := range msg {
			if containsRaw(c, raw) {
				return true
			}
		}
	}
	return false
}

func TestNoColorAlarmIsReverseVideo(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	m, _ := newTestModel(t, "alice", triggerState())
	if !m.c.Styles.Alarm.GetReverse() {
		t.Fatal("with NO_COLOR the alarm banner is not reverse video")
	}
	banner := m.c.Styles.Alarm.Render(" ⚠ ALARM")
	if !strings.Contains(banner, "7") || !strings.Contains(screen(m), "⚠ ALARM") {
		t.Fatalf("banner %q", banner)
	}
}

func TestGoldenEndStateRolledBack(t *testing.T) {
	golden.RequireEqual(t, goldenSized(t, "", 120, 40, nil, rolledBackState()))
}
