package plan

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

const approvalsRunbook = `version: 1
name: approvals
migration_id: MIG-APPROVE
decision_maker: alice
approvals: [alice, bob]
steps:
  - { id: s1, kind: shell, run: "true" }
`

func writeRunbook(t *testing.T, path, text string) *runbooks.Runbook {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return rb
}

// TestApprovalsBoundToTheText: approvals are journaled in a hash-chained
// journal beside the runbook, count only for the exact text approved
// (editing it voids them), and a second approval by the same name of the
// same text is refused.
func TestApprovalsBoundToTheText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rb.yaml")
	rb := writeRunbook(t, path, approvalsRunbook)
	if m, err := MissingApprovals(rb); err != nil || strings.Join(m, ",") != "alice,bob" {
		t.Fatalf("missing before any approval: %v %v", m, err)
	}
	ctx := context.Background()
	if _, err := Approve(ctx, rb, "alice", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := Approve(ctx, rb, "alice", "test"); err == nil {
		t.Error("alice approved the same text twice")
	}
	if m, _ := MissingApprovals(rb); strings.Join(m, ",") != "bob" {
		t.Fatalf("missing after alice: %v", m)
	}
	if _, err := Approve(ctx, rb, "bob", "test"); err != nil {
		t.Fatal(err)
	}
	if m, err := MissingApprovals(rb); err != nil || len(m) != 0 {
		t.Fatalf("missing after both: %v %v", m, err)
	}
	rep, err := journal.Verify(ApprovalsPath(path))
	if err != nil || rep.BrokenSeq != 0 || rep.Events != 3 {
		t.Fatalf("approvals journal: %+v %v", rep, err)
	}

	edited := writeRunbook(t, path, approvalsRunbook+"  - { id: s2, kind: shell, run: \"true\" }\n")
	if m, _ := MissingApprovals(edited); strings.Join(m, ",") != "alice,bob" {
		t.Errorf("an edited runbook kept approvals: missing %v", m)
	}
	if _, err := Approve(ctx, edited, "alice", "test"); err != nil {
		t.Fatal(err)
	}
	if m, _ := MissingApprovals(edited); strings.Join(m, ",") != "bob" {
		t.Errorf("after alice approved the edit: missing %v", m)
	}
	if a, _ := Approvals(edited); len(a) != 1 || a[0].Name != "alice" {
		t.Errorf("approvals of the edit: %+v", a)
	}
}

// TestTamperedApprovalsRefused: an approval written into the file behind
// the journal's back breaks the chain, and no approval is trusted.
func TestTamperedApprovalsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rb.yaml")
	rb := writeRunbook(t, path, approvalsRunbook)
	if _, err := Approve(context.Background(), rb, "alice", "test"); err != nil {
		t.Fatal(err)
	}
	d, err := sql.Open("sqlite", ApprovalsPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`DROP TRIGGER IF EXISTS events_no_update`); err != nil {
		t.Fatal(err)
	}
	_, err = d.Exec(`UPDATE events SET actor = 'bob', payload_json = replace(payload_json, '"alice"', '"bob"') WHERE seq = 2`)
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MissingApprovals(rb); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("a tampered approvals journal was trusted: %v", err)
	}
}
