package tui

import (
	"bytes"
	"github.com/charmbracelet/x/exp/golden"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// plainRun is a run with every kind of event plain mode prints.
func plainRun() []journal.Event {
	s, ms := time.Second, time.Millisecond
	tr := journal.TriggerPayload{Trigger: "reject_rate", Table: "orders", Observed: 0.0021, Threshold: 0.001,
		Message: "orders: 2,100 of 1,000,000 rows rejected", Evidence: map[string]any{"read": float64(1000000), "rejected": float64(2100)}}
	snap := journal.SnapshotPayload{Label: "MIG-2026-042@20260314T020010Z", Connection: "source", DurationMS: 4200,
		Tables: []journal.TableSnapshot{{Table: "orders", Rows: 1000000, Checksum: "abc"}}, EstRestoreMS: 35 * 60 * 1000}
	n := int64(0)
	ev := func(d time.Duration, typ journal.Type, step, actor string, p any) journal.Event {
		n++
		return event(n, d, typ, step, actor, p)
	}
	return []journal.Event{
		ev(0, journal.RunStarted, "", "alice", journal.RunStartedPayload{Operator: "alice", Mode: "live"}),
		ev(1*s, journal.StepStarted, "freeze", "", journal.StepStartedPayload{Kind: "manual", Title: "Put the shop into maintenance mode"}),
		ev(5*s, journal.ChecklistChecked, "freeze", "alice", journal.ChecklistPayload{Index: 0, Item: "Banner is up"}),
		ev(6*s, journal.ChecklistChecked, "freeze", "alice", journal.ChecklistPayload{Index: 1, Item: "Cron jobs paused"}),
		ev(7*s, journal.StepFinished, "freeze", "", journal.StepFinishedPayload{Status: "done", DurationMS: 6000}),
		ev(8*s, journal.StepStarted, "snap", "", journal.StepStartedPayload{Kind: "snapshot", Title: "snap"}),
		ev(12*s+200*ms, journal.SnapshotTaken, "snap", "", snap),
		ev(12*s+300*ms, journal.StepFinished, "snap", "", journal.StepFinishedPayload{Status: "done", DurationMS: 4300}),
		ev(13*s, journal.StepStarted, "copy", "", journal.StepStartedPayload{Kind: "copy", Title: "Copy"}),
		ev(13*s+500*ms, journal.Log, "copy", "", journal.LogPayload{Stream: "info", Line: "copying orders in batches of 5000"}),
		ev(14*s, journal.Progress, "copy", "", journal.ProgressPayload{Table: "orders", Read: 5000, Written: 4990, Rejected: 10, Total: 1000000}),
		ev(14*s, journal.RowsRejected, "copy", "", journal.RejectsPayload{Table: "orders", ByReason: map[string]int64{"text in integer column": 10}, Sample: `status "N/A" is not an integer`}),
		ev(15*s, journal.Progress, "copy", "", journal.ProgressPayload{Table: "orders", Read: 10000, Written: 9980, Rejected: 20, Total: 1000000}),
		ev(15*s, journal.RowsRejected, "copy", "", journal.RejectsPayload{Table: "orders", ByReason: map[string]int64{"text in integer column": 8, "string too long": 2}}),
		ev(19*s, journal.Progress, "copy", "", journal.ProgressPayload{Table: "orders", Read: 30000, Written: 29970, Rejected: 30, Total: 1000000}),
		ev(20*s, journal.Log, "copy", "", journal.LogPayload{Stream: "stderr", Line: "slow batch"}),
		ev(21*s, journal.CastApplied, "copy", "", journal.CastPayload{Table: "orders", Column: "status", From: "N/A", To: "NULL", Count: 12}),
		ev(22*s, journal.TriggerFired, "copy", "", tr),
		ev(22*s, journal.Awaiting, "copy", "", journal.AwaitingPayload{Kind: "trigger", Question: "Roll back or continue?", Choices: []string{"rollback", "continue"}, Who: "alice"}),
		ev(25*s, journal.Refused, "copy", "bob", journal.RefusedPayload{Choice: "continue", Reason: "only alice may decide"}),
		ev(40*s, journal.Decision, "copy", "alice", journal.DecisionPayload{Kind: "trigger", Choice: "continue", Justification: "legacy test orders", Trigger: "reject_rate"}),
		ev(41*s, journal.Note, "copy", "bob", journal.NotePayload{Text: "DBA agrees"}),
		ev(70*s, journal.TableCopied, "copy", "", journal.ProgressPayload{Table: "orders", Read: 1000000, Written: 997900, Rejected: 2100, Total: 1000000, TotalExact: true}),
		ev(70*s, journal.TableCopied, "copy", "", journal.ProgressPayload{Table: "customers", Read: 500, Written: 499, Rejected: 0, Total: 500, TotalExact: true}),
		ev(71*s, journal.StepFinished, "copy", "", journal.StepFinishedPayload{Status: "failed", Error: "customers: read 500 != written 499 + rejected 0", DurationMS: 58000}),
		ev(72*s, journal.VerifyResult, "check", "", journal.VerifyPayload{Tables: []journal.TableCheck{
			{Table: "orders", SourceRows: 1000000, TargetRows: 997900, Rejected: 2100},
			{Table: "customers", SourceRows: 500, TargetRows: 499, Mismatches: 1, MismatchKeys: []string{"42"}}}, Mismatches: 1}),
		ev(73*s, journal.RollbackStarted, "", "alice", journal.RollbackPayload{Reason: "verify mismatch"}),
		ev(80*s, journal.RestoreFinished, "restore", "", journal.RestorePayload{Snapshot: snap.Label, DurationMS: 6500, RTOMS: 1800000, Verified: true}),
		ev(81*s, journal.RollbackFinished, "", "", journal.RollbackPayload{Reason: "verify mismatch", DurationMS: 8000, RTOMS: 1800000, OK: true}),
		ev(3725*s, journal.RunFinished, "", "", journal.RunFinishedPayload{Outcome: "rolled_back", DurationMS: 3725000}),
	}
}

func TestPlainTimeline(t *testing.T) {
	var out bytes.Buffer
	p := NewPlain(&out)
	var s journal.State
	for i, e := range plainRun() {
		s.Apply(e)
		if i == 0 {
			s.Runbook = testRunbook() // the loader is not this package's business
		}
		p.Event(e, &s)
	}
	p.Summary(s)
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"[00:00.0] run started: Shop database to PostgreSQL (MIG-2026-042) · mode live · operator alice · decides alice · RTO 30m RPO 0s expected 45m window 4h",
		"[00:05.0] freeze: checked [1/2] Banner is up (by alice)",
		"[00:07.0] freeze: done in 6.0s",
		"[00:13.5] copy | copying orders in batches of 5000",
		"[00:20.0] copy | stderr: slow batch",
		"[00:22.0] TRIGGER reject_rate orders: orders: 2,100 of 1,000,000 rows rejected (observed 0.210%, threshold 0.100%)",
		"[00:40.0] decision by alice: continue (trigger) on trigger reject_rate — justification: \"legacy test orders\"",
		"[01:21.0] rollback finished in 8.0s (RTO 30m, ok) · ok",
		"[1:02:05.0] run finished: ROLLED BACK in 1h02m",
		"orders     read 1000000  written 997900  rejected 2100  ok",
		"customers  read 500  written 499  rejected 0  MISMATCH",
		"outcome: ROLLED BACK in 1h02m",
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("output lacks line %q", want)
		}
	}
	// Progress is sampled: at 14s, not at 15s, again at 19s (5s later).
	if c := strings.Count(got, "orders: read "); c != 2 {
		t.Errorf("%d progress lines for orders, want 2", c)
	}
	// Rejects are summed between lines: 10 at 14s, then 10 more flushed
	// before the trigger.
	if !strings.Contains(got, "[00:22.0] orders: rejected 10 rows (text in integer column: 8, string too long: 2)\n") {
		t.Errorf("rejects were not summed and flushed before the trigger:\n%s", got)
	}
	golden.RequireEqual(t, out.Bytes())
}

