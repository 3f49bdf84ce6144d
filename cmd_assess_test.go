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
