package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// The tests in this file stop a run at an awkward moment (a pause, a
// continue with a typed or a default limit, a trigger waiting for its
// decision), resume it in a new conductor from the journal alone, and
// require the final state to equal that of the same run left alone.

// rejectsRunbook copies two tables whose every tenth row cannot fit (10%
// rejects against a 1% trigger), in batches of 50 so the reject rate is
// judged several times per table.
const rejectsRunbook = controlsHeader + `triggers: { reject_rate: 1% }
steps:
  - { id: copy, kind: copy, tables: [a, b], batch: 50 }
  - { id: after, kind: shell, run: "true" }
`

// seedRejects writes the source and the stricter target of rejectsRunbook.
func seedRejects(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{"a.db", "b.db"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil { // an empty file is an empty database
			t.Fatal(err)
		}
	}
	src := openSQLite(t, filepath.Join(dir, "a.db"))
	dst := openSQLite(t, filepath.Join(dir, "b.db"))
	for _, table := range []string{"a", "b"} {
		mustExec(t, src, fmt.Sprintf("CREATE TABLE %s (id INTEGER PRIMARY KEY, n TEXT)", table))
		mustExec(t, dst, fmt.Sprintf("CREATE TABLE %s (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)", table))
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (id, n) VALUES ", table)
		for i := 1; i <= 600; i++ {
			v := fmt.Sprintf("'%d'", i)
			if i%10 == 0 {
				v = "'N/A'"
			}
			if i > 1 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d, %s)", i, v)
		}
		mustExec(t, src, b.String())
	}
}

