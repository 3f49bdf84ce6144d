package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/demo"
	"github.com/tightrope/tightrope/journal"
)

// TestAssessPredictsTheDemoRun assesses the demo (exit 4: the products'
// reject rate is over 0.1%), checks the SQLite files are byte for byte
// as they were, then runs the demo and finds the same rejects per table.
func TestAssessPredictsTheDemoRun(t *testing.T) {
	dir := t.TempDir()
	rb, err := demo.Write(context.Background(), dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	before := dirSums(t, dir)
	jpath := filepath.Join(t.TempDir(), "assess.journal")
	out, code := tightrope(t, nil, "assess", rb, "--journal", jpath, "--as", "alice")
	if code != exitBlocked {
		t.Fatalf("exit %d, want %d:\n%s", code, exitBlocked, out)
	}
	if after := dirSums(t, dir); after != before {
		t.Errorf("assess changed the databases' directory:\nbefore %s\nafter  %s", before, after)
	}
	for _, want := range []string{"BLOCKER: copy.products", "rating not_integer: 17 rows", "price precision_loss: 10 rows", `e.g. {"id":23} = "N/A"`} {
		if !strings.Contains(out, want) {
			t.Errorf("assess output lacks %q:\n%s", want, out)
		}
	}
	evs, err := journal.ReadAll(jpath)
	if err != nil {
		t.Fatal(err)
	}
	st := journal.Fold(evs)
	if st.Mode != journal.ModeAssess {
		t.Errorf("journal mode %q, want %q", st.Mode, journal.ModeAssess)
	}
	var res *journal.AssessmentPayload
	for _, e := range evs {
		if p, err := journal.Decode(e); err != nil {
			t.Fatal(err)
		} else if a, ok := p.(journal.AssessmentPayload); ok {
			res = &a
		}
	}
	if res == nil || !res.Blocked() {
		t.Fatalf("the journal holds no blocking assessment: %+v", res)
	}
	for format, want := range map[string]string{"md": "## Assessment", "html": "Predicted rejects"} {
		rep, code := tightrope(t, nil, "report", jpath, "--format", format)
		if code != 0 || !strings.Contains(rep, want) || !strings.Contains(rep, "not_integer") || !strings.Contains(rep, "over the reject_rate threshold") ||
			!strings.Contains(rep, "Predicted durations and restores") || !strings.Contains(rep, "write rate unknown") {
			t.Errorf("report --format %s of the assessment (exit %d) lacks its section:\n%s", format, code, rep)
		}
	}
	predicted := map[string]int{}
	for _, tb := range res.Tables {
		predicted[tb.Table] = int(tb.Rejected)
	}

	out, code = tightrope(t, nil, "run", rb, "--plain", "--auto-decide", "continue", "--as", "alice")
	if code != 0 {
		t.Fatalf("demo run: exit %d:\n%s", code, out)
	}
	for table, c := range tableCounts(t, out) {
		if c[2] != predicted[table] {
			t.Errorf("%s: the run rejected %d rows, the assessment predicted %d", table, c[2], predicted[table])
		}
	}
}

// dirSums is the sha256 of every file in dir, by name.
func dirSums(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		b.WriteString(e.Name() + "=" + hex.EncodeToString(sum[:8]) + " ")
	}
	return b.String()
}

