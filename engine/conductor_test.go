package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tightrope/tightrope/demo"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/verify"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// demoRun is a conductor over the demo runbook in a fresh directory.
type demoRun struct {
	dir     string
	rb      *runbooks.Runbook
	store   *journal.Store
	c       *Conductor
	journal string
}

func newDemoRun(t *testing.T, operator, autoDecide string) *demoRun {
	t.Helper()
	dir := t.TempDir()
	path, err := demo.Write(context.Background(), dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return startRun(t, rb, dir, operator, autoDecide)
}

func startRun(t *testing.T, rb *runbooks.Runbook, dir, operator, autoDecide string) *demoRun {
	t.Helper()
	sum := sha256.Sum256(rb.Text)
	jpath := filepath.Join(dir, "run.journal")
	store, err := journal.Create(jpath, journal.RunStartedPayload{
		RunbookText: string(rb.Text), RunbookSHA256: hex.EncodeToString(sum[:]), RunbookPath: rb.Path,
		ToolVersion: "test", Operator: operator, Mode: journal.ModeLive,
	}, operator)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	c := New(Options{
		Runbook: rb, Journal: store, State: journal.Fold([]journal.Event{store.First()}),
		Operator: operator, BaseDir: dir, AutoDecide: autoDecide,
	})
	go func() { // drain updates as a console would
		for range c.Updates() {
		}
	}()
	return &demoRun{dir: dir, rb: rb, store: store, c: c, journal: jpath}
}

func openSQLite(t *testing.T, path string) db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), runbooks.Connection{Name: "t", Driver: db.SQLite, Path: path}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestDemoContinueKeepsEveryRow(t *testing.T) {
	r := newDemoRun(t, "alice", journal.ChoiceContinue)
	outcome, err := r.c.Run(context.Background())
	if err != nil || outcome != journal.OutcomeFinished {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	s := r.c.State()
	target := openSQLite(t, filepath.Join(r.dir, demo.TargetFile))
	rejects, err := journal.ReadRejects(r.journal)
	if err != nil {
		t.Fatal(err)
	}
	rejectsByTable := map[string]int64{}
	for _, rec := range rejects {
		rejectsByTable[rec.Table]++
	}
	want := map[string]int64{"customers": demo.Customers, "products": demo.Products, "orders": demo.Orders}
	for _, tbl := range s.Tables {
		if tbl.Read != want[tbl.Table] {
			t.Errorf("%s: read %d, the source has %d", tbl.Table, tbl.Read, want[tbl.Table])
		}
		if tbl.Read != tbl.Written+tbl.Rejected {
			t.Errorf("%s: read %d != written %d + rejected %d", tbl.Table, tbl.Read, tbl.Written, tbl.Rejected)
		}
		n, err := target.Count(context.Background(), tbl.Table)
		if err != nil {
			t.Fatal(err)
		}
		if n != tbl.Written {
			t.Errorf("%s: target holds %d rows, the journal says %d were written", tbl.Table, n, tbl.Written)
		}
		if rejectsByTable[tbl.Table] != tbl.Rejected {
			t.Errorf("%s: %d rows in the rejects table, %d counted", tbl.Table, rejectsByTable[tbl.Table], tbl.Rejected)
		}
	}
	reasons := map[string]bool{}
	for _, rec := range rejects {
		reasons[rec.Reason] = true
	}
	for _, r := range []string{"not_integer", "precision_loss", "too_long", "null_violation"} {
		if !reasons[r] {
			t.Errorf("no reject with reason %s; got %v", r, reasons)
		}
	}
	if len(s.Triggers) == 0 || s.Triggers[0].Trigger != "reject_rate" {
		t.Errorf("the reject-rate trigger did not fire: %+v", s.Triggers)
	}
	if len(s.Verifies) != 1 || s.Verifies[0].Mismatches != 0 {
		t.Errorf("verify: %+v", s.Verifies)
	}
	rep, err := journal.Verify(r.journal)
	if err != nil || !rep.OK() {
		t.Fatalf("journal verify: %v %v", rep, err)
	}
}

func TestDemoRollbackRestoresTheSnapshot(t *testing.T) {
	r := newDemoRun(t, "alice", journal.ChoiceRollback)
	outcome, err := r.c.Run(context.Background())
	if outcome != journal.OutcomeRolledBack {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	s := r.c.State()
	if len(s.Restores) != 2 {
		t.Fatalf("want two restores, got %+v", s.Restores)
	}
	for _, rs := range s.Restores {
		if !rs.Verified || rs.RTOMS != (5*time.Minute).Milliseconds() {
			t.Errorf("restore %+v", rs)
		}
	}
	// Independently of the engine's own verification: the source's
	// checksums now equal those recorded when the snapshot was taken.
	var manifest journal.SnapshotPayload
	for _, m := range s.Snapshots {
		if m.Step == "snap-source" {
			manifest = m
		}
	}
	src := openSQLite(t, filepath.Join(r.dir, demo.SourceFile))
	names := make([]string, len(manifest.Tables))
	for i, tb := range manifest.Tables {
		names[i] = tb.Table
	}
	now, err := verify.Checksums(context.Background(), src, names)
	if err != nil {
		t.Fatal(err)
	}
	for i := range now {
		if now[i] != manifest.Tables[i] {
			t.Errorf("%s after rollback: %+v, at snapshot: %+v", names[i], now[i], manifest.Tables[i])
		}
	}
	target := openSQLite(t, filepath.Join(r.dir, demo.TargetFile))
	for _, tbl := range []string{"customers", "products", "orders"} {
		if n, _ := target.Count(context.Background(), tbl); n != 0 {
			t.Errorf("target %s holds %d rows after the rollback", tbl, n)
		}
	}
	if s.Rollback == nil || !s.Rollback.OK {
		t.Errorf("rollback record: %+v", s.Rollback)
	}
}

// TestOnlyTheDecisionMakerDecides drives the conductor as two people at
// the keyboard would: the operator's answers to the gate-like trigger are
// refused and journaled; the decision-maker's are taken.
func TestOnlyTheDecisionMakerDecides(t *testing.T) {
	r := newDemoRun(t, "bob", "")
	done := make(chan string, 1)
	go func() {
		outcome, _ := r.c.Run(context.Background())
		done <- outcome
	}()
	waitPending(t, r.c, "manual")
	r.c.Send(Command{Kind: CmdConfirm, Actor: "bob", StepID: "freeze"})
	waitRefused(t, r.c, 1) // the checklist is not ticked
	r.c.Send(Command{Kind: CmdCheck, Actor: "bob", StepID: "freeze", Index: 0})
	r.c.Send(Command{Kind: CmdCheck, Actor: "bob", StepID: "freeze", Index: 1})
	r.c.Send(Command{Kind: CmdConfirm, Actor: "bob", StepID: "freeze"})
	p := waitPending(t, r.c, "trigger")
	r.c.Send(Command{Kind: CmdDecide, Actor: "bob", Choice: journal.ChoiceRollback})
	waitRefused(t, r.c, 2)
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceContinue, Text: "short"})
	waitRefused(t, r.c, 3) // a justification of fewer than ten characters
	r.c.Send(Command{Kind: CmdNote, Actor: "bob", Text: "asked alice on the bridge"})
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", StepID: p.StepID, Choice: journal.ChoiceContinue, Text: "ratings were never numbers; fixed after cutover"})
	waitPending(t, r.c, "gate")
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceGo, Text: "go"})
	select {
	case outcome := <-done:
		if outcome != journal.OutcomeFinished {
			t.Fatalf("outcome %q", outcome)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not finish")
	}
	s := r.c.State()
	var decisions []string
	for _, d := range s.Decisions {
		decisions = append(decisions, d.Actor+":"+d.Choice)
	}
	want := []string{"bob:confirm", "alice:continue", "alice:go"}
	if len(decisions) != len(want) {
		t.Fatalf("decisions %v, want %v", decisions, want)
	}
	for i := range want {
		if decisions[i] != want[i] {
			t.Fatalf("decisions %v, want %v", decisions, want)
		}
	}
	if len(s.Notes) != 1 || s.Notes[0].Actor != "bob" {
		t.Errorf("notes %+v", s.Notes)
	}
	if s.Decisions[1].Justification == "" {
		t.Error("the continue decision lost its justification")
	}
}

func waitPending(t *testing.T, c *Conductor, kind string) journal.Pending {
	t.Helper()
	s := waitState(t, c, "a "+kind+" question", func(s journal.State) bool { return s.Pending != nil && s.Pending.Kind == kind })
	return *s.Pending
}

func waitRefused(t *testing.T, c *Conductor, n int) {
	t.Helper()
	waitState(t, c, fmt.Sprintf("%d refusals", n), func(s journal.State) bool { return s.LastSeq > 0 && refusals(c) >= n })
}

// refusals counts the refused events journaled so far.
func refusals(c *Conductor) int {
	events, err := journal.ReadAll(c.opts.Journal.Path())
	if err != nil {
		return 0
	}
	count := 0
	for _, e := range events {
		if e.Type == journal.Refused {
			count++
		}
	}
	return count
}
