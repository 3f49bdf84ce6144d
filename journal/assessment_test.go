package journal

import (
	"context"
	"testing"
)

// TestFoldKeepsTheLatestAssessment: the fold carries the latest
// assessment journaled, with its seq and step, so the console shows it
// after a restart and opens a newer one by itself.
func TestFoldKeepsTheLatestAssessment(t *testing.T) {
	s, path := newJournal(t)
	ctx := context.Background()
	first := AssessmentPayload{Counts: map[string]int{GradeNote: 1}, Findings: []AssessFinding{{Grade: GradeNote, Message: "first"}}}
	second := AssessmentPayload{Counts: map[string]int{GradeBlocker: 1}, Findings: []AssessFinding{{Grade: GradeBlocker, Message: "second"}}}
	if _, err := s.Append(ctx, "alice", "assess", Assessed, first); err != nil {
		t.Fatal(err)
	}
	e, err := s.Append(ctx, "alice", "assess-again", Assessed, second)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	st := Fold(evs)
	if st.Assessment == nil || !st.Assessment.Blocked() || st.Assessment.Findings[0].Message != "second" {
		t.Fatalf("fold's assessment %+v, want the second", st.Assessment)
	}
	if st.AssessedSeq != e.Seq || st.AssessedStep != "assess-again" {
		t.Errorf("assessed at seq %d by %q, want %d by assess-again", st.AssessedSeq, st.AssessedStep, e.Seq)
	}
}
