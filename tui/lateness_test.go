package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/tightrope/tightrope/journal"
)

// lateState: every step has an expected (30m in all, window 35m); freeze,
// snap and prep ended late and the copy is still running at 32:10, past
// its planned end, so the run is projected to end at 37:10, past the window.
func lateState() journal.State {
	s := baseState()
	rb := *s.Runbook
	rb.Objectives.Expected, rb.Objectives.Window = 30*time.Minute, 35*time.Minute
	rb.Steps = append(rb.Steps[:0:0], rb.Steps...)
	for i, d := range []time.Duration{2, 2, 1, 20, 2, 1, 2} {
		rb.Steps[i].Expected = d * time.Minute
		s.Steps[i].Expected = d * time.Minute
	}
	s.Runbook = &rb
	setStep(&s, "freeze", journal.StatusDone, 0, 3*time.Minute)
	setStep(&s, "snap", journal.StatusDone, 3*time.Minute, 7*time.Minute+12*time.Second)
	setStep(&s, "prep", journal.StatusDone, 7*time.Minute+12*time.Second, 7*time.Minute+13*time.Second)
	setStep(&s, "copy", journal.StatusRunning, 7*time.Minute+13*time.Second, 0)
	s.Current = "copy"
	s.LastAt, s.LastSeq = at(32*time.Minute), 812
	return s
}

// TestGoldenLateness pins the steps' lateness and the projected end past
// the window. Refresh with: go test ./tui/ -run Golden -update
func TestGoldenLateness(t *testing.T) {
	screen := goldenScreen(t, "alice", lateState())
	for _, want := range []string{"ends ~0:37:10 past the window", "+1m00s", "+3m12s", "+2m13s", "+7m10s"} {
		if !strings.Contains(string(screen), want) {
			t.Errorf("the screen lacks %q:\n%s", want, screen)
		}
	}
	golden.RequireEqual(t, screen)
}

// TestLatenessWords: late, early and on time, wide and narrow; nothing for
// a step not started or a rollback step.
func TestLatenessWords(t *testing.T) {
	c := &Common{Styles: DefaultStyles(DefaultTheme())}
	cases := []struct {
		p      journal.StepPlan
		narrow bool
		want   string
	}{
		{journal.StepPlan{Started: true, Late: 2 * time.Minute}, false, "+2m00s late"},
		{journal.StepPlan{Started: true, Late: 2 * time.Minute}, true, "+2m00s"},
		{journal.StepPlan{Started: true, Late: -90 * time.Second}, false, "1m30s early"},
		{journal.StepPlan{Started: true, Late: -90 * time.Second}, true, "-1m30s"},
		{journal.StepPlan{Started: true, Late: 300 * time.Millisecond}, false, "on time"},
		{journal.StepPlan{Started: true}, true, "±0"},
		{journal.StepPlan{Late: time.Minute}, false, ""},
		{journal.StepPlan{Started: true, Rollback: true, Late: time.Minute}, false, ""},
	}
	for _, tc := range cases {
		if got := ansi.Strip(c.lateness(tc.p, tc.narrow)); got != tc.want {
			t.Errorf("%+v narrow %v: got %q, want %q", tc.p, tc.narrow, got, tc.want)
		}
	}
}

// TestProjectedEndOnlyWhilePlannedAndRunning: no projection once the run
// ended, nor when the runbook plans no time.
func TestProjectedEndOnlyWhilePlannedAndRunning(t *testing.T) {
	c := &Common{Styles: DefaultStyles(DefaultTheme()), Now: fixedNow, Mode: ModeLive}
	s := lateState()
	if got := ansi.Strip(c.projectedEnd(s)); got != "ends ~0:37:10 past the window" {
		t.Errorf("running: %q", got)
	}
	s.Outcome, s.FinishedAt = journal.OutcomeRolledBack, at(33*time.Minute)
	if got := c.projectedEnd(s); got != "" {
		t.Errorf("ended: %q", got)
	}
	s = lateState()
	rb := *s.Runbook
	rb.Objectives.Expected = 0
	rb.Steps = append(rb.Steps[:0:0], rb.Steps...)
	for i := range rb.Steps {
		rb.Steps[i].Expected = 0
	}
	s.Runbook = &rb
	if got := c.projectedEnd(s); got != "" {
		t.Errorf("nothing planned: %q", got)
	}
}

// TestGoldenLateness80x24: on the smallest supported screen the steps
// still show their lateness (narrow form) and the header the projected
// end past the window.
func TestGoldenLateness80x24(t *testing.T) {
	screen := goldenSized(t, "", 80, 24, nil, lateState())
	for _, want := range []string{"past the window", "+7m10s"} {
		if !strings.Contains(string(screen), want) {
			t.Errorf("the screen lacks %q:\n%s", want, screen)
		}
	}
	golden.RequireEqual(t, screen)
}
