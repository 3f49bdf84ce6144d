package engine

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/demo"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// demoWithFirstSteps is the demo runbook with extra steps before its
// first one; the demo's products table carries an assessment blocker, so
// an assess step among them decides a rollback before any snapshot.
func demoWithFirstSteps(t *testing.T, steps string) *demoRun {
	t.Helper()
	dir := t.TempDir()
	path, err := demo.Write(context.Background(), dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(text), "steps:\n", "steps:\n"+steps, 1)
	if edited == string(text) {
		t.Fatal("the demo runbook has no steps: line")
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return startRun(t, rb, dir, "alice", journal.ChoiceRollback)
}

const nothingReason = "nothing to restore: snapshot step %s never ran, and no step wrote to this connection since"

// TestRollbackBeforeAnySnapshotSkipsTheRestores: a rollback decided by
// the assessment, before any snapshot and any write, skips both restores
// with their reason, runs the rest of the rollback and ends rolled back.
func TestRollbackBeforeAnySnapshotSkipsTheRestores(t *testing.T) {
	r := demoWithFirstSteps(t, "  - { id: assess, kind: assess, sample: 50% }\n")
	outcome, err := r.c.Run(context.Background())
	if outcome != journal.OutcomeRolledBack || err != nil {
		t.Fatalf("outcome %q, err %v; want rolled back", outcome, err)
	}
	s := r.c.State()
	for restore, snap := range map[string]string{"restore-target": "snap-target", "restore-source": "snap-source"} {
		st, _ := s.StepOf(restore, true)
		if st.Status != journal.StatusSkipped {
			t.Errorf("%s: status %q, want skipped (error %q)", restore, st.Status, st.Error)
		}
		if want := strings.Replace(nothingReason, "%s", snap, 1); !strings.Contains(st.Error, want) {
			t.Errorf("%s: reason %q, want %q", restore, st.Error, want)
		}
	}
	if st, _ := s.StepOf("switch-back", true); st.Status != journal.StatusDone {
		t.Errorf("switch-back after the skipped restores: %q %s", st.Status, st.Error)
	}
	if len(s.Restores) != 0 {
		t.Errorf("restores journaled: %+v", s.Restores)
	}
	if s.Rollback == nil || !s.Rollback.OK {
		t.Errorf("rollback record: %+v", s.Rollback)
	}
	// A resumed rollback leaves a skipped restore alone: run the rollback
	// again on the same conductor and nothing new is journaled for it.
	before := len(s.Steps)
	if _, err := r.c.rollback(context.Background(), "again"); err != nil {
		t.Fatalf("the rollback again: %v", err)
	}
	again := r.c.State()
	st, _ := again.StepOf("restore-target", true)
	if st.Attempts != 1 || len(again.Steps) != before {
		t.Errorf("the skipped restore ran again: attempts %d", st.Attempts)
	}
}

// TestRollbackAfterAWriteStillNeedsTheSnapshot: when a step that may
// write to a connection ran before the rollback, the missing snapshot of
// that connection is a failure, loudly; the other side, untouched, is
// still skipped. A shell step may have written anywhere.
func TestRollbackAfterAWriteStillNeedsTheSnapshot(t *testing.T) {
	for _, tc := range []struct {
		name, step string
		failed     []string // restore steps that must fail
	}{
		{"copy into the target", "  - { id: early, kind: copy, tables: [customers] }\n", []string{"restore-target"}},
		{"sql on the target", "  - { id: early, kind: sql, on: target, run: 'CREATE TABLE early_mark (x INTEGER)' }\n", []string{"restore-target"}},
		{"sql on the source", "  - { id: early, kind: sql, on: source, run: 'CREATE TABLE early_mark (x INTEGER)' }\n", []string{"restore-source"}},
		{"shell", "  - { id: early, kind: shell, run: 'true' }\n", []string{"restore-target", "restore-source"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := demoWithFirstSteps(t, tc.step+"  - { id: assess, kind: assess, sample: 50% }\n")
			outcome, err := r.c.Run(context.Background())
			if outcome != journal.OutcomeFailed || err == nil {
				t.Fatalf("outcome %q, err %v; want failed", outcome, err)
			}
			s := r.c.State()
			if st, _ := s.StepOf("early", false); st.Status != journal.StatusDone {
				t.Fatalf("the writing step did not run: %q %s", st.Status, st.Error)
			}
			for _, restore := range []string{"restore-target", "restore-source"} {
				st, _ := s.StepOf(restore, true)
				mustFail := strings.Contains(strings.Join(tc.failed, " "), restore)
				switch {
				case mustFail && (st.Status != journal.StatusFailed || !strings.Contains(st.Error, "nothing to restore")):
					t.Errorf("%s: %q %q, want failed for want of a snapshot", restore, st.Status, st.Error)
				case !mustFail && st.Status != journal.StatusSkipped:
					t.Errorf("%s: %q %q, want skipped", restore, st.Status, st.Error)
				}
			}
			if s.Rollback == nil || s.Rollback.OK {
				t.Errorf("rollback record: %+v, want not OK", s.Rollback)
			}
		})
	}
}