// TestAssessStepStopsTheRunBeforeACopy puts an assess step first in the
// demo: its blocker raises the assessment trigger, the decision-maker
// (--auto-decide rollback) rolls back, and no copy ever started.
func TestAssessStepStopsTheRunBeforeACopy(t *testing.T) {
	dir := t.TempDir()
	rb, err := demo.Write(context.Background(), dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(rb)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(text), "steps:\n", "steps:\n  - { id: assess, kind: assess, sample: 50% }\n", 1)
	if edited == string(text) {
		t.Fatal("the demo runbook has no steps: line")
	}
	if err := os.WriteFile(rb, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	jpath := filepath.Join(t.TempDir(), "run.journal")
	out, code := tightrope(t, nil, "run", rb, "--plain", "--auto-decide", "rollback", "--as", "alice", "--journal", jpath)
	// The demo's rollback restores snapshots this run never took; nothing
	// wrote to either side yet, so both restores are skipped with their
	// reason and the run is rolled back (exit 3).
	if code != exitRolledBack {
		t.Fatalf("exit %d, want %d (rolled back):\n%s", code, exitRolledBack, out)
	}
	for restore, snap := range map[string]string{"restore-target": "snap-target", "restore-source": "snap-source"} {
		why := "nothing to restore: snapshot step " + snap + " never ran, and no step wrote to this connection since"
		if line := restore + ": skipped: " + why; !strings.Contains(out, line) {
			t.Errorf("the console does not say %q:\n%s", line, out)
		}
		for _, format := range []string{"md", "html"} {
			if rep, code := tightrope(t, nil, "report", jpath, "--format", format); code != 0 || !strings.Contains(rep, why) {
				t.Errorf("report --format %s (exit %d) does not say %q:\n%s", format, code, why, rep)
			}
		}
	}
	// plain mode prints the assessment's summary: the tables' predicted
	// rejects, the copy's predicted duration, the findings by grade
	for _, want := range []string{"assess | copy products:", "assess | warn: BLOCKER: copy.products", "at least", "assess | assessment: "} {
		if !strings.Contains(out, want) {
			t.Errorf("plain mode does not print the assessment's summary (%q):\n%s", want, out)
		}
	}
	if !strings.Contains(out, "ROLLBACK started: assessment: rollback decided") {
		t.Errorf("no rollback decided on the assessment:\n%s", out)
	}
	evs, err := journal.ReadAll(jpath)
	if err != nil {
		t.Fatal(err)
	}
	var assessed, fired bool
	for _, e := range evs {
		p, err := journal.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		switch e.Type {
		case journal.Assessed:
			a := p.(journal.AssessmentPayload)
			assessed = a.Blocked() && a.Sample == "50%"
		case journal.TriggerFired:
			tp := p.(journal.TriggerPayload)
			fired = fired || (tp.Trigger == "assessment" && e.StepID == "assess" && strings.Contains(tp.Message, "products"))
		case journal.StepStarted:
			if k := p.(journal.StepStartedPayload).Kind; k == "copy" || k == "snapshot" {
				t.Errorf("a %s step started after the assessment's blocker: %s", k, e.StepID)
			}
		}
	}
	if !assessed || !fired {
		t.Errorf("assessment journaled %v, trigger raised %v:\n%s", assessed, fired, out)
	}
}

// TestAssessPredictsRestoreFromTheLastOne: a demo run rolled back
// restores its source; the assessment of a fresh demo, given that run's
// journal, predicts the source's restore at its rate — the same rows, so
// the same time — against the RTO.
func TestAssessPredictsRestoreFromTheLastOne(t *testing.T) {
	ran := t.TempDir()
	rb, err := demo.Write(context.Background(), ran, "alice")
	if err != nil {
		t.Fatal(err)
	}
	runJournal := filepath.Join(ran, "run.journal")
	if out, code := tightrope(t, nil, "run", rb, "--plain", "--auto-decide", "rollback", "--as", "alice", "--journal", runJournal); code != exitRolledBack {
		t.Fatalf("demo run: exit %d, want a rollback:\n%s", code, out)
	}
	var measured journal.RestorePayload
	evs, err := journal.ReadAll(runJournal)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if p, _ := journal.Decode(e); e.Type == journal.RestoreFinished && p.(journal.RestorePayload).Connection == "source" {
			measured = p.(journal.RestorePayload)
		}
	}
	if !measured.Verified {
		t.Fatalf("the rollback journaled no verified restore of the source: %+v", measured)
	}

	fresh := t.TempDir()
	rb, err = demo.Write(context.Background(), fresh, "alice")
	if err != nil {
		t.Fatal(err)
	}
	jpath := filepath.Join(t.TempDir(), "assess.journal")
	out, _ := tightrope(t, nil, "assess", rb, "--journal", jpath, "--history", ran, "--as", "alice")
	if !strings.Contains(out, "at the rate of the last restore") {
		t.Fatalf("no restore prediction:\n%s", out)
	}
	evs, err = journal.ReadAll(jpath)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		p, _ := journal.Decode(e)
		a, ok := p.(journal.AssessmentPayload)
		if !ok {
			continue
		}
		for _, s := range a.Snapshots {
			if s.Of != "source" {
				continue
			}
			if d := s.Restore.Milliseconds() - measured.DurationMS; d < -1 || d > 1 {
				t.Errorf("predicted restore %s for %d rows, the last restore of the same rows took %dms", s.Restore, s.Rows, measured.DurationMS)
			}
			return
		}
	}
	t.Errorf("the assessment holds no snapshot of the source:\n%s", out)
}

// TestAssessWriteRateFromTheLastCopy: without --measure-write the write
// rate is the last recorded copy's, from a journal of the same migration
// only: a demo run's journal gives the fresh demo's assessment a write
// rate for every table (and a duration that is not a floor); the same
// journal gives none to a runbook of another migration, which says the
// write rate is unknown.
func TestAssessWriteRateFromTheLastCopy(t *testing.T) {
	ran := t.TempDir()
	rb, err := demo.Write(context.Background(), ran, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if out, code := tightrope(t, nil, "run", rb, "--plain", "--auto-decide", "continue", "--as", "alice", "--journal", filepath.Join(ran, "run.journal")); code != 0 {
		t.Fatalf("demo run: exit %d:\n%s", code, out)
	}
	fresh := t.TempDir()
	rb, err = demo.Write(context.Background(), fresh, "alice")
	if err != nil {
		t.Fatal(err)
	}
	jpath := filepath.Join(t.TempDir(), "assess.journal")
	out, _ := tightrope(t, nil, "assess", rb, "--journal", jpath, "--history", ran, "--as", "alice")
	res := lastAssessment(t, jpath)
	for _, tb := range res.Tables {
		if tb.WriteRate <= 0 || filepath.Base(tb.WriteFrom) != "run.journal" {
			t.Errorf("%s: write rate %v from %q, want the demo run's", tb.Table, tb.WriteRate, tb.WriteFrom)
		}
	}
	if len(res.Steps) != 1 || !res.Steps[0].WriteKnown || !strings.Contains(out, "last recorded copy") {
		t.Errorf("the prediction does not use the recorded write rate: %+v\n%s", res.Steps, out)
	}

	text, err := os.ReadFile(rb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rb, []byte(strings.Replace(string(text), "migration_id: ", "migration_id: OTHER-", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ = tightrope(t, nil, "assess", rb, "--journal", jpath+"2", "--history", ran, "--as", "alice")
	for _, tb := range lastAssessment(t, jpath+"2").Tables {
		if tb.WriteRate != 0 {
			t.Errorf("%s: another migration's journal gave a write rate %v", tb.Table, tb.WriteRate)
		}
	}
	if !strings.Contains(out, "the write rate is unknown") || !strings.Contains(out, "restore time unknown") {
		t.Errorf("another migration's assessment does not say what is unknown:\n%s", out)
	}
}
