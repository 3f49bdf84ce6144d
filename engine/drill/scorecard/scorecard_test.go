package scorecard

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

const runbookText = `version: 1
name: t
migration_id: T-1
decision_maker: alice
objectives: { rto: 5m }
connections:
  source: { driver: sqlite, path: s.db }
  target: { driver: sqlite, path: t.db }
triggers: { reject_rate: 0.1% }
steps:
  - { id: snap, kind: snapshot, of: source }
  - { id: copy, kind: copy, tables: [p] }
rollback:
  - { id: restore, kind: restore, snapshot: snap }
`

// drillJournal writes a real journal: a drill with one fault, a trigger
// and the decision given, then (on rollback) a rollback whose restore
// found tables; each event one second after the last. It returns the
// events read back.
func drillJournal(t *testing.T, expect, choice string, restored []journal.TableSnapshot, rollbackMS int64) []journal.Event {
	t.Helper()
	at := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { at = at.Add(time.Second); return at }
	path := filepath.Join(t.TempDir(), "d.journal")
	plan := &journal.DrillPlan{ID: "abc123", Scenario: "na-ratings", Faults: []string{"bad-rows:p.rating:5:not-integer"}, Expect: expect}
	st, err := journal.Create(path, journal.RunStartedPayload{RunbookText: runbookText, Mode: journal.ModeDrill, Operator: "alice", Drill: plan}, "alice", journal.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	manifest := []journal.TableSnapshot{{Table: "p", Rows: 10, Checksum: "c1"}}
	add := func(actor, step string, typ journal.Type, p any) {
		t.Helper()
		if _, err := st.Append(context.Background(), actor, step, typ, p); err != nil {
			t.Fatal(err)
		}
	}
	add("drill", "snap", journal.FaultInjected, journal.FaultPayload{Spec: plan.Faults[0], Kind: "bad-rows", At: at.Add(time.Second), Rows: 5})
	add("alice", "snap", journal.StepStarted, journal.StepStartedPayload{Kind: "snapshot"})
	add("alice", "snap", journal.SnapshotTaken, journal.SnapshotPayload{Step: "snap", Label: "T-1 source@x", Connection: "source", Tables: manifest})
	add("alice", "snap", journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusDone})
	add("alice", "copy", journal.StepStarted, journal.StepStartedPayload{Kind: "copy"})
	add("alice", "copy", journal.TriggerFired, journal.TriggerPayload{Trigger: "reject_rate", Table: "p", Message: "reject rate of p is 50%"})
	add("alice", "copy", journal.Decision, journal.DecisionPayload{Kind: journal.AwaitTrigger, Choice: choice, Trigger: "reject_rate"})
	if choice == journal.ChoiceContinue {
		add("alice", "copy", journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusDone})
		add("alice", "", journal.RunFinished, journal.RunFinishedPayload{Outcome: journal.OutcomeFinished})
	} else {
		add("alice", "copy", journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusFailed, Error: "stopped"})
		add("alice", "", journal.RollbackStarted, journal.RollbackPayload{Reason: "rollback decided"})
		add("alice", "restore", journal.StepStarted, journal.StepStartedPayload{Kind: "restore", Rollback: true})
		add("alice", "restore", journal.RestoreFinished, journal.RestorePayload{Snapshot: "T-1 source@x", Connection: "source", Verified: true, Tables: restored, DurationMS: 900})
		add("alice", "restore", journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusDone})
		add("alice", "", journal.RollbackFinished, journal.RollbackPayload{DurationMS: rollbackMS, RTOMS: 300000, OK: true})
		add("alice", "", journal.RunFinished, journal.RunFinishedPayload{Outcome: journal.OutcomeRolledBack})
	}
	events, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

var manifest = []journal.TableSnapshot{{Table: "p", Rows: 10, Checksum: "c1"}}

func TestRollbackWithinRTOProvenPasses(t *testing.T) {
	c := Score(drillJournal(t, "rollback", journal.ChoiceRollback, manifest, 3000))
	if !c.Pass {
		t.Fatalf("failed: %v", c.Reasons)
	}
	if c.Detected == nil || c.Detected.By != "trigger" || c.Detected.Trigger != "reject_rate" || c.Detected.AfterMS != 5000 {
		t.Errorf("detected %+v, want by trigger reject_rate 5s after the fault", c.Detected)
	}
	if lines := strings.Join(c.Lines(), "\n"); !strings.Contains(lines, "by trigger reject_rate, 5s after the fault") {
		t.Errorf("the scorecard does not name the trigger:\n%s", lines)
	}
	if c.Decided == nil || c.Decided.Choice != "rollback" || c.Decided.By != "alice" || c.Decided.AfterMS != 1000 {
		t.Errorf("decided %+v, want rollback by alice 1s after", c.Decided)
	}
	if r := c.Rollback; r == nil || !r.WithinRTO || r.DurationMS != 3000 {
		t.Errorf("rollback %+v", r)
	}
	if !c.DataProven || len(c.Restores) != 1 || !c.Restores[0].Proven {
		t.Errorf("data not proven: %+v", c.Restores)
	}
	if c.Scenario != "na-ratings" || c.ID != "abc123" || c.RTOMS != 300000 {
		t.Errorf("plan not read: %+v", c)
	}
	var b bytes.Buffer
	if err := c.Print(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DRILL scorecard · scenario na-ratings · expected rollback · PASS", "detected   at", "within the RTO of 5m0s", "checksums equal the snapshot manifest"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("printed scorecard lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := c.JSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Card
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || !back.Pass || back.Detected.AfterMS != 5000 {
		t.Errorf("JSON round trip: %v %+v", err, back)
	}
}

// Acceptance: a drill expecting a rollback whose operator continues fails.
func TestExpectedRollbackButContinuedFails(t *testing.T) {
	c := Score(drillJournal(t, "rollback", journal.ChoiceContinue, nil, 0))
	if c.Pass {
		t.Fatal("passed although the operator continued where a rollback was expected")
	}
	if !strings.Contains(strings.Join(c.Reasons, "\n"), "a rollback was expected, but alice chose continue") {
		t.Errorf("reasons %q", c.Reasons)
	}
}

func TestExpectedContinueButRolledBackFails(t *testing.T) {
	c := Score(drillJournal(t, "continue", journal.ChoiceRollback, manifest, 3000))
	if c.Pass || !strings.Contains(strings.Join(c.Reasons, "\n"), "expected to go on, but it was rolled back") {
		t.Errorf("pass %v, reasons %q", c.Pass, c.Reasons)
	}
}

func TestRestoreNotMatchingTheManifestFails(t *testing.T) {
	c := Score(drillJournal(t, "rollback", journal.ChoiceRollback, []journal.TableSnapshot{{Table: "p", Rows: 10, Checksum: "other"}}, 3000))
	if c.Pass || c.DataProven {
		t.Fatal("a restore with another checksum than the manifest counts as proven")
	}
	if !strings.Contains(strings.Join(c.Reasons, "\n"), "checksum differs from the manifest") {
		t.Errorf("reasons %q", c.Reasons)
	}
}

func TestRollbackOverTheRTOFails(t *testing.T) {
	c := Score(drillJournal(t, "rollback", journal.ChoiceRollback, manifest, 301000))
	if c.Pass || c.Rollback.WithinRTO {
		t.Fatal("a rollback over the RTO passed")
	}
	if !strings.Contains(strings.Join(c.Reasons, "\n"), "over the RTO of 5m0s") {
		t.Errorf("reasons %q", c.Reasons)
	}
}
