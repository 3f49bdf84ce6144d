package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// TestInterruptedStepIsNotFailed stops a run from outside (as plain mode
// does when standard input ends) while a manual step waits for its answer:
// the step did not fail, so the journal has no step_finished for it — it
// stays as a crash would leave it, and a resume folds it Interrupted — and
// a log line of the step says it was interrupted, and why.
func TestInterruptedStepIsNotFailed(t *testing.T) {
	r := smallRun(t, controlsHeader+`steps:
  - { id: freeze, kind: manual, instructions: "Freeze the writes" }
  - { id: after, kind: shell, run: "true" }
`, "alice", "")
	for _, f := range []string{"a.db", "b.db"} {
		if err := os.WriteFile(filepath.Join(r.dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	done := make(chan string, 1)
	go func() {
		o, _ := r.c.Run(ctx)
		done <- o
	}()
	waitState(t, r.c, "the manual step waiting", func(s journal.State) bool {
		return s.Pending != nil && s.Pending.StepID == "freeze"
	})
	cancel(errors.New("no answer: standard input ended"))
	select {
	case o := <-done:
		if o != Interrupted {
			t.Fatalf("outcome %q, want %q", o, Interrupted)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not end")
	}
	events, err := journal.ReadAll(r.journal)
	if err != nil {
		t.Fatal(err)
	}
	said := false
	for _, e := range events {
		if e.StepID != "freeze" {
			continue
		}
		if e.Type == journal.StepFinished {
			t.Errorf("the interrupted step was journaled finished: %s", e.Payload)
		}
		if pl, err := journal.Decode(e); err == nil && e.Type == journal.Log {
			line := pl.(journal.LogPayload).Line
			said = said || (strings.Contains(line, "interrupted after") && strings.Contains(line, "no answer: standard input ended"))
		}
	}
	if !said {
		t.Error("no log line of the step says it was interrupted, and why")
	}
	s := journal.Fold(events)
	st := stepByID(t, s, "freeze")
	if st.Status == journal.StatusFailed || st.Error != "" {
		t.Errorf("the interrupted step folds %s (%q), want it unfinished", st.Status, st.Error)
	}
	if s.Outcome != "" {
		t.Errorf("the run ended %s: it should be resumable", s.Outcome)
	}

	// A resume takes the step up again: it is folded Interrupted and asked.
	c := New(Options{Runbook: r.rb, Journal: r.store, State: s, Operator: "alice", BaseDir: r.dir})
	go func() {
		for range c.Updates() {
		}
	}()
	rctx, rcancel := context.WithCancel(context.Background())
	rdone := make(chan string, 1)
	go func() {
		o, _ := c.Run(rctx)
		rdone <- o
	}()
	got := waitState(t, c, "the manual step asked again", func(s journal.State) bool {
		return s.Pending != nil && s.Pending.StepID == "freeze"
	})
	if st := stepByID(t, got, "freeze"); st.Status == journal.StatusFailed {
		t.Errorf("after the resume the step is %s", st.Status)
	}
	rcancel()
	<-rdone
}

func stepByID(t *testing.T, s journal.State, id string) journal.StepState {
	t.Helper()
	for _, st := range s.Steps {
		if st.ID == id {
			return st
		}
	}
	t.Fatalf("no step %s", id)
	return journal.StepState{}
}
