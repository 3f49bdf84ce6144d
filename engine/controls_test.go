package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// smallRun starts a conductor over a runbook given as text, in a fresh
// directory, without starting it.
func smallRun(t *testing.T, text, operator, autoDecide string) *demoRun {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "rb.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return startRun(t, rb, dir, operator, autoDecide)
}

const controlsHeader = `version: 1
name: Controls
migration_id: MIG-CTL
decision_maker: alice
objectives: { rto: 5m, rpo: 0s, expected: 10m, window: 1h }
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
`

func runAsync(r *demoRun) <-chan string {
	done := make(chan string, 1)
	go func() {
		o, _ := r.c.Run(context.Background())
		done <- o
	}()
	return done
}

func waitOutcome(t *testing.T, done <-chan string, want string) {
	t.Helper()
	select {
	case o := <-done:
		if o != want {
			t.Fatalf("outcome %q, want %q", o, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not end")
	}
}

// waitState waits, event by event, until ok holds of the run's state.
func waitState(t *testing.T, c *Conductor, what string, ok func(journal.State) bool) journal.State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got journal.State
	if err := c.waitFor(ctx, func(s *journal.State) bool {
		if ok(*s) {
			got = s.Clone()
			return true
		}
		return false
	}); err != nil {
		t.Fatalf("waited in vain for %s", what)
	}
	return got
}

func stepStatus(s journal.State, id string) string {
	for _, st := range s.Steps {
		if st.ID == id && !st.Rollback {
			return st.Status
		}
	}
	return ""
}

func TestPauseHoldsBetweenSteps(t *testing.T) {
	r := smallRun(t, controlsHeader+`steps:
  - { id: ready, kind: manual }
  - { id: after, kind: shell, run: "true" }
`, "bob", "")
	done := runAsync(r)
	waitPending(t, r.c, "manual")
	r.c.Send(Command{Kind: CmdPause, Actor: "bob"})
	waitState(t, r.c, "the pause", func(s journal.State) bool { return s.Paused && s.PausedBy == "bob" })
	r.c.Send(Command{Kind: CmdConfirm, Actor: "bob", StepID: "ready"})
	waitState(t, r.c, "the manual step done", func(s journal.State) bool { return stepStatus(s, "ready") == journal.StatusDone })
	r.c.Send(Command{Kind: CmdResume, Actor: "carol"})
	waitOutcome(t, done, journal.OutcomeFinished)
	if s := r.c.State(); s.Paused {
		t.Error("still paused at the end")
	}
	// The journal's order proves the hold: "after" started only once the
	// pause was lifted.
	events, err := journal.ReadAll(r.journal)
	if err != nil {
		t.Fatal(err)
	}
	paused := false
	for _, e := range events {
		switch {
		case e.Type == journal.Paused:
			paused = true
		case e.Type == journal.Unpaused:
			paused = false
		case e.Type == journal.StepStarted && e.StepID == "after" && paused:
			t.Fatalf("seq %d: step after started while paused", e.Seq)
		}
	}
}

func TestSkipIsTheDecisionMakers(t *testing.T) {
	r := smallRun(t, controlsHeader+`steps:
  - { id: ready, kind: manual }
  - { id: later, kind: shell, run: "exit 7" }
`, "alice", "")
	done := runAsync(r)
	waitPending(t, r.c, "manual")
	r.c.Send(Command{Kind: CmdSkip, Actor: "bob", StepID: "later", Text: "not needed"})
	waitRefused(t, r.c, 1)
	r.c.Send(Command{Kind: CmdSkip, Actor: "alice", StepID: "later", Text: ""})
	waitRefused(t, r.c, 2) // no reason
	r.c.Send(Command{Kind: CmdSkip, Actor: "alice", StepID: "later", Text: "the hook was retired last week"})
	waitState(t, r.c, "the skip request", func(s journal.State) bool {
		st, _ := s.StepByID("later")
		return st.SkipRequest != ""
	})
	r.c.Send(Command{Kind: CmdConfirm, Actor: "alice", StepID: "ready"})
	waitOutcome(t, done, journal.OutcomeFinished)
	if st := stepStatus(r.c.State(), "later"); st != journal.StatusSkipped {
		t.Fatalf("later is %s, want skipped", st)
	}
}

func TestRetryAFailedStep(t *testing.T) {
	r := smallRun(t, controlsHeader+`triggers: { step_failed: true }
steps:
  - { id: flaky, kind: shell, run: "test -f once || { touch once; echo first try fails >&2; exit 1; }" }
`, "alice", "")
	done := runAsync(r)
	p := waitPending(t, r.c, "trigger")
	if p.Trigger == nil || p.Trigger.Trigger != "step_failed" || !slices.Contains(p.Choices, journal.ChoiceRetry) {
		t.Fatalf("pending %+v", p)
	}
	r.c.Send(Command{Kind: CmdRetry, Actor: "bob"})
	waitRefused(t, r.c, 1)
	r.c.Send(Command{Kind: CmdRetry, Actor: "alice"})
	waitOutcome(t, done, journal.OutcomeFinished)
	for _, st := range r.c.State().Steps {
		if st.ID == "flaky" && (st.Attempts != 2 || st.Status != journal.StatusDone) {
			t.Errorf("flaky: %+v", st)
		}
	}
}

func TestOverrunTriggerAndTheLimitAccepted(t *testing.T) {
	r := smallRun(t, controlsHeader+`triggers: { overrun: 150% }
steps:
  - { id: one, kind: shell, run: "true" }
  - { id: two, kind: shell, run: "true" }
`, "alice", "")
	start := time.Now()
	r.c.opts.Now = func() time.Time { return start.Add(20 * time.Minute) } // 200% of 10m
	done := runAsync(r)
	p := waitPending(t, r.c, "trigger")
	if p.Trigger.Trigger != "overrun" || p.Trigger.Observed < 1.9 {
		t.Fatalf("pending %+v", p.Trigger)
	}
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceContinue, Text: "the copy is nearly done", Limit: 1.0})
	waitRefused(t, r.c, 1) // a limit below what was observed would fire again at once
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceContinue, Text: "the copy is nearly done", Limit: 3.0})
	waitOutcome(t, done, journal.OutcomeFinished)
	s := r.c.State()
	if len(s.Triggers) != 1 {
		t.Errorf("the overrun fired %d times; after continuing to 300%% it should be quiet", len(s.Triggers))
	}
	if d := s.Decisions[len(s.Decisions)-1]; d.Limit != 3.0 {
		t.Errorf("the decision does not record the limit: %+v", d)
	}
}

