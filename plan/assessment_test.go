package plan

import (
	"bytes"
	"strings"
	"testing"

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
	wellFormed(t, html.Bytes())
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
