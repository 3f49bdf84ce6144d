package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResumeRetriesAFailedRun: a run that failed for a reason now gone
// (here: a file that was missing) is taken up again by the decision-maker
// with resume --retry-failed, and only by them; it then runs to the end.
func TestResumeRetriesAFailedRun(t *testing.T) {
	dir := t.TempDir()
	rb := filepath.Join(dir, "rb.yaml")
	if err := os.WriteFile(rb, []byte(`version: 1
name: Transient
migration_id: MIG-TRANSIENT
decision_maker: alice
connections:
  source: { driver: sqlite, path: a.db }
steps:
  - { id: first, kind: shell, run: "echo first >> ran.txt" }
  - { id: flaky, kind: shell, run: "test -f space-freed", idempotent: true }
  - { id: last, kind: shell, run: "echo last >> ran.txt" }
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := tightrope(t, nil, "run", "--plain", "--as", "alice", "--auto-decide", "continue", rb)
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	jpath := journalPath(t, out)
	if err := os.WriteFile(filepath.Join(dir, "space-freed"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = tightrope(t, nil, "resume", "--plain", "--as", "alice", jpath)
	if code != 2 || !strings.Contains(out, "ended failed at step flaky") || !strings.Contains(out, "--retry-failed") {
		t.Fatalf("resume without --retry-failed: exit %d:\n%s", code, out)
	}
	out, code = tightrope(t, nil, "resume", "--plain", "--as", "bob", "--observer", "--retry-failed", jpath)
	if code != 2 || !strings.Contains(out, "only the decision-maker (alice)") {
		t.Fatalf("resume --retry-failed by bob: exit %d:\n%s", code, out)
	}
	out, code = tightrope(t, nil, "resume", "--plain", "--as", "alice", "--retry-failed", jpath)
	if code != 0 {
		t.Fatalf("resume --retry-failed: exit %d:\n%s", code, out)
	}
	ran, _ := os.ReadFile(filepath.Join(dir, "ran.txt"))
	if string(ran) != "first\nlast\n" {
		t.Errorf("steps ran: %q (first once, then last)", ran)
	}
	out, code = tightrope(t, nil, "resume", "--plain", "--as", "alice", "--retry-failed", jpath)
	if code == 0 || !strings.Contains(out, "already ended (finished)") {
		t.Errorf("a finished run was resumed: exit %d:\n%s", code, out)
	}
}
