package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// TestResumeRunsTheRunbookVerbatim: a run stopped at a gate and resumed
// executes the shell step byte for byte as written, not a redacted copy.
func TestResumeRunsTheRunbookVerbatim(t *testing.T) {
	dir := t.TempDir()
	rb := `version: 1
name: Verbatim
migration_id: MIG-VERBATIM
decision_maker: alice
objectives: { rto: 5m, rpo: 0s, expected: 10m, window: 1h }
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
steps:
  - { id: gate, kind: gate, question: "go?" }
  - { id: sh, kind: shell, run: "echo --password=$MARK > out.txt" }
`
	rb = strings.Replace(rb, "out.txt", filepath.Join(dir, "out.txt"), 1)
	path := filepath.Join(dir, "rb.yaml")
	if err := os.WriteFile(path, []byte(rb), 0o644); err != nil {
		t.Fatal(err)
	}
	j := filepath.Join(dir, "v.journal")
	env := []string{"MARK=marker-value-77"}
	out, _, killed := runAndKill(t, env, []string{"run", path, "--plain", "--as", "alice", "--journal", j},
		func(out string) bool { return strings.Contains(out, "waiting for alice") }, 0)
	if !killed {
		t.Fatalf("the run was not stopped at its gate:\n%s", out)
	}
	out, code := tightrope(t, env, "resume", j, "--plain", "--as", "alice", "--auto-decide", "continue")
	if code != 0 {
		t.Fatalf("resume: exit %d:\n%s", code, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "--password=marker-value-77\n" {
		t.Errorf("the resumed shell step wrote %q: it did not run the runbook as written", got)
	}
}

// TestResumeRefusesAnAlteredRunbook: an embedded runbook whose sha256 is
// not the one recorded (a journal from a build that redacted it) is
// refused, naming both hashes.
func TestResumeRefusesAnAlteredRunbook(t *testing.T) {
	rb, err := runbooks.Parse("x.yaml", []byte("version: 1\nname: n\nmigration_id: m\ndecision_maker: d\nsteps: [{ id: s, kind: shell, run: \"echo --password=[redacted]\" }]\n"))
	if err != nil {
		t.Fatal(err)
	}
	st := journal.State{Runbook: rb, RunbookSHA: strings.Repeat("ab", 32)}
	err = checkRunbookSHA("x.journal", st)
	if err == nil || !strings.Contains(err.Error(), "refusing to resume with a different runbook") || !strings.Contains(err.Error(), st.RunbookSHA) {
		t.Fatalf("got %v", err)
	}
}
