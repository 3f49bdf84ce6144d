package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// TestStepDetailPerKind: kinds with their own detail keep it, and a kind
// without one (switch, cdc-start, wait) gets what its fields say.
func TestStepDetailPerKind(t *testing.T) {
	p := &detailPane{c: &Common{Styles: DefaultStyles(DefaultTheme())}}
	for _, c := range []struct {
		plan runbooks.Step
		want string
	}{
		{runbooks.Step{Kind: runbooks.KindShell, Run: "./flip.sh", Undo: "./flop.sh"}, "$ ./flip.sh|undo: ./flop.sh"},
		{runbooks.Step{Kind: runbooks.KindSwitch, Run: "./flip.sh"}, "$ ./flip.sh"},
		{runbooks.Step{Kind: runbooks.KindSQL, On: "target", Run: "select 1"}, "SQL on target:|  select 1"},
		{runbooks.Step{Kind: runbooks.KindCopy, Tables: []string{"a", "b"}, Batch: 500, Parallel: 2}, "copy a, b · batch 500 · parallel 2"},
		{runbooks.Step{Kind: runbooks.KindVerify, All: true}, "verify all tables"},
		{runbooks.Step{Kind: runbooks.KindCDCStart, Tables: []string{"a"}}, "cdc-start a"},
		{runbooks.Step{Kind: runbooks.KindSnapshot, Of: "source"}, "snapshot of source"},
		{runbooks.Step{Kind: runbooks.KindRestore, Snapshot: "snap"}, "restore snapshot snap"},
		{runbooks.Step{Kind: runbooks.KindWait, Duration: 5 * time.Minute}, "wait 5m"},
		{runbooks.Step{Kind: runbooks.KindGate, Question: "Go?"}, ""},
	} {
		lines := p.commandLines(c.plan, 60)
		for i, l := range lines {
			lines[i] = ansi.Strip(l)
		}
		if got := strings.Join(lines, "|"); got != c.want {
			t.Errorf("%s: %q, want %q", c.plan.Kind, got, c.want)
		}
	}
}

// TestStepDetailShowsWhyASkippedStepWasSkipped: a skipped step's reason
// (a restore with nothing to restore) reads as a reason, not as a failure;
// a failed step's error still reads as one.
func TestStepDetailShowsWhyASkippedStepWasSkipped(t *testing.T) {
	p := &detailPane{c: &Common{Styles: DefaultStyles(DefaultTheme())}}
	why := "skipped: nothing to restore: snapshot step snap-target never ran, and no step wrote to this connection since"
	for _, c := range []struct {
		status, err, want, not string
	}{
		{journal.StatusSkipped, why, "↷ skipped: nothing to restore", "✗"},
		{journal.StatusFailed, "restore of x does not match its manifest", "✗ restore of x", "↷"},
	} {
		p.state = journal.State{RollingBack: true, Current: "restore-target", Steps: []journal.StepState{{
			ID: "restore-target", Kind: runbooks.KindRestore, Rollback: true, Status: c.status, Error: c.err,
			StartedAt: time.Unix(100, 0), FinishedAt: time.Unix(101, 0), Attempts: 1,
		}}}
		got := ansi.Strip(strings.Join(p.lines(200, 30), "\n"))
		if !strings.Contains(got, c.want) || strings.Contains(got, c.not) {
			t.Errorf("%s: want %q and no %q in:\n%s", c.status, c.want, c.not, got)
		}
	}
}
