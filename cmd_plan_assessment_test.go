package main

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/demo"
	"github.com/tightrope/tightrope/journal"
)

// TestPlanWithAssessment: the demo is assessed (exit 4), then planned
// with --assessment: the Markdown and the HTML (parsed strictly) hold the
// graded findings, every predicted reject group by table, column and
// reason with the journaled count, the copies' predicted durations and
// the snapshots' restore predictions against the RTO. An assessment of
// another migration is refused; one of an edited runbook is said stale.
func TestPlanWithAssessment(t *testing.T) {
	dir := t.TempDir()
	rb, err := demo.Write(context.Background(), dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	jpath := filepath.Join(t.TempDir(), "assess.journal")
	if out, code := tightrope(t, nil, "assess", rb, "--journal", jpath, "--as", "alice"); code != exitBlocked {
		t.Fatalf("assess: exit %d:\n%s", code, out)
	}
	res := lastAssessment(t, jpath)
	if len(res.Tables) == 0 || len(res.Snapshots) == 0 || len(res.Steps) == 0 {
		t.Fatalf("the demo's assessment lacks tables, snapshots or steps: %+v", res)
	}

	md, code := tightrope(t, nil, "plan", rb, "--assessment", jpath)
	if code != 0 {
		t.Fatalf("plan md: exit %d:\n%s", code, md)
	}
	page, code := tightrope(t, nil, "plan", rb, "--assessment", jpath, "--format", "html")
	if code != 0 {
		t.Fatalf("plan html: exit %d:\n%s", code, page)
	}
	rows := htmlRejectRows(t, page)
	for _, tb := range res.Tables {
		for _, g := range tb.Rejects {
			mdRow := "| " + mdEscaped(tb.Step) + " | " + mdEscaped(tb.Table) + " | " + mdEscaped(g.Column) + " | " + mdEscaped(g.Reason) + " | " + itoa(g.Predicted) + " | " + itoa(tb.Rows) + " |"
			if !strings.Contains(md, mdRow) {
				t.Errorf("md lacks the reject row %q", mdRow)
			}
			want := strings.Join([]string{tb.Step, tb.Table, g.Column, g.Reason, itoa(g.Predicted), itoa(tb.Rows)}, "|")
			if !rows[want] {
				t.Errorf("html reject table lacks %q; has %v", want, rows)
			}
		}
	}
	for _, want := range []string{"## Assessment", "### Blockers", "### Warnings", "### Notes", "### Predicted durations", "### Snapshots and restore times",
		"over the reject\\_rate threshold", "restore time unknown"} {
		if !strings.Contains(md, want) {
			t.Errorf("md lacks %q", want)
		}
	}
	for _, want := range []string{"<h2>Assessment</h2>", `<ul class="blockers">`, "Predicted durations", "Snapshots and restore times", "over the reject_rate threshold"} {
		if !strings.Contains(page, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	for _, f := range res.Findings {
		if f.Grade == journal.GradeBlocker && !strings.Contains(page, f.Message) {
			t.Errorf("html lacks the blocker %q", f.Message)
		}
	}

	text, err := os.ReadFile(rb)
	if err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(dir, "edited.yaml")
	if err := os.WriteFile(edited, append(text, []byte("\n# edited\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if md, code := tightrope(t, nil, "plan", edited, "--assessment", jpath); code != 0 || !strings.Contains(md, "another text of the runbook") {
		t.Errorf("plan of an edited runbook with the old assessment: exit %d, no staleness said:\n%s", code, md)
	}
	other := filepath.Join(dir, "other.yaml")
	if err := os.WriteFile(other, []byte(strings.Replace(string(text), "migration_id: ", "migration_id: OTHER-", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := tightrope(t, nil, "plan", other, "--assessment", jpath); code != 2 || !strings.Contains(out, "not an assessment of migration") {
		t.Errorf("an assessment of another migration: exit %d:\n%s", code, out)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// mdEscaped is a reason as the plan's Markdown escapes it.
func mdEscaped(s string) string { return strings.ReplaceAll(s, "_", "\\_") }

// lastAssessment is the last assessment journaled in path.
func lastAssessment(t *testing.T, path string) journal.AssessmentPayload {
	t.Helper()
	evs, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	var res journal.AssessmentPayload
	for _, e := range evs {
		if p, _ := journal.Decode(e); e.Type == journal.Assessed {
			res = p.(journal.AssessmentPayload)
		}
	}
	return res
}

// htmlRejectRows parses the page strictly and returns the rows of its
// predicted-rejects table, cells joined by "|" (the example left out).
func htmlRejectRows(t *testing.T, page string) map[string]bool {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(page))
	dec.Strict = true
	rows := map[string]bool{}
	inTable, inCell := false, false
	var row []string
	var cell strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("html not well-formed: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			switch tk.Name.Local {
			case "table":
				for _, a := range tk.Attr {
					inTable = inTable || (a.Name.Local == "id" && a.Value == "predicted-rejects")
				}
			case "tr":
				row = nil
			case "td":
				inCell = inTable
				cell.Reset()
			}
		case xml.CharData:
			if inCell {
				cell.Write(tk)
			}
		case xml.EndElement:
			switch tk.Name.Local {
			case "table":
				inTable = false
			case "td":
				if inCell {
					row = append(row, strings.TrimSpace(cell.String()))
				}
				inCell = false
			case "tr":
				if inTable && len(row) == 7 {
					rows[strings.Join(row[:6], "|")] = true
				}
			}
		}
	}
	return rows
}
