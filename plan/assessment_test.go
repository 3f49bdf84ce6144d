package plan

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/internal/markuptest"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// TestAssessmentSectionEscapes: findings, reasons and example values read
// from a database come out inert in both formats, and the HTML still
// parses strictly.
func TestAssessmentSectionEscapes(t *testing.T) {
	rb, err := runbooks.Parse("hostile.yaml", []byte(hostile))
	if err != nil {
		t.Fatal(err)
	}
	doc := Build(rb, nil, nil)
	doc.Assessment = assessmentOf(journal.AssessmentPayload{
		Counts:   map[string]int{journal.GradeBlocker: 1},
		Findings: []journal.AssessFinding{{Grade: journal.GradeBlocker, Table: "</li><script>x</script>", Message: "\x1b[2J<b>cleared</b>"}},
		Tables: []journal.AssessTable{{Step: "s1", Table: "t<", Rows: 10, Rejects: []journal.AssessReject{{Column: "c&", Reason: "not_integer", Predicted: 3,
			Examples: []journal.AssessExample{{Key: map[string]any{"id": 1}, Value: "</code></td></tr><tr><td>"}}}}}},
	})
	var html, md bytes.Buffer
	if err := doc.HTML(&html); err != nil {
		t.Fatal(err)
	}
	if err := doc.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	markuptest.WellFormed(t, html.String())
	sec := md.String()
	sec = sec[strings.Index(sec, "## Assessment"):strings.Index(sec, "## Drill history")]
	for _, bad := range []string{"<script>", "<b>cleared", "\x1b", "</code></td></tr><tr>"} {
		if strings.Contains(html.String(), bad) || strings.Contains(sec, bad) {
			t.Errorf("the plan carries %q raw", bad)
		}
	}
	if !strings.Contains(md.String(), "| s1 | t\\< | c\\& | not\\_integer | 3 | 10 |") {
		t.Errorf("md lacks the escaped reject row:\n%s", md.String())
	}
}

// TestRollbackCarriesThePredictedRestore: the rollback procedure says the
// assessment's predicted restore time against the RTO, over it in words.
func TestRollbackCarriesThePredictedRestore(t *testing.T) {
	rb, err := runbooks.Parse("hostile.yaml", []byte(hostile))
	if err != nil {
		t.Fatal(err)
	}
	doc := Build(rb, nil, nil)
	doc.Assessment = assessmentOf(journal.AssessmentPayload{Snapshots: []journal.AssessSnapshot{
		{Step: "snap", Of: "db", Size: 1 << 20, Rows: 500, Restore: 45 * time.Minute, RestoreFrom: "run.journal", RTO: 30 * time.Minute},
		{Step: "snap2", Of: "other", Size: 1 << 20},
	}})
	var html, md bytes.Buffer
	if err := doc.HTML(&html); err != nil {
		t.Fatal(err)
	}
	if err := doc.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	markuptest.WellFormed(t, html.String())
	want := "The latest assessment predicts restoring db (step snap) about 45m0s, OVER the RTO of 30m0s"
	for name, out := range map[string]string{"md": md.String(), "html": html.String()} {
		if !strings.Contains(out, "Predicted restore time:") || !strings.Contains(out, want) {
			t.Errorf("%s lacks the predicted restore %q", name, want)
		}
		if strings.Contains(out, "restoring other") {
			t.Errorf("%s predicts a restore nobody measured", name)
		}
	}
}
