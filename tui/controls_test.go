package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

// stepFailedState: the switch step failed and the step_failed trigger
// holds the run for the decision-maker.
func stepFailedState() journal.State {
	s := gateState()
	s.Pending = nil
	setStep(&s, "go", journal.StatusDone, 40*time.Minute, 41*time.Minute)
	setStep(&s, "switch", journal.StatusWaiting, 41*time.Minute, 42*time.Minute)
	for i := range s.Steps {
		if s.Steps[i].ID == "switch" {
			s.Steps[i].Error = "exit status 1: connection refused"
		}
	}
	tr := journal.TriggerPayload{Trigger: "step_failed", Observed: 1, Message: "step switch failed: exit status 1: connection refused"}
	s.Triggers = append(s.Triggers, tr)
	s.Current = "switch"
	s.Pending = &journal.Pending{AwaitingPayload: journal.AwaitingPayload{Kind: "trigger", Question: "step switch failed — continue or roll back?",
		Choices: []string{"continue", "rollback", "retry"}, Who: "alice"}, StepID: "switch", Trigger: &tr, Since: at(42 * time.Minute)}
	s.LastAt, s.LastSeq = at(42*time.Minute), 950
	return s
}

// rerunState: a resumed run asks whether the switch step, cut short by a
// stopped process, runs again.
func rerunState() journal.State {
	s := gateState()
	s.Pending = nil
	setStep(&s, "go", journal.StatusDone, 40*time.Minute, 41*time.Minute)
	setStep(&s, "switch", journal.StatusWaiting, 41*time.Minute, 0)
	s.Current = "switch"
	s.Pending = &journal.Pending{AwaitingPayload: journal.AwaitingPayload{Kind: "rerun",
		Question: "step switch was running when the run stopped; run it again?", Choices: []string{"rerun", "skip"}},
		StepID: "switch", Since: at(44 * time.Minute)}
	s.LastAt, s.LastSeq = at(44*time.Minute), 960
	return s
}

func TestContinueWithLimit(t *testing.T) {
	m, sess := newTestModel(t, "alice", triggerState())
	m, _ = press(t, m, "c")
	mustContain(t, m, "New limit you accept — reject rate in %:", "observed 0.213% · threshold 0.100%", "0.3%",
		"empty: acknowledge at the observed value", "tab next field")
	why := "legacy N/A statuses, rows kept in rejects"
	m = typeText(t, m, why)
	mustContain(t, m, "› "+why, "  0.3%")

	// Below the observed rate: refused, with the reason, nothing sent.
	m, _ = press(t, m, "tab", "ctrl+u")
	m = typeText(t, m, "0.2%")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
	mustContain(t, m, "0.2% is below the observed 0.2125%", "nothing sent")
	m, _ = press(t, m, "ctrl+u")
	m = typeText(t, m, "lots")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
	mustContain(t, m, "“lots” is not a percentage")

	// 1% is accepted and sent as a fraction, the engine's unit.
	m, _ = press(t, m, "ctrl+u")
	m = typeText(t, m, "1%")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "copy", Choice: journal.ChoiceContinue, Text: why, Limit: 0.01})
	mustContain(t, m, "new limit 1%")
	mustNotContain(t, m, "DECISION REQUIRED")
}

func TestContinueWithEmptyLimitAcknowledges(t *testing.T) {
	m, sess := newTestModel(t, "alice", triggerState())
	m, _ = press(t, m, "c")
	why := "legacy N/A statuses, rows kept in rejects"
	m = typeText(t, m, why)
	m, _ = press(t, m, "shift+tab", "ctrl+u", "shift+tab") // empty the limit, back to the justification
	m, _ = press(t, m, "enter")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "copy", Choice: journal.ChoiceContinue, Text: why})
	mustContain(t, m, "acknowledged at the observed value")
}

func TestContinueShortJustificationRefocusesIt(t *testing.T) {
	m, sess := newTestModel(t, "alice", triggerState())
	m, _ = press(t, m, "c", "tab")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
	mustContain(t, m, "a justification of at least 10 characters is required (0 typed)")
	m = typeText(t, m, "typed where the cursor went back to")
	m, _ = press(t, m, "enter")
	if got := sess.sent(); len(got) != 1 || got[0].Text != "typed where the cursor went back to" || got[0].Limit != 0.003 {
		t.Fatalf("sent %+v", got)
	}
}