func mustExec(t *testing.T, d db.DB, stmt string) {
	t.Helper()
	if _, err := d.SQL().ExecContext(context.Background(), stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// answerer answers every question the run asks, once, with the script's
// answer; it stops when ctx ends.
func answerer(ctx context.Context, c *Conductor, script func(journal.Pending) Command) {
	answered := map[time.Time]bool{}
	for {
		var p *journal.Pending
		err := c.waitFor(ctx, func(s *journal.State) bool {
			if s.Pending != nil && !answered[s.Pending.Since] {
				q := *s.Pending
				p = &q
				return true
			}
			return false
		})
		if err != nil {
			return
		}
		answered[p.Since] = true
		c.Send(script(*p))
	}
}

// continueWith answers triggers with a justified continue and the given
// limit (0: the default), and confirms anything else as --auto-decide would.
func continueWith(limit float64) func(journal.Pending) Command {
	return func(p journal.Pending) Command {
		if p.Kind == journal.AwaitRerun {
			return Command{Kind: CmdDecide, Actor: "alice", StepID: p.StepID, Choice: journal.ChoiceRerun}
		}
		return Command{Kind: CmdDecide, Actor: "alice", StepID: p.StepID, Choice: journal.ChoiceContinue,
			Text: "known N/A values, fixed after the window", Limit: limit}
	}
}

// stopAt runs c until stop holds of its state, then interrupts it as a
// closed console or a kill would (no run_finished), and returns the fold
// of the journal as a new process would read it.
func stopAt(t *testing.T, r *demoRun, script func(journal.Pending) Command, stop func(journal.State) bool) journal.State {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan string, 1)
	go func() {
		o, _ := r.c.Run(ctx)
		done <- o
	}()
	go answerer(ctx, r.c, script)
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if err := r.c.waitFor(wctx, func(s *journal.State) bool { return stop(*s) }); err != nil {
		t.Fatalf("the run never reached the stopping point: %v", err)
	}
	cancel()
	if o := <-done; o != Interrupted {
		t.Fatalf("outcome %q, want %q", o, Interrupted)
	}
	events, err := journal.ReadAll(r.journal)
	if err != nil {
		t.Fatal(err)
	}
	return journal.Fold(events)
}

// resumeFrom runs a new conductor over the journal of r from state s to
// its end, answering with script; before answering anything it lets
// beforeAnswers act on the conductor.
func resumeFrom(t *testing.T, r *demoRun, s journal.State, script func(journal.Pending) Command, beforeAnswers func(*Conductor)) journal.State {
	t.Helper()
	c := New(Options{Runbook: r.rb, Journal: r.store, State: s, Operator: "alice", BaseDir: r.dir})
	go func() {
		for range c.Updates() {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan string, 1)
	go func() {
		o, _ := c.Run(ctx)
		done <- o
	}()
	if beforeAnswers != nil {
		beforeAnswers(c)
	}
	go answerer(ctx, c, script)
	if o := <-done; o != journal.OutcomeFinished {
		t.Fatalf("resumed run: outcome %q", o)
	}
	return c.State()
}

// alone runs the scenario without interruption and returns its end state.
func alone(t *testing.T, script func(journal.Pending) Command) journal.State {
	t.Helper()
	r := smallRun(t, rejectsRunbook, "alice", "")
	seedRejects(t, r.dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go answerer(ctx, r.c, script)
	if o, err := r.c.Run(ctx); o != journal.OutcomeFinished {
		t.Fatalf("outcome %q: %v", o, err)
	}
	return r.c.State()
}

// outcomeOf is what must not differ between a run left alone and the same
// run stopped and resumed: outcome, steps, counts, limits, decisions, pause.
func outcomeOf(s journal.State) string {
	var b strings.Builder
	fmt.Fprintf(&b, "outcome %s paused %v\n", s.Outcome, s.Paused)
	for _, st := range s.Steps {
		fmt.Fprintf(&b, "step %s %s waived=%v\n", st.ID, st.Status, st.Waived)
	}
	for _, tb := range s.Tables {
		fmt.Fprintf(&b, "table %s read %d written %d rejected %d\n", tb.Table, tb.Read, tb.Written, tb.Rejected)
	}
	for _, l := range s.Limits {
		fmt.Fprintf(&b, "limit %s/%s/%s = %g default=%v by %s\n", l.Trigger, l.Step, l.Table, l.Value, l.Default, l.By)
	}
	for _, d := range s.Decisions {
		fmt.Fprintf(&b, "decision %s %s %s %s limit %g default=%v\n", d.Kind, d.Choice, d.Trigger, d.Table, d.Limit, d.LimitDefault)
	}
	return b.String()
}

func sameEnd(t *testing.T, resumed, uninterrupted journal.State) {
	t.Helper()
	got, want := outcomeOf(resumed), outcomeOf(uninterrupted)
	if got != want {
		t.Fatalf("the resumed run ended differently.\nresumed:\n%s\nleft alone:\n%s", got, want)
	}
	if !strings.Contains(want, "decision trigger continue reject_rate a") || !strings.Contains(want, "decision trigger continue reject_rate b") {
		t.Fatalf("the scenario did not trip both tables:\n%s", want)
	}
}

func decidedOn(table string) func(journal.State) bool {
	return func(s journal.State) bool {
		return slices.ContainsFunc(s.Decisions, func(d journal.DecisionRecord) bool { return d.Table == table })
	}
}

func TestResumeAfterContinueWithATypedLimit(t *testing.T) {
	script := continueWith(0.5)
	want := alone(t, script)
	r := smallRun(t, rejectsRunbook, "alice", "")
	seedRejects(t, r.dir)
	s := stopAt(t, r, script, decidedOn("a"))
	if v, ok := s.Limit(runbooks.TriggerRejectRate, "copy", "a"); !ok || v != 0.5 {
		t.Fatalf("the typed limit is not in the journal's fold: %g %v", v, ok)
	}
	sameEnd(t, resumeFrom(t, r, s, script, nil), want)
}

func TestResumeAfterContinueWithTheDefaultLimit(t *testing.T) {
	script := continueWith(0)
	want := alone(t, script)
	r := smallRun(t, rejectsRunbook, "alice", "")
	seedRejects(t, r.dir)
	s := stopAt(t, r, script, decidedOn("a"))
	v, ok := s.Limit(runbooks.TriggerRejectRate, "copy", "a")
	if !ok || v < 0.19 || v > 0.21 || !s.Limits[0].Default {
		t.Fatalf("the default limit (twice the observed 10%%) is not in the journal's fold: %+v", s.Limits)
	}
	if _, ok := s.Limit(runbooks.TriggerRejectRate, "copy", "b"); ok {
		t.Fatal("a limit accepted for table a applies to table b")
	}
	sameEnd(t, resumeFrom(t, r, s, script, nil), want)
}

func TestResumeBetweenATriggerAndItsDecision(t *testing.T) {
	script := continueWith(0)
	want := alone(t, script)
	r := smallRun(t, rejectsRunbook, "alice", "")
	seedRejects(t, r.dir)
	// Nobody answers before the stop: the trigger waits when the process goes.
	s := stopAt(t, r, func(journal.Pending) Command { return Command{} }, func(s journal.State) bool {
		return s.Pending != nil && s.Pending.Kind == journal.AwaitTrigger
	})
	end := resumeFrom(t, r, s, script, nil)
	sameEnd(t, end, want)
	if len(end.Triggers) != len(want.Triggers) {
		t.Errorf("the trigger fired %d times, left alone %d: the pending question must be asked again, not fired again", len(end.Triggers), len(want.Triggers))
	}
}

func TestResumeOfAPausedRunStaysPaused(t *testing.T) {
	script := continueWith(0)
	want := alone(t, script)
	r := smallRun(t, rejectsRunbook, "alice", "")
	seedRejects(t, r.dir)
	var once sync.Once
	s := stopAt(t, r, func(p journal.Pending) Command {
		once.Do(func() { r.c.Send(Command{Kind: CmdPause, Actor: "bob", Text: "DBA checking locks"}) })
		return script(p)
	}, func(s journal.State) bool { return s.Paused && decidedOn("a")(s) })
	if !s.Paused || s.PausedBy != "bob" {
		t.Fatalf("the journal does not end paused: %v %q", s.Paused, s.PausedBy)
	}
	end := resumeFrom(t, r, s, script, func(c *Conductor) {
		// The resumed run holds: it says so in the journal, and the
		// console's p now offers resume.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.waitFor(ctx, func(s *journal.State) bool {
			return slices.ContainsFunc(s.Log, func(l journal.LogRecord) bool { return strings.Contains(l.Line, "stays paused") })
		}); err != nil {
			t.Errorf("the resumed run did not say it stays paused: %v", err)
		}
		if st := c.State(); !st.Paused || MayAct(&st, "carol", CmdResume, "") != "" {
			t.Errorf("after the resume the state is not paused, or resume is refused: %v", st.Paused)
		}
		c.Send(Command{Kind: CmdResume, Actor: "carol"})
	})
	sameEnd(t, end, want)
	// Nothing ran between the resume and the unpause: the journal says so
	// by its order, no waiting needed.
	events, err := journal.ReadAll(r.journal)
	if err != nil {
		t.Fatal(err)
	}
	resumed := false
	for _, e := range events {
		switch e.Type {
		case journal.RunResumed:
			resumed = true
		case journal.Unpaused:
			resumed = false
		case journal.StepStarted, journal.Progress, journal.TableCopied, journal.RowsRejected:
			if resumed {
				t.Fatalf("seq %d %s while the resumed run was paused", e.Seq, e.Type)
			}
		}
	}
}

// TestAContinueOnOneTableLeavesTheOthersToTheRunbook: two tables each
// over the verify limit; continuing past the first must not raise the limit
// of the second, which trips the trigger in its turn.
func TestAContinueOnOneTableLeavesTheOthersToTheRunbook(t *testing.T) {
	r := smallRun(t, controlsHeader+`triggers: { verify_mismatch: 0 }
steps:
  - { id: copy, kind: copy, tables: [a, b] }
  - { id: damage, kind: sql, on: target, run: "DELETE FROM a WHERE id % 10 = 0; DELETE FROM b WHERE id % 10 = 0" }
  - { id: check, kind: verify, tables: [a, b] }
`, "alice", journal.ChoiceContinue)
	seedRejects(t, r.dir)
	mustExec(t, openSQLite(t, filepath.Join(r.dir, "a.db")), "UPDATE a SET n = '0' WHERE n = 'N/A'")
	mustExec(t, openSQLite(t, filepath.Join(r.dir, "a.db")), "UPDATE b SET n = '0' WHERE n = 'N/A'")
	if o, err := r.c.Run(context.Background()); o != journal.OutcomeFinished {
		t.Fatalf("outcome %q: %v", o, err)
	}
	s := r.c.State()
	var tripped []string
	for _, tr := range s.Triggers {
		if tr.Trigger == runbooks.TriggerVerifyMismatch {
			tripped = append(tripped, fmt.Sprintf("%s %g>%g", tr.Table, tr.Observed, tr.Threshold))
		}
	}
	if want := []string{"a 60>0", "b 60>0"}; !slices.Equal(tripped, want) {
		t.Fatalf("verify_mismatch fired for %v, want %v", tripped, want)
	}
	if v, ok := s.Limit(runbooks.TriggerVerifyMismatch, "check", "a"); !ok || v != 120 {
		t.Errorf("limit for a: %g %v, want the default 120", v, ok)
	}
}