// TestRerunIsAskedAfterACrash builds the journal of a process that died
// while a shell step was running, then resumes it.
func TestRerunIsAskedAfterACrash(t *testing.T) {
	text := controlsHeader + `steps:
  - { id: side, kind: shell, run: "echo ran >> side-effects" }
  - { id: safe, kind: shell, run: "true", idempotent: true }
`
	for _, tc := range []struct {
		name, onRerun, answer string
		wantRuns              int
		wantOutcome           string
	}{
		{"scripted without --on-rerun stops", "", "", 0, journal.OutcomeFailed},
		{"scripted skip", journal.ChoiceSkip, "", 0, journal.OutcomeFinished},
		{"scripted rerun", journal.ChoiceRerun, "", 1, journal.OutcomeFinished},
		{"a person says rerun", "", journal.ChoiceRerun, 1, journal.OutcomeFinished},
	} {
		t.Run(tc.name, func(t *testing.T) {
			auto := journal.ChoiceContinue
			if tc.answer != "" {
				auto = ""
			}
			first := smallRun(t, text, "alice", auto)
			for _, id := range []string{"side", "safe"} {
				if _, err := first.store.Append(context.Background(), "alice", id, journal.StepStarted, journal.StepStartedPayload{Kind: runbooks.KindShell}); err != nil {
					t.Fatal(err)
				}
			}
			events, err := journal.ReadAll(first.journal)
			if err != nil {
				t.Fatal(err)
			}
			c := New(Options{
				Runbook: first.rb, Journal: first.store, State: journal.Fold(events), Operator: "alice",
				BaseDir: first.dir, AutoDecide: auto, OnRerun: tc.onRerun,
			})
			go func() {
				for range c.Updates() {
				}
			}()
			done := make(chan string, 1)
			go func() {
				o, _ := c.Run(context.Background())
				done <- o
			}()
			if tc.answer != "" {
				waitPending(t, c, "rerun")
				c.Send(Command{Kind: CmdDecide, Actor: "bob", Choice: tc.answer})
			}
			waitOutcome(t, done, tc.wantOutcome)
			b, _ := os.ReadFile(filepath.Join(first.dir, "side-effects"))
			if runs := strings.Count(string(b), "ran"); runs != tc.wantRuns {
				t.Errorf("the side-effecting step ran %d times, want %d", runs, tc.wantRuns)
			}
			if st := stepStatus(c.State(), "safe"); tc.wantOutcome == journal.OutcomeFinished && st != journal.StatusDone {
				t.Errorf("the idempotent step is %s; it should simply run again", st)
			}
		})
	}
}

// TestLeavingTheConsoleLeavesTheRunResumable: cancelling the run from
// outside (the console closed) while a trigger waits writes no
// run_finished, and a new conductor over the same journal carries on.
func TestLeavingTheConsoleLeavesTheRunResumable(t *testing.T) {
	r := smallRun(t, controlsHeader+`triggers: { step_failed: true }
steps:
  - { id: flaky, kind: shell, run: "test -f once || { touch once; exit 1; }" }
  - { id: last, kind: shell, run: "true" }
`, "alice", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan string, 1)
	go func() {
		o, _ := r.c.Run(ctx)
		done <- o
	}()
	waitPending(t, r.c, "trigger")
	cancel()
	waitOutcome(t, done, Interrupted)
	events, err := journal.ReadAll(r.journal)
	if err != nil {
		t.Fatal(err)
	}
	s := journal.Fold(events)
	if s.Outcome != "" {
		t.Fatalf("an interrupted run was closed in the journal: %q", s.Outcome)
	}
	c := New(Options{Runbook: r.rb, Journal: r.store, State: s, Operator: "alice", BaseDir: r.dir, AutoDecide: journal.ChoiceContinue, OnRerun: journal.ChoiceRerun})
	go func() {
		for range c.Updates() {
		}
	}()
	outcome, err := c.Run(context.Background())
	if outcome != journal.OutcomeFinished {
		t.Fatalf("resumed run: %q %v", outcome, err)
	}
	// The question pending when the console closed is asked again, and
	// answered as the uninterrupted run would have been: continue without
	// the failed step (--auto-decide continue), which is not run again.
	end := c.State()
	if n := len(end.Decisions); n != 1 || end.Decisions[0].Trigger != "step_failed" || end.Decisions[0].Choice != journal.ChoiceContinue {
		t.Fatalf("decisions after the resume: %+v", end.Decisions)
	}
	if len(end.Triggers) != 1 {
		t.Errorf("the trigger fired %d times; it should be asked again, not fired again", len(end.Triggers))
	}
	flaky, _ := end.StepByID("flaky")
	if flaky.Status != journal.StatusFailed || !flaky.Waived || flaky.Attempts != 1 {
		t.Errorf("flaky: %+v; it should stay failed and waived, run once", flaky)
	}
	if st := stepStatus(end, "last"); st != journal.StatusDone {
		t.Errorf("last is %s", st)
	}
}
