package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

func TestSessionEndClosesCommandDialogs(t *testing.T) {
	m, sess := newTestModel(t, "alice", copyState())
	m, _ = press(t, m, "A")
	m = typeText(t, m, "something went wrong")
	m, _ = press(t, m, "enter")
	mustContain(t, m, "type the migration id")
	m = update(t, m, sessionDoneMsg{})
	mustNotContain(t, m, "ABORT MIG")
	m = typeText(t, m, "MIG-2026-042")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
}

func TestNoteTypedWhenTheRunEndsIsNotSent(t *testing.T) {
	m, sess := newTestModel(t, "bob", copyState())
	m, _ = press(t, m, "N")
	m = typeText(t, m, "late note")
	m = update(t, m, sessionDoneMsg{})
	mustContain(t, m, "NOTE", "late note") // kept on screen, so it is not lost unseen
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
	mustContain(t, m, "✗ the run has finished")
}

func TestPasteGoesToTheFocusedField(t *testing.T) {
	m, sess := newTestModel(t, "alice", triggerState())
	m, _ = press(t, m, "c")
	why := "rows kept in rejects, fixed after cutover"
	m = update(t, m, tea.PasteMsg{Content: why})
	m, _ = press(t, m, "tab", "ctrl+u")
	m = update(t, m, tea.PasteMsg{Content: "2.5%"})
	m, _ = press(t, m, "enter")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "copy", Choice: journal.ChoiceContinue, Text: why, Limit: 0.025})
}

func TestDecisionElsewhereClosesTheWholeChain(t *testing.T) {
	m, sess := newTestModel(t, "alice", stepFailedState())
	m, _ = press(t, m, "c")
	m = typeText(t, m, "switched by hand, checked by bob")
	m, _ = press(t, m, "enter")
	mustContain(t, m, "CONTINUE WITHOUT STEP SWITCH", "type the migration id")
	s := stepFailedState()
	s.Pending = nil
	s.Decisions = []journal.DecisionRecord{{DecisionPayload: journal.DecisionPayload{Kind: "trigger", Choice: "retry"}, Actor: "alice"}}
	m = update(t, m, stateMsg{State: s})
	mustNotContain(t, m, "CONTINUE WITHOUT")
	mustContain(t, m, "decision recorded: alice chose retry")
	m = typeText(t, m, "MIG-2026-042")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
}

func TestLimitForOtherTriggers(t *testing.T) {
	for _, c := range []struct {
		trigger             string
		observed, threshold float64
		label, prefill      string
	}{
		{"overrun", 1.52, 1.5, "elapsed / expected in %", "200%"},
		{"verify_mismatch", 12, 0, "rows that may differ", "12"},
		{"cdc_lag", 37000, 30000, "lag as a duration", "45s"},
	} {
		t.Run(c.trigger, func(t *testing.T) {
			s := triggerState()
			tr := journal.TriggerPayload{Trigger: c.trigger, Observed: c.observed, Threshold: c.threshold, Message: c.trigger + " met"}
			s.Pending.Trigger = &tr
			m, sess := newTestModel(t, "alice", s)
			m, _ = press(t, m, "c")
			mustContain(t, m, "New limit you accept — "+c.label, c.prefill)
			why := "accepted after a call with the DBA"
			m = typeText(t, m, why)
			m, _ = press(t, m, "enter")
			got := sess.sent()
			if len(got) != 1 || got[0].Limit < c.observed || got[0].Text != why {
				t.Fatalf("sent %+v, want a continue with a limit ≥ %g", got, c.observed)
			}
		})
	}
}
