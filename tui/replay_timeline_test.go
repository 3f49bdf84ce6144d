package tui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/tightrope/tightrope/journal"
)

// gapEvents is a run that stopped after its trigger (no decision), was
// resumed three minutes later, and decided then.
func gapEvents() []journal.Event {
	s := time.Second
	tr := journal.TriggerPayload{Trigger: "reject_rate", Table: "orders", Observed: 0.002, Threshold: 0.001, Message: "orders: too many rejects"}
	aw := journal.AwaitingPayload{Kind: "trigger", Question: "Roll back?", Who: "alice"}
	return []journal.Event{
		event(1, 0, journal.RunStarted, "", "alice", journal.RunStartedPayload{Operator: "alice", Mode: "live"}),
		event(2, 1*s, journal.StepStarted, "copy", "", journal.StepStartedPayload{Kind: "copy", Title: "Copy"}),
		event(3, 2*s, journal.Progress, "copy", "", journal.ProgressPayload{Table: "orders", Read: 1000, Written: 998, Rejected: 2, Total: 5000}),
		event(4, 10*s, journal.TriggerFired, "copy", "", tr),
		event(5, 10*s, journal.Awaiting, "copy", "", aw),
		event(6, 190*s, journal.RunResumed, "", "alice", journal.RunResumedPayload{Operator: "alice", FromSeq: 5}),
		event(7, 191*s, journal.Awaiting, "copy", "", aw),
		event(8, 200*s, journal.Decision, "copy", "alice", journal.DecisionPayload{Kind: "trigger", Choice: "continue", Justification: "known legacy rows"}),
		event(9, 230*s, journal.StepFinished, "copy", "", journal.StepFinishedPayload{Status: "done", DurationMS: 229000}),
		event(10, 240*s, journal.RunFinished, "", "", journal.RunFinishedPayload{Outcome: "finished", DurationMS: 240000}),
	}
}

// seq waits for the replay's snapshot after a seek and returns its seq.
func seqAfter(t *testing.T, r *Replay, seek func()) int64 {
	t.Helper()
	seek()
	want := int64(r.Status().Index)
	for s := nextState(t, r); ; s = nextState(t, r) {
		if s.LastSeq == want {
			return s.LastSeq
		}
	}
}

// TestReplaySeeksBackAndForth: by event, by decision and by time, both
// ways, each seek pausing; going back folds again from the start, so the
// state is the one of that moment (the decision undone).
func TestReplaySeeksBackAndForth(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	r := NewReplay(gapEvents(), 1, clk.now)
	defer r.Close()
	nextState(t, r)

	steps := []struct {
		name string
		seek func()
		want int64
	}{
		{"end", r.SeekEnd, 10},
		{"an event back", func() { r.StepEvents(-1) }, 9},
		{"the decision before", r.SkipToPrevDecision, 8},
		{"the decision point before that: the question asked again after the resume", r.SkipToPrevDecision, 7},
		{"the trigger", r.SkipToPrevDecision, 5},
		{"before any decision: the start", r.SkipToPrevDecision, 1},
		{"two events forward", func() { r.StepEvents(2) }, 3},
		{"forward by time: 12 s, a twentieth of the run", func() { r.SeekTime(1) }, 5},
		{"forward by time lands on the last event at or before: still inside the gap", func() { r.SeekTime(1) }, 6},
		{"back by time", func() { r.SeekTime(-1) }, 5},
		{"to the next decision", r.SkipToNextDecision, 7},
		{"past the end stays at the end", func() { r.StepEvents(99) }, 10},
		{"back past the start stays at the first event", func() { r.StepEvents(-99) }, 1},
	}
	for _, s := range steps {
		if got := seqAfter(t, r, s.seek); got != s.want {
			t.Fatalf("%s: at seq %d, want %d", s.name, got, s.want)
		}
		if !r.Status().Paused {
			t.Fatalf("%s: not paused", s.name)
		}
	}
	r.SeekEnd()
	r.SkipToPrevDecision() // seq 8, the decision
	r.SkipToPrevDecision() // seq 7: the decision is undone in the state
	for s := nextState(t, r); ; s = nextState(t, r) {
		if s.LastSeq == 7 {
			if len(s.Decisions) != 0 || s.Pending == nil {
				t.Fatalf("back at seq 7: decisions %v, pending %v", s.Decisions, s.Pending)
			}
			break
		}
	}
}

