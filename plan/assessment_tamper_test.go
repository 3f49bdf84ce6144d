package plan

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
)

// TestTamperedAssessmentRefused: an assessment journal whose findings were
// edited afterwards (its blocker turned into a note) is not put into the
// review document as if it were the assessment made: its chain is
// checked as the approvals' is.
func TestTamperedAssessmentRefused(t *testing.T) {
	dir := t.TempDir()
	rb := writeRunbook(t, filepath.Join(dir, "rb.yaml"), approvalsRunbook)
	path := filepath.Join(dir, "a.journal")
	store, err := journal.Create(path, journal.RunStartedPayload{
		RunbookText: string(rb.Text), RunbookSHA256: SHA256(rb), RunbookPath: rb.Path, Operator: "alice", Mode: journal.ModeAssess,
	}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	res := journal.AssessmentPayload{
		Counts:   map[string]int{journal.GradeBlocker: 1},
		Findings: []journal.AssessFinding{{Grade: journal.GradeBlocker, Table: "orders", Message: "the target column is too short"}},
	}
	if _, err := store.Append(context.Background(), "alice", "", journal.Assessed, res); err != nil {
		t.Fatal(err)
	}
	store.Close()
	a, err := LoadAssessment(path, rb)
	if err != nil || !a.Blocked {
		t.Fatalf("the untouched assessment: %+v, %v; want it loaded, blocked", a, err)
	}
	d, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Exec(`DROP TRIGGER IF EXISTS events_no_update`)
	var r sql.Result
	if err == nil {
		r, err = d.Exec(`UPDATE events SET payload_json = replace(payload_json, 'blocker', 'note') WHERE type = 'assessment' AND payload_json LIKE '%blocker%'`)
	}
	if n, _ := r.RowsAffected(); err == nil && n != 1 {
		t.Fatalf("the tamper changed %d events", n)
	}
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	if a, err := LoadAssessment(path, rb); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("a tampered assessment was loaded (blocked %v): %v", a != nil && a.Blocked, err)
	}
}
