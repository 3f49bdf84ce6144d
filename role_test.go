package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

const aliceRunbook = `version: 1
name: Role check
migration_id: MIG-ROLE
decision_maker: alice
steps:
  - { id: hello, kind: shell, run: "echo hello" }
  - { id: go, kind: gate, question: Switch? }
`

func writeAliceRunbook(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "rb.yaml")
	if err := os.WriteFile(path, []byte(aliceRunbook), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, filepath.Join(dir, "run.journal")
}

// TestAutoDecideOnlyForTheDecisionMaker: mallory cannot script decisions
// on alice's runbook: exit 2 before the first step, no decision by mallory.
func TestAutoDecideOnlyForTheDecisionMaker(t *testing.T) {
	path, j := writeAliceRunbook(t)
	out, code := tightrope(t, nil, "run", path, "--as", "mallory", "--auto-decide", "continue", "--plain", "--journal", j)
	if code != 2 || !strings.Contains(out, "only alice may decide") || !strings.Contains(out, "--as alice") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	if _, err := os.Stat(j); err == nil {
		events, err := journal.ReadAll(j)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Type == journal.Decision || e.Type == journal.StepStarted {
				t.Fatalf("seq %d: %s by %s", e.Seq, e.Type, e.Actor)
			}
		}
	}
	if strings.Contains(out, "hello") {
		t.Fatal("a step ran")
	}
}

// TestAnObserverIsAskedBeforeTheFirstStep: someone who is not the
// decision-maker is told so before anything runs, and must confirm.
func TestAnObserverIsAskedBeforeTheFirstStep(t *testing.T) {
	path, j := writeAliceRunbook(t)
	out, code := tightrope(t, nil, "run", path, "--as", "bob", "--plain", "--journal", j) // stdin: nothing typed
	if code != 2 || !strings.Contains(out, "bob is not this runbook's decision-maker (alice)") || !strings.Contains(out, "--observer") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	if _, err := os.Stat(j); err == nil || strings.Contains(out, "hello") {
		t.Fatal("the run started without a confirmation")
	}

	// Confirmed: it runs the shell step, then waits at the gate only alice
	// can answer; the journal says bob goes on as observer-operator.
	cmd := exec.Command(binary, "run", path, "--as", "bob", "--plain", "--journal", j)
	cmd.Stdin = strings.NewReader("yes\n")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	seen := readUntil(t, stdout, "waiting for alice")
	if !strings.Contains(seen, "hello") || !strings.Contains(seen, "observer-operator") {
		t.Fatalf("output:\n%s", seen)
	}
}

// readUntil reads r until its text holds want (or 20 s pass) and returns
// what it read.
func readUntil(t *testing.T, r io.Reader, want string) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			b.Write(buf[:n])
			if strings.Contains(b.String(), want) || err != nil {
				got <- b.String()
				return
			}
		}
	}()
	select {
	case s := <-got:
		return s
	case <-time.After(20 * time.Second):
		t.Fatalf("no %q in the output within 20s", want)
		return ""
	}
}