func TestStepFailedRetry(t *testing.T) {
	m, sess := newTestModel(t, "alice", stepFailedState())
	mustContain(t, m, "⚠ ALARM · step switch failed · decision: alice", "t retry step", "r roll back", "c continue without it…")
	mustNotContain(t, m, "observed 1")
	m, _ = press(t, m, "t")
	mustContain(t, m, "RETRY STEP SWITCH", "This is attempt 2", "$ ./switch.sh postgres")
	m, _ = press(t, m, "esc") // back to the decision, nothing sent
	mustContain(t, m, "DECISION REQUIRED")
	m, _ = press(t, m, "t", "n")
	wantCmds(t, sess)
	m, _ = press(t, m, "t", "y")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "switch", Choice: journal.ChoiceRetry})
	mustNotContain(t, m, "RETRY STEP")
}

func TestStepFailedContinueNeedsMigrationID(t *testing.T) {
	m, sess := newTestModel(t, "alice", stepFailedState())
	m, _ = press(t, m, "c")
	mustContain(t, m, "CONTINUE WITHOUT STEP SWITCH", "goes on without it")
	mustNotContain(t, m, "New limit") // a failed step has no threshold to move
	why := "switched by hand, checked by bob"
	m = typeText(t, m, why)
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
	mustContain(t, m, "type the migration id", "reason: “"+why+"”")
	m = typeText(t, m, "MIG-2026-041")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
	mustContain(t, m, "is not MIG-2026-042 — nothing sent")
	m, _ = press(t, m, "esc") // back to the justification, still typed
	mustContain(t, m, why)
	m, _ = press(t, m, "enter")
	m = typeText(t, m, "MIG-2026-042")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "switch", Choice: journal.ChoiceContinue, Text: why})
	mustNotContain(t, m, "DECISION REQUIRED")
}

func TestRetryKey(t *testing.T) {
	m, sess := newTestModel(t, "alice", copyState())
	m, _ = press(t, m, "R")
	mustContain(t, m, "✗ nothing to retry: no step has failed")
	mustNotContain(t, m, "R retry") // disabled and irrelevant: not in the help line

	m, sess = newTestModel(t, "alice", stepFailedState())
	m, _ = press(t, m, "esc") // hide the decision; the alarm stays
	mustContain(t, m, "⚠ ALARM", "R retry")
	m, _ = press(t, m, "R")
	mustContain(t, m, "RETRY STEP SWITCH")
	m, _ = press(t, m, "esc")
	wantCmds(t, sess)
	m, _ = press(t, m, "R", "y")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdRetry, Actor: "alice", StepID: "switch"})
}

func TestOnlyTheDecisionMakerRetriesSkipsAborts(t *testing.T) {
	m, sess := newTestModel(t, "bob", stepFailedState())
	m, _ = press(t, m, "t")
	mustContain(t, m, "✗ Only alice may decide — you are bob")
	m, _ = press(t, m, "c")
	mustNotContain(t, m, "CONTINUE WITHOUT")
	m, _ = press(t, m, "esc")
	for key, why := range map[string]string{"R": "Only alice may retry — you are bob", "s": "Only alice may skip — you are bob",
		"A": "Only alice may abort — you are bob"} {
		m, _ = press(t, m, key)
		mustContain(t, m, "✗ "+why)
		mustNotContain(t, m, "type the migration id")
	}
	m, _ = press(t, m, "enter", "y")
	wantCmds(t, sess)
}

func TestPauseAndResumeByAnyone(t *testing.T) {
	m, sess := newTestModel(t, "bob", copyState())
	mustContain(t, m, "p pause")
	m, _ = press(t, m, "p")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdPause, Actor: "bob"})
	s := copyState()
	s.Paused, s.PausedBy = true, "bob"
	m = update(t, m, stateMsg{State: s})
	mustContain(t, m, "⏸ PAUSED by bob", "p resume")
	m, _ = press(t, m, "p")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdPause, Actor: "bob"}, engine.Command{Kind: engine.CmdResume, Actor: "bob"})
}

