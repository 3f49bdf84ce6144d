package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/tightrope/tightrope/journal"
)

// assessment is an assess step's result over the shop: orders would lose
// 2,180 rows to not_integer and 30 to too_long, a blocker over the 0.1%
// reject_rate; the copy's predicted duration; the snapshot's restore.
func assessment() *journal.AssessmentPayload {
	a := &journal.AssessmentPayload{
		Tables: []journal.AssessTable{
			{Step: "copy", Table: "customers", Rows: 120000, Read: 120000, Bytes: 9 << 20, ReadRate: 85000, WriteRate: 41000, WriteFrom: journal.WriteMeasured},
			{Step: "copy", Table: "orders", Rows: 1040000, Read: 1040000, Bytes: 88 << 20, ReadRate: 91000, WriteRate: 38000, WriteFrom: journal.WriteMeasured,
				Rejected: 2210, RejectedRead: 2210, Rejects: []journal.AssessReject{
					{Column: "status", Reason: "not_integer", Found: 2180, Predicted: 2180, Examples: []journal.AssessExample{{Key: map[string]any{"id": 17}, Value: "N/A"}}},
					{Column: "note", Reason: "too_long", Found: 30, Predicted: 30, Examples: []journal.AssessExample{{Key: map[string]any{"id": 904}, Value: "x\x1b[2J"}}},
				}},
		},
		Steps:     []journal.AssessPrediction{{Step: "copy", Rows: 1160000, ReadTime: 12800 * time.Millisecond, WriteTime: 30500 * time.Millisecond, Predicted: 30500 * time.Millisecond, WriteKnown: true}},
		Snapshots: []journal.AssessSnapshot{{Step: "snap", Of: "target", Size: 310 << 20, InServer: false, Dir: "/var/tightrope/snapshots", Free: 42 << 30, FreeKnown: true, Rows: 1160000, Restore: 4*time.Minute + 10*time.Second, RestoreFrom: "run-0412.journal", RTO: 30 * time.Minute}},
		Findings: []journal.AssessFinding{
			{Grade: journal.GradeBlocker, Step: "copy", Table: "orders", Trigger: "reject_rate", Message: "the copy would reject 2210 of 1040000 rows (0.213%), over the reject_rate threshold of 0.1%"},
			{Grade: journal.GradeWarning, Step: "copy", Table: "orders", Column: "status", Message: "varchar(10) → integer: text into a number"},
			{Grade: journal.GradeNote, Message: "the copies would take about 30.5s against 20m expected"},
		},
	}
	a.Counts = map[string]int{}
	for _, f := range a.Findings {
		a.Counts[f.Grade]++
	}
	return a
}

// assessedState: the assess step found a blocker and raised the
// assessment trigger; the run waits for the decision.
func assessedState() journal.State {
	s := triggerState()
	tr := journal.TriggerPayload{Trigger: "assessment", Observed: 1, Message: "the assessment found 1 blocker(s): copy.orders: the copy would reject 2210 of 1040000 rows"}
	s.Triggers = []journal.TriggerPayload{tr}
	s.Pending.Trigger, s.Pending.StepID = &tr, "copy"
	s.Assessment, s.AssessedSeq, s.AssessedStep = assessment(), 812, "assess"
	return displayState(s)
}

// TestGoldenAssessment80x24: the assessment opens by itself over the
// console when it arrives, at 80x24.
func TestGoldenAssessment80x24(t *testing.T) {
	screen := goldenSized(t, "", 80, 24, nil, copyState(), assessedState())
	for _, want := range []string{"assess assessment · 1 BLOCKER(S)", "BLOCKER: copy.orders", "esc closes"} {
		if !strings.Contains(string(screen), want) {
			t.Errorf("the assessment lacks %q:\n%s", want, screen)
		}
	}
	golden.RequireEqual(t, screen)
}

// TestAssessmentOverlayUpdate: the overlay opens by itself once per
// assessment (a new snapshot of the same one does not reopen it), shows
// the verdict, the predicted rejects, the durations and the restore
// against the RTO, escaped; esc closes it onto the trigger dialog, a
// reopens it from the dialog, and it scrolls on a short screen.
func TestAssessmentOverlayUpdate(t *testing.T) {
	m, _ := newTestModel(t, "alice", copyState())
	if m.assessed != nil || strings.Contains(screen(m), "assessment") {
		t.Fatal("an overlay without an assessment")
	}
	s := assessedState()
	m = update(t, m, stateMsg{State: s})
	if m.assessed == nil {
		t.Fatal("the assessment did not open by itself")
	}
	mustContain(t, m, "1 BLOCKER(S) · 1 warning(s) · 1 note(s)", "status not_integer: 2180 rows", `e.g. {"id":17} = "N/A"`, "esc closes")
	box := strings.Join(m.assessed.lines, "\n") // the box wraps them
	for _, want := range []string{"copy: 1160000 rows, about 30.5s (read 12.8s, write 30.5s)", "restore of 1160000 rows about 4m10s, within the RTO of 30m0s",
		"write 38000 rows/s (measured on a scratch table)", "BLOCKER: copy.orders: the copy would reject 2210"} {
		if !strings.Contains(box, want) {
			t.Errorf("the assessment lacks %q:\n%s", want, box)
		}
	}
	if strings.Contains(m.View().Content, "\x1b[2J") {
		t.Fatal("a raw control sequence from the database reaches the screen")
	}
	m = update(t, m, keyMsg("esc"))
	if m.assessed != nil || m.top() == nil {
		t.Fatalf("esc does not close the overlay onto the trigger dialog: %v", m.assessed)
	}
	m = update(t, m, stateMsg{State: s})
	if m.assessed != nil {
		t.Fatal("the same assessment opened itself again")
	}
	m = update(t, m, keyMsg("a"))
	if m.assessed == nil || m.top() == nil {
		t.Fatal("a does not reopen the assessment from the trigger dialog")
	}
	m = update(t, m, keyMsg("esc"))
	next := s
	next.AssessedSeq++
	m = update(t, m, stateMsg{State: next})
	if m.assessed == nil {
		t.Fatal("a new assessment did not open by itself")
	}
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 12})
	v := screen(m)
	if !strings.Contains(v, "lines 1–") || !strings.Contains(v, "scroll") {
		t.Fatalf("a long assessment on a short screen does not say it scrolls:\n%s", v)
	}
	first := m.assessed.top
	m = update(t, m, keyMsg("pgdown"))
	if m.assessed == nil || m.assessed.top <= first {
		t.Fatal("pgdown does not scroll the assessment")
	}
	assertFits(t, m.View().Content, 80, 12)
}
