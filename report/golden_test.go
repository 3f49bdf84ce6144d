package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/tightrope/tightrope/journal"
)

// writeGoldenRun writes a whole run by hand: a manual step confirmed by its
// owner, a snapshot, a copy with casts and rejects that raises the
// reject-rate trigger (a refused attempt, a note, a justified continue with
// a limit, notifications, a pause), a verify that finds a differing row,
// a rollback with a restore, and the end. When finish is false it stops
// in the middle of the copy, as a killed process would.
func writeGoldenRun(t *testing.T, finish bool, opts ...journal.Option) string {
	t.Helper()
	h := newHandJournal(t, opts...)
	m, s := time.Minute, time.Second
	h.at(1*s, "alice", "freeze", journal.StepStarted, journal.StepStartedPayload{Kind: "manual", Title: "Put the shop into maintenance mode"})
	h.at(1*s, "alice", "freeze", journal.Awaiting, journal.AwaitingPayload{Kind: "manual", Question: "Put the shop into maintenance mode", Choices: []string{"confirm"}, Who: "bob"})
	h.at(90*s, "bob", "freeze", journal.ChecklistChecked, journal.ChecklistPayload{Index: 0, Item: "Banner is up"})
	h.at(2*m, "bob", "freeze", journal.ChecklistChecked, journal.ChecklistPayload{Index: 1, Item: "Cron jobs paused"})
	h.at(2*m, "bob", "freeze", journal.Decision, journal.DecisionPayload{Kind: "manual", Choice: "confirm"})
	h.at(2*m, "alice", "freeze", journal.StepFinished, journal.StepFinishedPayload{Status: "done", DurationMS: 119000})

	h.at(2*m+5*s, "alice", "snap", journal.StepStarted, journal.StepStartedPayload{Kind: "snapshot", Title: "Snapshot the shop"})
	h.at(2*m+50*s, "alice", "snap", journal.SnapshotTaken, journal.SnapshotPayload{
		Step: "snap", Label: "MIG-2026-042 source@2026-03-01T22:02:05Z", Connection: "source", Method: "sqlite-vacuum-into",
		Artefact: "snapshots/MIG-2026-042-snap.sqlite", SHA256: strings.Repeat("ab12", 16), Size: 48 << 20,
		Tables:     []journal.TableSnapshot{{Table: "customers", Rows: 1000, Checksum: "c1"}, {Table: "products", Rows: 100, Checksum: "c2"}},
		DurationMS: 45000, CapturedAt: h.start.Add(2*m + 5*s), EstRestoreMS: 40000,
	})
	h.at(2*m+50*s, "alice", "snap", journal.StepFinished, journal.StepFinishedPayload{Status: "done", DurationMS: 45000})

	h.at(3*m, "alice", "copy", journal.StepStarted, journal.StepStartedPayload{Kind: "copy", Title: "Copy the shop"})
	h.at(4*m, "alice", "copy", journal.CastApplied, journal.CastPayload{Table: "customers", Column: "country", From: "", To: "NULL", Count: 7})
	h.at(4*m+30*s, "alice", "copy", journal.CastApplied, journal.CastPayload{Table: "customers", Column: "country", From: "", To: "NULL", Count: 5})
	h.rejects(5*m, "copy", "products", []journal.RejectRow{
		{Table: "products", Key: map[string]any{"id": 7}, Row: map[string]any{"id": 7, "rating": "N/A", "price": "9.99"}, Column: "rating", Reason: "not_integer", Detail: `"N/A" is not an integer (target column type INTEGER)`},
		{Table: "products", Key: map[string]any{"id": 9}, Row: map[string]any{"id": 9, "rating": "N/A", "price": "4.50"}, Column: "rating", Reason: "not_integer", Detail: `"N/A" is not an integer (target column type INTEGER)`},
		{Table: "products", Key: map[string]any{"id": 12}, Row: map[string]any{"id": 12, "rating": 4, "price": "25.945"}, Column: "price", Reason: "precision_loss", Detail: "25.945 has 3 digits after the point, more than the 2 the column keeps"},
	})
	h.at(5*m, "alice", "copy", journal.Progress, journal.ProgressPayload{Table: "products", Read: 100, Written: 97, Rejected: 3, Total: 100, TotalExact: true, ElapsedMS: 120000})
	trig := h.at(5*m+10*s, "alice", "copy", journal.TriggerFired, journal.TriggerPayload{
		Trigger: "reject_rate", Table: "products", Observed: 0.03, Threshold: 0.001,
		Message:  "reject rate of products is 3.0% (3 of 100 rows), over the 0.1% threshold",
		Evidence: map[string]any{"read": 100, "rejected": 3, "elapsed_ms": 130000, "rto_ms": 1800000, "snapshot": "MIG-2026-042 source@2026-03-01T22:02:05Z"},
	})
	h.at(5*m+10*s, "alice", "copy", journal.Awaiting, journal.AwaitingPayload{Kind: "trigger", Question: "reject rate of products is 3.0% — continue or roll back?", Choices: []string{"continue", "rollback"}, Who: "alice"})
	h.at(5*m+12*s, "alice", "", journal.Notified, journal.NotifiedPayload{Event: journal.TriggerFired, Seq: trig.Seq, Target: "./notify.sh", OK: true, DurationMS: 240})
	h.at(5*m+20*s, "bob", "copy", journal.Refused, journal.RefusedPayload{Choice: "continue", Reason: "only alice, the decision-maker, may decide"})
	h.at(5*m+30*s, "carol", "", journal.Note, journal.NotePayload{Text: "vendor: ratings of `N/A` mean *unrated* | see [OPS-12] <b>now</b>\nDSN was postgres://app:s3cret@db:5432/shop"})
	if !finish {
		h.close()
		return h.path
	}
	dec := h.at(6*m, "alice", "copy", journal.Decision, journal.DecisionPayload{Kind: "trigger", Choice: "continue", Trigger: "reject_rate", Limit: 0.05, Justification: "N/A ratings are unrated products; fixed after the cutover"})
	h.at(6*m+1*s, "alice", "", journal.Notified, journal.NotifiedPayload{Event: journal.Decision, Seq: dec.Seq, Target: "./notify.sh", Error: "exit status 1", DurationMS: 1500})
	h.at(7*m, "alice", "", journal.Paused, journal.ControlPayload{Reason: "waiting for the DBA"})
	h.at(9*m, "alice", "", journal.Unpaused, journal.ControlPayload{})
	h.at(10*m, "alice", "copy", journal.TableCopied, journal.ProgressPayload{Table: "customers", Read: 1000, Written: 1000, Total: 1000, TotalExact: true, ElapsedMS: 420000})
	h.at(10*m, "alice", "copy", journal.TableCopied, journal.ProgressPayload{Table: "products", Read: 100, Written: 97, Rejected: 3, Total: 100, TotalExact: true, ElapsedMS: 420000})
	h.at(10*m, "alice", "copy", journal.StepFinished, journal.StepFinishedPayload{Status: "done", DurationMS: 420000})

	h.at(10*m+5*s, "alice", "check", journal.StepStarted, journal.StepStartedPayload{Kind: "verify", Title: "Verify the copy"})
	h.at(11*m, "alice", "check", journal.VerifyResult, journal.VerifyPayload{Mismatches: 1, Tables: []journal.TableCheck{
		{Table: "customers", SourceRows: 1000, TargetRows: 1000, SourceChecksum: "aa", TargetChecksum: "aa"},
		{Table: "products", SourceRows: 100, TargetRows: 97, Rejected: 3, SourceChecksum: "bb", TargetChecksum: "bc", Mismatches: 1, MismatchKeys: []string{"id=42"}},
	}})
	h.at(11*m, "alice", "check", journal.TriggerFired, journal.TriggerPayload{Trigger: "verify_mismatch", Table: "products", Observed: 1, Threshold: 0, Message: "1 row of products differs after the copy"})
	h.at(11*m, "alice", "check", journal.Awaiting, journal.AwaitingPayload{Kind: "trigger", Question: "1 row of products differs — continue or roll back?", Choices: []string{"continue", "rollback"}, Who: "alice"})
	h.at(11*m, "alice", "", journal.Warning, journal.WarningPayload{Kind: "notify", Message: "./notify.sh failed once"})
	h.at(12*m, "alice", "check", journal.Decision, journal.DecisionPayload{Kind: "trigger", Choice: "rollback", Trigger: "verify_mismatch", Justification: "price of id 42 differs, cannot explain it"})
	h.at(12*m, "alice", "check", journal.StepFinished, journal.StepFinishedPayload{Status: "failed", Error: "stopped: 1 row differs: rollback decided", DurationMS: 115000})

	h.at(12*m, "alice", "", journal.RollbackStarted, journal.RollbackPayload{Reason: "1 row of products differs: rollback decided"})
	h.at(12*m, "alice", "restore", journal.StepStarted, journal.StepStartedPayload{Kind: "restore", Title: "Restore the shop", Rollback: true})
	h.at(12*m+50*s, "alice", "restore", journal.RestoreFinished, journal.RestorePayload{
		Snapshot: "MIG-2026-042 source@2026-03-01T22:02:05Z", Connection: "source", DurationMS: 50000, RTOMS: 1800000, Verified: true,
		Tables: []journal.TableSnapshot{{Table: "customers", Rows: 1000, Checksum: "c1"}, {Table: "products", Rows: 100, Checksum: "c2"}},
	})
	h.at(12*m+50*s, "alice", "restore", journal.StepFinished, journal.StepFinishedPayload{Status: "done", DurationMS: 50000})
	h.at(12*m+51*s, "alice", "switch-back", journal.StepStarted, journal.StepStartedPayload{Kind: "shell", Title: "Switch the shop back", Rollback: true})
	h.at(12*m+53*s, "alice", "switch-back", journal.StepFinished, journal.StepFinishedPayload{Status: "done", DurationMS: 2000})
	h.at(12*m+53*s, "alice", "", journal.RollbackFinished, journal.RollbackPayload{Reason: "1 row of products differs: rollback decided", DurationMS: 53000, RTOMS: 1800000, OK: true})
	h.at(12*m+54*s, "alice", "", journal.RunFinished, journal.RunFinishedPayload{Outcome: journal.OutcomeRolledBack, DurationMS: 774000})
	h.close()
	return h.path
}

// TestGoldenMarkdown pins the Markdown of a whole, deterministic run.
// Update with: go test ./report -run TestGoldenMarkdown -update
func TestGoldenMarkdown(t *testing.T) {
	r, err := Build(writeGoldenRun(t, true))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Markdown(&buf, r); err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, buf.Bytes())
}
