package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

func wantCmds(t *testing.T, sess *fakeSession, want ...engine.Command) {
	t.Helper()
	got := sess.sent()
	if len(got) != len(want) {
		t.Fatalf("sent %d commands %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("command %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestManualChecklistTickAndConfirm(t *testing.T) {
	m, sess := newTestModel(t, "alice", manualState())
	mustContain(t, m, "MANUAL freeze", "[ ] Banner is up", "space tick next item")

	// Confirming with items unticked is refused, and says why.
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
	mustContain(t, m, "tick 2 more first: Banner is up")

	// space and x tick the next item each, before the journal catches up.
	m, _ = press(t, m, "space")
	m, _ = press(t, m, "x")
	check := func(i int) engine.Command {
		return engine.Command{Kind: engine.CmdCheck, Actor: "alice", StepID: "freeze", Index: i}
	}
	wantCmds(t, sess, check(0), check(1))
	mustContain(t, m, "Cron jobs paused (sent)")

	// Nothing left to tick: a third press sends nothing.
	m, _ = press(t, m, "space")
	wantCmds(t, sess, check(0), check(1))
	mustContain(t, m, "all items ticked — press enter")

	// The journal shows the ticks; enter confirms.
	s := manualState()
	s.Steps[0].Checked = []bool{true, true}
	m = update(t, m, stateMsg{State: s})
	m, _ = press(t, m, "enter")
	wantCmds(t, sess, check(0), check(1),
		engine.Command{Kind: engine.CmdConfirm, Actor: "alice", StepID: "freeze", Choice: journal.ChoiceConfirm})
}

func TestConfirmRefusedWhileItemsUnticked(t *testing.T) {
	s := manualState()
	s.Steps[0].Checked = []bool{true, false}
	m, sess := newTestModel(t, "bob", s)
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
	mustContain(t, m, "tick 1 more first: Cron jobs paused")
}

func TestGateGoWithConfirmation(t *testing.T) {
	m, sess := newTestModel(t, "alice", gateState())
	mustContain(t, m, "GATE go: Switch the shop to PostgreSQL?")
	m, _ = press(t, m, "g")
	wantCmds(t, sess) // opening the dialog sends nothing
	mustContain(t, m, "Send GO?")
	m, _ = press(t, m, "y")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "go", Choice: journal.ChoiceGo})
	mustNotContain(t, m, "Send GO?")
}

func TestGateNoGoWithConfirmation(t *testing.T) {
	m, sess := newTestModel(t, "alice", gateState())
	m, _ = press(t, m, "n")
	mustContain(t, m, "Send NO-GO?", "rollback of MIG-2026-042")
	m, _ = press(t, m, "y")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "go", Choice: journal.ChoiceNoGo})
}

func TestGateEscCancels(t *testing.T) {
	m, sess := newTestModel(t, "alice", gateState())
	for _, k := range []string{"g", "n"} {
		m, _ = press(t, m, k)
		m, _ = press(t, m, "esc")
		mustNotContain(t, m, "Send GO?")
		mustNotContain(t, m, "Send NO-GO?")
	}
	m, _ = press(t, m, "g", "n") // n in the dialog means "no", not no-go
	wantCmds(t, sess)
}

func TestTriggerDialogOpensByItself(t *testing.T) {
	m, _ := newTestModel(t, "alice", triggerState())
	mustContain(t, m, "⚠ ALARM · reject_rate on orders: 0.213% > 0.100%", "DECISION REQUIRED",
		"evidence: read 1,040,000 · rejected 2,210", "r roll back", "c continue…")
}

func TestTriggerRollbackNeedsMigrationID(t *testing.T) {
	m, sess := newTestModel(t, "alice", triggerState())
	m, _ = press(t, m, "r")
	mustContain(t, m, "ROLL BACK MIG-2026-042", "type the migration id")

	m = typeText(t, m, "MIG-2026-42")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
	mustContain(t, m, "is not MIG-2026-042 — nothing sent")

	m, _ = press(t, m, "ctrl+u")
	m = typeText(t, m, "mig-2026-042") // case matters
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)

	m, _ = press(t, m, "ctrl+u")
	m = typeText(t, m, "MIG-2026-042")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "copy", Choice: journal.ChoiceRollback})
	mustNotContain(t, m, "DECISION REQUIRED")
}

func TestTriggerContinueNeedsJustification(t *testing.T) {
	m, sess := newTestModel(t, "alice", triggerState())
	m, _ = press(t, m, "c")
	mustContain(t, m, "Why is it safe to continue?")

	m, _ = press(t, m, "enter") // empty
	wantCmds(t, sess)
	mustContain(t, m, "at least 10 characters is required (0 typed)", "nothing sent")

	m = typeText(t, m, "fine")
	m, _ = press(t, m, "enter") // too short
	wantCmds(t, sess)

	m, _ = press(t, m, "ctrl+u")
	why := "N/A statuses are legacy test orders; rows kept in rejects"
	m = typeText(t, m, why)
	m, _ = press(t, m, "enter")
	// The limit was prefilled from the trigger (0.213% observed → 0.3%).
	wantCmds(t, sess, engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "copy", Choice: journal.ChoiceContinue, Text: why, Limit: 0.003})
}

