package plan

// The latest assessment in the review document: what `tightrope assess`
// (or an assess step) predicted for this migration, read from its journal.

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/assess"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// Assessment is the latest assessment of the runbook, in words and
// numbers for the document.
type Assessment struct {
	Journal  string    // the journal it was read from (its base name)
	At       time.Time // when it was journaled
	Stale    string    // set when it assessed another text of the runbook
	Sample   string    // "" when every row was read
	Verdict  string
	Blocked  bool
	Blockers []string
	Warnings []string
	Notes    []string
	Rejects  []RejectRow
	Copies   []string // each copy step's predicted duration
	Restores []string // each snapshot step's size, free disk and restore time against the RTO
	// RestorePredicted says, for the rollback procedure, the restore times
	// the assessment predicted against the RTO; empty when it predicted
	// none.
	RestorePredicted string
}

// RejectRow is the predicted rejects of one column of one table for one
// reason.
type RejectRow struct {
	Step, Table, Column, Reason string
	Predicted                   int64
	Rows                        int64  // rows in the table
	Estimate                    bool   // from a sample
	Example                     string // one example key = value
}

// LoadAssessment reads the latest assessment journaled in path (a journal
// of mode assess, or a run's with an assess step) and checks it is of rb's
// migration; a different text of the same runbook is said (Stale).
func LoadAssessment(path string, rb *runbooks.Runbook) (*Assessment, error) {
	// a review document must not carry findings edited after the fact: the
	// chain is checked first, as the approvals' is (a keyed journal without
	// its key: its order and links)
	rep, err := journal.Verify(path)
	if err != nil {
		return nil, fmt.Errorf("assessment journal %s: %w", path, err)
	}
	if rep.BrokenSeq != 0 {
		return nil, fmt.Errorf("assessment journal %s is broken at seq %d (%s): its findings cannot be trusted", path, rep.BrokenSeq, rep.Reason)
	}
	evs, err := journal.ReadAll(path)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 || evs[0].Type != journal.RunStarted {
		return nil, fmt.Errorf("%s: not a journal", path)
	}
	p, err := journal.Decode(evs[0])
	if err != nil {
		return nil, err
	}
	head, _ := p.(journal.RunStartedPayload)
	if other, _ := runbooks.Parse(head.RunbookPath, []byte(head.RunbookText)); other == nil || other.MigrationID != rb.MigrationID {
		return nil, fmt.Errorf("%s is not an assessment of migration %s", path, rb.MigrationID)
	}
	var last *journal.Event
	for i := range evs {
		if evs[i].Type == journal.Assessed {
			last = &evs[i]
		}
	}
	if last == nil {
		return nil, fmt.Errorf("%s holds no assessment", path)
	}
	p, err = journal.Decode(*last)
	if err != nil {
		return nil, err
	}
	res, ok := p.(journal.AssessmentPayload)
	if !ok {
		return nil, fmt.Errorf("%s: the assessment does not decode", path)
	}
	a := assessmentOf(res)
	a.Journal, a.At = filepath.Base(path), last.At
	if head.RunbookSHA256 != SHA256(rb) {
		a.Stale = fmt.Sprintf("This assessment is of another text of the runbook (sha256 %s, this one %s): run tightrope assess again.", short(head.RunbookSHA256), SHA256(rb)[:12])
	}
	return a, nil
}

func short(s string) string { return s[:min(12, len(s))] }

// assessmentOf turns an assessment's result into the document's words.
func assessmentOf(r journal.AssessmentPayload) *Assessment {
	a := &Assessment{Sample: r.Sample, Blocked: r.Blocked()}
	a.Verdict = fmt.Sprintf("%d blocker(s), %d warning(s), %d note(s)", r.Counts[journal.GradeBlocker], r.Counts[journal.GradeWarning], r.Counts[journal.GradeNote])
	for _, f := range r.Findings {
		where := strings.Trim(strings.Join([]string{f.Step, f.Table, f.Column}, "."), ".")
		s := f.Message
		if where != "" {
			s = where + ": " + s
		}
		switch f.Grade {
		case journal.GradeBlocker:
			a.Blockers = append(a.Blockers, s)
		case journal.GradeWarning:
			a.Warnings = append(a.Warnings, s)
		default:
			a.Notes = append(a.Notes, s)
		}
	}
	for _, t := range r.Tables {
		for _, g := range t.Rejects {
			row := RejectRow{Step: t.Step, Table: t.Table, Column: g.Column, Reason: g.Reason, Predicted: g.Predicted, Rows: t.Rows, Estimate: t.Estimate}
			if len(g.Examples) > 0 {
				row.Example = assess.ExampleText(g.Examples[0])
			}
			a.Rejects = append(a.Rejects, row)
		}
	}
	for _, s := range r.Steps {
		a.Copies = append(a.Copies, assess.StepWords(s))
	}
	var predicted []string
	for _, s := range r.Snapshots {
		a.Restores = append(a.Restores, assess.SnapshotWords(s))
		if s.RestoreFrom == "" {
			continue
		}
		verdict := ""
		if s.RTO > 0 {
			verdict = fmt.Sprintf(", within the RTO of %s", s.RTO)
			if s.Restore > s.RTO {
				verdict = fmt.Sprintf(", OVER the RTO of %s", s.RTO)
			}
		}
		predicted = append(predicted, fmt.Sprintf("restoring %s (step %s) about %s%s", s.Of, s.Step, s.Restore.Round(time.Millisecond), verdict))
	}
	if len(predicted) > 0 {
		a.RestorePredicted = "The latest assessment predicts " + strings.Join(predicted, "; ") + " (at the rate of the last recorded restore)."
	}
	return a
}

// mdAssessment writes the assessment section in Markdown.
func mdAssessment(b *strings.Builder, a *Assessment) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## Assessment\n\n")
	if a == nil {
		p("No assessment was given (tightrope assess RUNBOOK, then tightrope plan RUNBOOK \\-\\-assessment JOURNAL).\n\n")
		return
	}
	verdict := mdText(a.Verdict)
	if a.Blocked {
		verdict = "**" + verdict + "**"
	}
	p("From %s, %s: %s.\n\n", mdText(a.Journal), a.At.UTC().Format("2006-01-02 15:04Z"), verdict)
	if a.Stale != "" {
		p("**%s**\n\n", mdText(a.Stale))
	}
	if a.Sample != "" {
		p("Read from a sample (%s): the counts are estimates.\n\n", mdText(a.Sample))
	}
	if len(a.Rejects) > 0 {
		p("### Predicted rejects\n\n| step | table | column | reason | predicted | of rows | example |\n|---|---|---|---|---|---|---|\n")
		for _, r := range a.Rejects {
			n := fmt.Sprint(r.Predicted)
			if r.Estimate {
				n = "about " + n
			}
			p("| %s | %s | %s | %s | %s | %d | %s |\n", mdText(r.Step), mdText(r.Table), mdText(r.Column), mdText(r.Reason), n, r.Rows, mdText(r.Example))
		}
		p("\n")
	}
	for _, part := range []struct {
		title string
		lines []string
	}{{"Predicted durations", a.Copies}, {"Snapshots and restore times", a.Restores}, {"Blockers", a.Blockers}, {"Warnings", a.Warnings}, {"Notes", a.Notes}} {
		if len(part.lines) == 0 {
			continue
		}
		p("### %s\n\n", part.title)
		for _, l := range part.lines {
			p("- %s\n", mdText(l))
		}
		p("\n")
	}
}