func TestPlainIsDeterministic(t *testing.T) {
	render := func() string {
		var out bytes.Buffer
		p := NewPlain(&out)
		var s journal.State
		for _, e := range plainRun() {
			s.Apply(e)
			p.Event(e, &s)
		}
		p.Summary(s)
		return out.String()
	}
	if a, b := render(), render(); a != b {
		t.Fatalf("two renderings differ:\n%s\n---\n%s", a, b)
	}
}

// TestPlainPayloadProblems checks that an event whose payload does not fit
// its struct is printed as a problem line, that the events around it print
// as usual, and that a type this build does not know prints nothing.
func TestPlainPayloadProblems(t *testing.T) {
	s := time.Second
	events := []journal.Event{
		event(1, 0, journal.RunStarted, "", "alice", journal.RunStartedPayload{Operator: "alice", Mode: "live"}),
		event(2, 1*s, journal.StepStarted, "copy", "", journal.StepStartedPayload{Kind: "copy", Title: "Copy"}),
		event(3, 2*s, journal.TriggerFired, "copy", "", map[string]any{"trigger": "reject_rate", "observed": "lots"}),
		event(4, 3*s, "from_the_future", "copy", "", map[string]any{"x": 1}),
		event(5, 4*s, journal.Paused, "", "bob", journal.ControlPayload{Reason: "coffee"}),
		event(6, 5*s, journal.Unpaused, "", "bob", journal.ControlPayload{}),
		event(7, 6*s, journal.Notified, "", "", journal.NotifiedPayload{Event: journal.TriggerFired, Seq: 3, Target: "./page.sh", Error: "exit 1"}),
		event(8, 7*s, journal.Warning, "", "", journal.WarningPayload{Kind: "window", Message: "5m left"}),
		event(9, 8*s, journal.Note, "", "carol", map[string]any{"text": 12}),
	}
	var out bytes.Buffer
	p := NewPlain(&out)
	var st journal.State
	for _, e := range events {
		st.Apply(e)
		p.Event(e, &st)
	}
	got := out.String()
	for _, want := range []string{
		"[00:01.0] copy: step started (copy) Copy\n",
		"[00:02.0] seq 3: cannot read trigger payload: json: ",
		"[00:04.0] PAUSED by bob: coffee\n",
		"[00:05.0] resumed by bob\n",
		"[00:06.0] notify FAILED: ./page.sh of trigger (event 3): exit 1\n",
		"[00:07.0] WARNING window: 5m left\n",
		"[00:08.0] seq 9: cannot read note payload: ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if l := lineWith(got, "seq 3:"); !strings.Contains(l, "observed") {
		t.Errorf("the problem line does not name the field: %q", l)
	}
	if strings.Contains(got, "[00:03.0]") {
		t.Errorf("an unknown event type printed a line:\n%s", got)
	}
	if strings.Contains(got, "TRIGGER") {
		t.Errorf("a trigger that could not be read printed as one:\n%s", got)
	}
}

// lineWith is the first line of s that contains sub.
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// TestPlainControlLines: a skip request and a continue with the default
// limit read as what they leave in force.
func TestPlainControlLines(t *testing.T) {
	s := time.Second
	events := []journal.Event{
		event(1, 0, journal.RunStarted, "", "alice", journal.RunStartedPayload{Operator: "alice", Mode: "live"}),
		event(2, 1*s, journal.SkipRequested, "hook", "alice", journal.ControlPayload{Reason: "retired last week"}),
		event(3, 2*s, journal.Decision, "copy", "alice", journal.DecisionPayload{Kind: journal.AwaitTrigger, Choice: journal.ChoiceContinue,
			Trigger: "reject_rate", Table: "orders", Limit: 0.2, LimitDefault: true, Justification: "known N/A ratings"}),
	}
	var out bytes.Buffer
	p := NewPlain(&out)
	var st journal.State
	for _, e := range events {
		st.Apply(e)
		p.Event(e, &st)
	}
	got := out.String()
	for _, want := range []string{
		"hook: alice asked to skip it when the run reaches it: retired last week",
		"decision by alice: continue (trigger) on trigger reject_rate for orders with the default limit (twice the observed) of 20%",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}