func TestTriggerEscCancelsWithoutSending(t *testing.T) {
	m, sess := newTestModel(t, "alice", triggerState())
	m, _ = press(t, m, "r")
	m = typeText(t, m, "MIG-2026-042")
	m, _ = press(t, m, "esc") // back to the choice, nothing sent
	mustContain(t, m, "DECISION REQUIRED")
	mustNotContain(t, m, "ROLL BACK MIG")
	m, _ = press(t, m, "c")
	m = typeText(t, m, "a perfectly good reason")
	m, _ = press(t, m, "esc", "esc") // and the dialog hides; the alarm stays
	wantCmds(t, sess)
	mustNotContain(t, m, "DECISION REQUIRED")
	mustContain(t, m, "⚠ ALARM", "press d to decide")

	// A new snapshot of the same trigger does not reopen it; d does.
	m = update(t, m, stateMsg{State: triggerState()})
	mustNotContain(t, m, "DECISION REQUIRED")
	m, _ = press(t, m, "d")
	mustContain(t, m, "DECISION REQUIRED")
	wantCmds(t, sess)
}

func TestNonDecisionMakerCannotDecide(t *testing.T) {
	m, sess := newTestModel(t, "bob", triggerState())
	mustContain(t, m, "DECISION REQUIRED", "Only alice may decide — you are bob")
	m, _ = press(t, m, "r")
	mustContain(t, m, "✗ Only alice may decide — you are bob") // the refusal, in the footer
	mustNotContain(t, m, "ROLL BACK MIG")
	m, _ = press(t, m, "c")
	mustNotContain(t, m, "Why is it safe")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)

	g, gsess := newTestModel(t, "bob", gateState())
	g, _ = press(t, g, "g")
	g, _ = press(t, g, "y")
	g, _ = press(t, g, "n")
	wantCmds(t, gsess)
	mustNotContain(t, g, "Send GO?")
	mustContain(t, g, "Only alice may decide — you are bob")
}

func TestNoteSendsCmdNote(t *testing.T) {
	m, sess := newTestModel(t, "bob", copyState())
	m, _ = press(t, m, "N")
	mustContain(t, m, "NOTE", "signed bob")
	m = typeText(t, m, "paging the DBA about orders.status")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdNote, Actor: "bob", StepID: "copy", Text: "paging the DBA about orders.status"})

	// ":" opens it too; esc cancels; an empty note is not sent.
	m, _ = press(t, m, ":")
	m, _ = press(t, m, "enter")
	mustContain(t, m, "the note is empty")
	m = typeText(t, m, "never mind")
	m, _ = press(t, m, "esc")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdNote, Actor: "bob", StepID: "copy", Text: "paging the DBA about orders.status"})
}

func TestNoteOverTriggerDialog(t *testing.T) {
	m, sess := newTestModel(t, "alice", triggerState())
	m, _ = press(t, m, "N")
	m = typeText(t, m, "rq") // letters that are keys elsewhere are text here
	m, _ = press(t, m, "enter")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdNote, Actor: "alice", StepID: "copy", Text: "rq"})
	mustContain(t, m, "DECISION REQUIRED") // back to the decision
}

func TestQuitAsksInLiveMode(t *testing.T) {
	m, _ := newTestModel(t, "alice", copyState())
	m, cmd := press(t, m, "q")
	if isQuit(cmd) {
		t.Fatal("q quit a live run without asking")
	}
	mustContain(t, m, "quit? the run keeps its journal and can be resumed")
	m, cmd = press(t, m, "n")
	if isQuit(cmd) {
		t.Fatal("n quit")
	}
	mustNotContain(t, m, "quit? the run")
	m, _ = press(t, m, "ctrl+c")
	_, cmd = press(t, m, "y")
	if !isQuit(cmd) {
		t.Fatal("y did not quit")
	}
}

func TestSessionEndKeepsScreenUntilQ(t *testing.T) {
	s := copyState()
	s.Outcome, s.FinishedAt = journal.OutcomeFinished, at(44*time.Minute)
	m, sess := newTestModel(t, "alice", s)
	m = update(t, m, sessionDoneMsg{})
	mustContain(t, m, "run finished", "press q to quit")
	m, _ = press(t, m, "N")
	wantCmds(t, sess)
	mustContain(t, m, "the run has finished")
	_, cmd := press(t, m, "q")
	if !isQuit(cmd) {
		t.Fatal("q did not quit after the run ended")
	}
}

func TestDecisionTakenElsewhereClosesDialog(t *testing.T) {
	m, _ := newTestModel(t, "alice", triggerState())
	m, _ = press(t, m, "c")
	m = typeText(t, m, "half-typed")
	s := triggerState()
	s.Pending = nil
	s.Decisions = []journal.DecisionRecord{{DecisionPayload: journal.DecisionPayload{Kind: "trigger", Choice: "rollback"}, Actor: "alice"}}
	m = update(t, m, stateMsg{State: s})
	mustNotContain(t, m, "Why is it safe")
	mustContain(t, m, "decision recorded: alice chose rollback")
}

func TestEveryCommandCarriesTheOperator(t *testing.T) {
	m, sess := newTestModel(t, "carol", manualState())
	m, _ = press(t, m, "space", "N")
	m = typeText(t, m, "hello")
	_, _ = press(t, m, "enter")
	for _, c := range sess.sent() {
		if c.Actor != "carol" {
			t.Errorf("%s sent with actor %q", c.Kind, c.Actor)
		}
	}
	if len(sess.sent()) != 2 {
		t.Fatalf("sent %+v", sess.sent())
	}
}

func TestReadOnlyModesSendNothing(t *testing.T) {
	for _, mode := range []string{ModeWatch, ModeReplay} {
		sess := newFakeSession()
		m := New(sess, Options{Operator: "alice", Mode: mode, Now: fixedNow})
		m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
		m = update(t, m, stateMsg{State: gateState()})
		m, _ = press(t, m, "g", "y", "N", "enter")
		m = update(t, m, stateMsg{State: manualState()})
		m, _ = press(t, m, "space", "enter")
		wantCmds(t, sess)
		if !strings.Contains(screen(m), strings.ToUpper(mode)) {
			t.Errorf("%s: no mode badge:\n%s", mode, screen(m))
		}
	}
}