func TestSkipNeedsReasonAndMigrationID(t *testing.T) {
	m, sess := newTestModel(t, "alice", copyState())
	mustContain(t, m, "s skip check…") // copy runs: the next step is the one to skip
	m, _ = press(t, m, "s")
	mustContain(t, m, "SKIP STEP CHECK", "has not started")
	m = typeText(t, m, "short")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
	mustContain(t, m, "a reason of at least 10 characters is required (5 typed)")
	m, _ = press(t, m, "ctrl+u")
	why := "verified by the DBA with pt-table-checksum"
	m = typeText(t, m, why)
	m, _ = press(t, m, "enter")
	mustContain(t, m, "Step check (verify) will not run", "type the migration id")
	m = typeText(t, m, "MIG")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
	m, _ = press(t, m, "esc", "esc") // all the way out: nothing sent
	mustNotContain(t, m, "SKIP STEP")
	wantCmds(t, sess)

	m, _ = press(t, m, "s")
	m = typeText(t, m, why)
	m, _ = press(t, m, "enter")
	m = typeText(t, m, "MIG-2026-042")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdSkip, Actor: "alice", StepID: "check", Text: why})
	mustContain(t, m, "sent: SKIP step check")
}

func TestSkipDialogClosesWhenItsStepStarts(t *testing.T) {
	m, sess := newTestModel(t, "alice", copyState())
	m, _ = press(t, m, "s")
	m = typeText(t, m, "half a reason")
	s := copyState()
	setStep(&s, "copy", journal.StatusDone, 7*time.Minute, 31*time.Minute)
	setStep(&s, "check", journal.StatusRunning, 31*time.Minute, 0)
	s.Current = "check"
	m = update(t, m, stateMsg{State: s})
	mustNotContain(t, m, "SKIP STEP CHECK")
	mustContain(t, m, "skip cancelled: step check is no longer pending")
	wantCmds(t, sess)
}

func TestSkipRefusedWhereItMakesNoSense(t *testing.T) {
	for name, c := range map[string]struct {
		s   journal.State
		why string
	}{
		"gate":     {gateState(), "a gate is answered, not skipped"},
		"trigger":  {triggerState(), "answer the trigger first"},
		"rollback": {crowdedState(), "nothing to skip: the rollback runs every step"},
	} {
		t.Run(name, func(t *testing.T) {
			m, sess := newTestModel(t, "alice", c.s)
			m, _ = press(t, m, "esc", "s")
			mustContain(t, m, "✗ "+c.why)
			wantCmds(t, sess)
		})
	}
}

func TestSkipManualStep(t *testing.T) {
	m, sess := newTestModel(t, "alice", manualState())
	m, _ = press(t, m, "s")
	mustContain(t, m, "SKIP STEP FREEZE", "is waiting")
	why := "maintenance page already up since Friday"
	m = typeText(t, m, why)
	m, _ = press(t, m, "enter")
	m = typeText(t, m, "MIG-2026-042")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdSkip, Actor: "alice", StepID: "freeze", Text: why})
}

func TestAbortNeedsReasonAndMigrationID(t *testing.T) {
	m, sess := newTestModel(t, "alice", copyState())
	m, _ = press(t, m, "A")
	mustContain(t, m, "ABORT MIG-2026-042", "No rollback runs")
	m, _ = press(t, m, "esc")
	wantCmds(t, sess)
	m, _ = press(t, m, "A")
	why := "the source is being restored by the DBA"
	m = typeText(t, m, why)
	m, _ = press(t, m, "enter")
	m = typeText(t, m, "mig-2026-042")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess)
	m, _ = press(t, m, "ctrl+u")
	m = typeText(t, m, "MIG-2026-042")
	m, _ = press(t, m, "enter")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdAbort, Actor: "alice", Text: why})

	m, sess = newTestModel(t, "alice", crowdedState())
	m, _ = press(t, m, "A")
	mustContain(t, m, "✗ the rollback runs to the end")
	wantCmds(t, sess)
}