// TestReplayMarksTheGapWhenTheRunWasNotRunning: the stretch between the
// last event before a stop and the run_resumed is a gap with its length,
// reported when the playhead has just come through it.
func TestReplayMarksTheGapWhenTheRunWasNotRunning(t *testing.T) {
	r := NewReplay(gapEvents(), 1, (&fakeClock{t: time.Now()}).now)
	defer r.Close()
	st := r.Status()
	if len(st.Gaps) != 1 || st.Gaps[0].Length() != 180*time.Second || st.Gaps[0].Resume != 5 {
		t.Fatalf("gaps %+v", st.Gaps)
	}
	if st.Gap != nil {
		t.Fatalf("at the start the playhead is in no gap: %+v", st.Gap)
	}
	r.StepEvents(5) // applied through seq 6, the resume
	if g := r.Status().Gap; g == nil || g.Length() != 3*time.Minute {
		t.Fatalf("after the resume: gap %+v", g)
	}
	r.StepEvents(1)
	if g := r.Status().Gap; g != nil {
		t.Fatalf("past the resume: gap %+v", g)
	}
}

// TestReplayTimelineKeysRouteToPlayer: the timeline keys, as the key help
// names them.
func TestReplayTimelineKeysRouteToPlayer(t *testing.T) {
	p := &fakePlayer{fakeSession: newFakeSession()}
	m := New(p, Options{Operator: "alice", Mode: ModeReplay, Now: fixedNow})
	m = update(t, m, tea.WindowSizeMsg{Width: 160, Height: 40})
	m = update(t, m, stateMsg{State: manualState()})
	m, _ = press(t, m, "left", "h", ".", ",", "]", "[", "end", "$")
	want := "prev prev events +1 events -1 time +1 time -1 end end"
	if got := strings.Join(p.calls, " "); got != want {
		t.Fatalf("calls %q, want %q", got, want)
	}
}

// gapPlayer stands just after a resume that ended a 12-minute gap.
type gapPlayer struct{ *fakePlayer }

func (p gapPlayer) Status() ReplayStatus {
	g := ReplayGap{From: at(10 * time.Minute), To: at(22 * time.Minute), Resume: 300}
	return ReplayStatus{Index: 301, Total: 812, Speed: 8, Paused: true, Start: at(0), End: at(32 * time.Minute),
		At: at(22 * time.Minute), Marks: []float64{0.25, 0.8}, Gaps: []ReplayGap{g}, Gap: &g}
}

// TestGoldenReplayTimelineWithGap: the replay header shows the playhead's
// wall-clock time and offset, the gap on the timeline with its length, and
// that the playhead has just come through it.
func TestGoldenReplayTimelineWithGap(t *testing.T) {
	sess := newFakeSession()
	p := gapPlayer{&fakePlayer{fakeSession: sess}}
	tm := teatest.NewTestModel(t, New(p, Options{Operator: "alice", Mode: ModeReplay, Now: fixedNow}),
		teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.NoTTY)))
	sess.ch <- copyState()
	sess.ch <- copyState() // handled the first: it is on screen
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	var screen bytes.Buffer
	w := &colorprofile.Writer{Forward: &screen, Profile: colorprofile.NoTTY}
	if _, err := w.Write([]byte(final.View().Content)); err != nil {
		t.Fatal(err)
	}
	out := screen.String()
	for _, want := range []string{"02:22:00 +0:22:00", "resumed after 12m00s not running", "┄ 12m00s ┄"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q on screen:\n%s", want, out)
		}
	}
	assertFits(t, out, 120, 40)
	golden.RequireEqual(t, screen.Bytes())
}
