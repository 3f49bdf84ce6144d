package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// plainDemo runs the demo in plain mode with stdin as standard input
// ("" is /dev/null).
func plainDemo(t *testing.T, stdin string, args ...string) (string, int, time.Duration) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"demo", "--plain", "--as", "you"}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	} // else /dev/null
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode(), took
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0, took
}

// TestPlainDemoWithoutAnswersStopsResumably: with standard input at
// /dev/null, the demo stops at its first question within 10 s, exit 1, says
// how to decide, and leaves a journal without run_finished that a resume
// with scripted answers takes to the end.
func TestPlainDemoWithoutAnswersStopsResumably(t *testing.T) {
	dir := t.TempDir()
	out, code, took := plainDemo(t, "", "--dir", dir)
	if code != 1 || took > 10*time.Second {
		t.Fatalf("exit %d after %s:\n%s", code, took, out)
	}
	for _, want := range []string{"no answer: standard input ended", "tightrope resume ", "printf 'tick all\\nconfirm\\n' | tightrope resume"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	// The step waiting for the answer was interrupted, not failed.
	if strings.Contains(out, "FAILED") || !strings.Contains(out, "interrupted after") {
		t.Errorf("the step stopped for want of an answer is not said interrupted (or is said FAILED):\n%s", out)
	}
	j := journalPath(t, out)
	events, err := journal.ReadAll(j)
	if err != nil {
		t.Fatal(err)
	}
	if s := journal.Fold(events); s.Outcome != "" {
		t.Fatalf("the run ended %s: it should be resumable", s.Outcome)
	}
	cmd := exec.Command(binary, "resume", "--plain", "--as", "you", j)
	cmd.Dir = filepath.Dir(dir)
	cmd.Stdin = strings.NewReader("tick all\nconfirm\ncontinue the bad products are known\ngo\n")
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, res)
	}
	if !strings.Contains(string(res), "outcome: FINISHED") {
		t.Fatalf("resume:\n%s", res)
	}
}

// TestPlainDemoDecidedOnStandardInput: scripted answers drive the demo to
// its end under the console's rules — an unticked checklist, a short
// justification, a limit below the observed rate and a wrong migration id
// are refused with the reason and asked again; what is accepted is
// journaled as the operator's own decision, not an automatic one.
func TestPlainDemoDecidedOnStandardInput(t *testing.T) {
	answers := strings.Join([]string{
		"confirm",            // the checklist is not ticked
		"tick 1", "tick all", // one by one, then the rest
		"confirm",            //
		"continue too short", // 9 characters
		"continue --limit 1% the bad products are known", // below the observed 6.5%
		"rollback MIG-DEMO", // not the migration id
		"continue --limit 20% the bad products are known",
		"maybe", // not an answer to a gate
		"go",
	}, "\n") + "\n"
	out, code, _ := plainDemo(t, answers, "--dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"not sent: checklist item 1 is not ticked",
		"not sent: a justification of at least 10 characters is required (9 typed)",
		"not sent: 1% is below the observed 6.5%",
		"not sent: to roll back, type rollback MIG-DEMO-001",
		"not sent: “maybe” is not an answer to this question",
		"outcome: FINISHED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	events, err := journal.ReadAll(journalPath(t, out))
	if err != nil {
		t.Fatal(err)
	}
	s := journal.Fold(events)
	var got []string
	for _, d := range s.Decisions {
		if d.Auto || d.Actor != "you" {
			t.Errorf("decision %+v: not the operator's own", d)
		}
		got = append(got, d.Choice)
	}
	if strings.Join(got, " ") != "confirm continue go" {
		t.Errorf("decisions %v, want confirm continue go", got)
	}
	if l, ok := s.Limit("reject_rate", "copy", "products"); !ok || l != 0.2 {
		t.Errorf("products' reject-rate limit %v %v, want the typed 20%%", l, ok)
	}
}

// TestDumbTerminalGetsPlainLines: in a terminal with TERM=dumb the demo
// prints lines, ending with the outcome in capitals, instead of drawing the
// console.
func TestDumbTerminalGetsPlainLines(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is needed to give the run a terminal (apt-get install tmux)")
		}
		t.Skip("tmux is not installed")
	}
	session := fmt.Sprintf("tightrope-dumb-%d", time.Now().UnixNano())
	script := fmt.Sprintf("TERM=dumb '%s' demo --dir '%s' --as you --auto-decide continue; sleep 30", binary, t.TempDir())
	if out, err := exec.Command("tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", script).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	defer exec.Command("tmux", "kill-session", "-t", session).Run()
	var screen string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		out, err := exec.Command("tmux", "capture-pane", "-p", "-t", session).Output()
		if err != nil {
			t.Fatalf("tmux capture-pane: %v", err)
		}
		if screen = string(out); strings.Contains(screen, "outcome: FINISHED") {
			return
		}
	}
	t.Fatalf("no plain outcome line on a TERM=dumb terminal:\n%s", screen)
}