func TestRerunQuestionAnyoneMayAnswer(t *testing.T) {
	m, sess := newTestModel(t, "bob", rerunState())
	mustContain(t, m, "RUN STEP SWITCH AGAIN?", "Step switch (shell) was running when the last process stopped",
		"$ ./switch.sh postgres", "Anyone at the console may answer", "y run it again", "s skip it…")
	m, _ = press(t, m, "y")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdDecide, Actor: "bob", StepID: "switch", Choice: journal.ChoiceRerun})
	mustNotContain(t, m, "RUN STEP SWITCH AGAIN?")
}

func TestRerunSkipAsksReason(t *testing.T) {
	m, sess := newTestModel(t, "bob", rerunState())
	m, _ = press(t, m, "s")
	mustContain(t, m, "DO NOT RUN STEP SWITCH AGAIN")
	m, _ = press(t, m, "esc") // back to the question
	mustContain(t, m, "RUN STEP SWITCH AGAIN?")
	m, _ = press(t, m, "esc") // hidden: the banner stays, d brings it back
	mustContain(t, m, "RERUN? step switch (shell)", "d answer")
	wantCmds(t, sess)
	m, _ = press(t, m, "d", "s")
	why := "the switch log shows it completed"
	m = typeText(t, m, why)
	m, _ = press(t, m, "enter")
	wantCmds(t, sess, engine.Command{Kind: engine.CmdDecide, Actor: "bob", StepID: "switch", Choice: journal.ChoiceSkip, Text: why})
}

func TestAlarmStaysWhenHidden(t *testing.T) {
	for _, op := range []string{"alice", "bob"} {
		m, sess := newTestModel(t, op, triggerState())
		m, _ = press(t, m, "esc")
		mustNotContain(t, m, "DECISION REQUIRED")
		mustContain(t, m, "⚠ ALARM · reject_rate on orders", "decision: alice")
		m, _ = press(t, m, "N") // a note over the hidden alarm: still in sight
		mustContain(t, m, "⚠ ALARM")
		// Another snapshot of the same trigger: still there, still hidden.
		m = update(t, m, stateMsg{State: triggerState()})
		mustContain(t, m, "⚠ ALARM", "NOTE")
		wantCmds(t, sess)
	}
}

func TestWarningsAndFailedNotifications(t *testing.T) {
	s := copyState()
	s.Warnings = []journal.WarningPayload{{Kind: "window", Message: "the window closes in 1h"},
		{Kind: "rto", Message: "restore estimate 41m exceeds the RTO 30m"}, {Kind: "window", Message: "the window closes in 18m"}}
	s.Notifications = []journal.NotifiedPayload{{Event: journal.TriggerFired, OK: true}, {Event: journal.Decision, OK: false, Error: "exit 1"},
		{Event: journal.Decision, OK: false, Error: "timeout"}}
	m, _ := newTestModel(t, "alice", s)
	mustContain(t, m, "△ window: the window closes in 18m · rto: restore estimate 41m exceeds the RTO 30m", "notify: 2 failed")
	mustNotContain(t, m, "closes in 1h")
}

func TestWatchModeIsReadOnly(t *testing.T) {
	sess := newFakeSession()
	m := New(sess, Options{Mode: ModeWatch, Now: fixedNow})
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = update(t, m, stateMsg{State: stepFailedState()})
	m, _ = press(t, m, "t", "c", "esc", "p", "s", "R", "A", "N")
	wantCmds(t, sess)
	mustContain(t, m, "WATCH", "read-only · decides: alice", "watching — read-only")
	mustNotContain(t, m, "p pause")
}

// TestUnreadableEventsAreShown: an event the fold could not decode is not
// silently dropped from the console.
func TestUnreadableEventsAreShown(t *testing.T) {
	s := journal.State{Problems: []string{"seq 42: trigger payload: json: cannot unmarshal string"}}
	if got := warningsLine(s); !strings.Contains(got, "1 unreadable event(s), first seq 42: trigger payload") {
		t.Fatalf("warnings line %q", got)
	}
}
