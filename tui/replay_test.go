package tui

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

// fakeClock is the injected clock: time moves only when the test says.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func event(seq int64, d time.Duration, typ journal.Type, step, actor string, payload any) journal.Event {
	b, _ := json.Marshal(payload)
	return journal.Event{Seq: seq, At: at(d), Type: typ, StepID: step, Actor: actor, Payload: b}
}

// replayEvents is a short run: a copy, a trigger, a decision 20s later.
func replayEvents() []journal.Event {
	s := time.Second
	tr := journal.TriggerPayload{Trigger: "reject_rate", Table: "orders", Observed: 0.002, Threshold: 0.001, Message: "orders: too many rejects"}
	return []journal.Event{
		event(1, 0, journal.RunStarted, "", "alice", journal.RunStartedPayload{Operator: "alice", Mode: "live"}),
		event(2, 1*s, journal.StepStarted, "copy", "", journal.StepStartedPayload{Kind: "copy", Title: "Copy"}),
		event(3, 1500*time.Millisecond, journal.Log, "copy", "", journal.LogPayload{Stream: "info", Line: "copying"}),
		event(4, 2*s, journal.Progress, "copy", "", journal.ProgressPayload{Table: "orders", Read: 1000, Written: 998, Rejected: 2, Total: 5000}),
		event(5, 10*s, journal.TriggerFired, "copy", "", tr),
		event(6, 10*s, journal.Awaiting, "copy", "", journal.AwaitingPayload{Kind: "trigger", Question: "Roll back?", Who: "alice"}),
		event(7, 30*s, journal.Decision, "copy", "alice", journal.DecisionPayload{Kind: "trigger", Choice: "continue", Justification: "known legacy rows"}),
		event(8, 31*s, journal.StepFinished, "copy", "", journal.StepFinishedPayload{Status: "done", DurationMS: 30000}),
		event(9, 32*s, journal.RunFinished, "", "", journal.RunFinishedPayload{Outcome: "finished", DurationMS: 32000}),
	}
}

func nextState(t *testing.T, r *Replay) journal.State {
	t.Helper()
	select {
	case s := <-r.Updates():
		return s
	case <-time.After(2 * time.Second):
		t.Fatal("no snapshot from the replay")
		return journal.State{}
	}
}

func noState(t *testing.T, r *Replay) {
	t.Helper()
	select {
	case s := <-r.Updates():
		t.Fatalf("unexpected snapshot at seq %d", s.LastSeq)
	case <-time.After(150 * time.Millisecond):
	}
}

func TestReplayHonoursGapsAndPause(t *testing.T) {
	clk := &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := NewReplay(replayEvents(), 1, clk.now)
	defer r.Close()
	if s := nextState(t, r); s.LastSeq != 1 {
		t.Fatalf("first snapshot at seq %d", s.LastSeq)
	}
	noState(t, r)
	clk.add(time.Second)
	if s := nextState(t, r); s.LastSeq != 2 {
		t.Fatalf("after 1s: seq %d, want 2", s.LastSeq)
	}
	clk.add(500 * time.Millisecond)
	if s := nextState(t, r); s.LastSeq != 3 {
		t.Fatalf("after 1.5s: seq %d, want 3", s.LastSeq)
	}

	r.Toggle()
	if !r.Status().Paused {
		t.Fatal("Toggle did not pause")
	}
	clk.add(time.Minute)
	noState(t, r)

	r.Toggle() // resume: gaps count from now
	if r.Status().Paused {
		t.Fatal("Toggle did not resume")
	}
	r.Faster() // 2×: the 0.5s gap to event 4 takes 0.25s
	clk.add(200 * time.Millisecond)
	noState(t, r)
	clk.add(50 * time.Millisecond)
	if s := nextState(t, r); s.LastSeq != 4 {
		t.Fatalf("at 2×: seq %d, want 4", s.LastSeq)
	}
	if st := r.Status(); st.Index != 4 || st.Total != 9 || !st.At.Equal(at(2*time.Second)) {
		t.Errorf("status %+v", st)
	}
}

func TestReplaySpeedLadder(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	r := NewReplay(replayEvents(), 1, clk.now)
	defer r.Close()
	want := []float64{2, 4, 8, 16, 32, 64, 128, 256, 256}
	for _, w := range want {
		r.Faster()
		if got := r.Status().Speed; got != w {
			t.Fatalf("Faster: %v, want %v", got, w)
		}
	}
	for _, w := range []float64{128, 64, 32, 16, 8, 4, 2, 1, 0.5, 0.5} {
		r.Slower()
		if got := r.Status().Speed; got != w {
			t.Fatalf("Slower: %v, want %v", got, w)
		}
	}
}

func TestReplaySkipToNextDecisionAndSeekStart(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	r := NewReplay(replayEvents(), 1, clk.now)
	defer r.Close()
	nextState(t, r)

	r.SkipToNextDecision() // the trigger and its awaiting, same instant
	s := nextState(t, r)
	if s.LastSeq != 6 || s.Pending == nil || s.Pending.Trigger == nil {
		t.Fatalf("skip landed at seq %d, pending %+v", s.LastSeq, s.Pending)
	}
	if !r.Status().Paused {
		t.Error("skip did not pause")
	}
	// Resumed, the 20s wait before the decision is capped.
	r.Toggle()
	clk.add(MaxReplayGap - 100*time.Millisecond)
	noState(t, r)
	clk.add(100 * time.Millisecond)
	if s := nextState(t, r); s.LastSeq != 7 || len(s.Decisions) != 1 || s.Pending != nil {
		t.Fatalf("after the capped gap: seq %d", s.LastSeq)
	}

	r.SeekStart()
	if s := nextState(t, r); s.LastSeq != 1 || len(s.Decisions) != 0 {
		t.Fatalf("seek start: seq %d", s.LastSeq)
	}
	r.SkipToNextDecision()
	r.SkipToNextDecision()
	r.SkipToNextDecision() // none left: to the end
	for s := nextState(t, r); s.LastSeq != 9; s = nextState(t, r) {
	}
	if st := r.Status(); !st.Done || st.Index != 9 {
		t.Errorf("status at the end %+v", st)
	}
	r.Send(engine.Command{Kind: engine.CmdNote}) // ignored, must not block
}

func TestReplayCloseClosesUpdates(t *testing.T) {
	r := NewReplay(replayEvents(), 1, (&fakeClock{}).now)
	r.Close()
	for range r.Updates() {
	}
}

// fakePlayer records the controls the console routes to it.
type fakePlayer struct {
	*fakeSession
	calls []string
}

func (p *fakePlayer) Toggle()             { p.calls = append(p.calls, "toggle") }
func (p *fakePlayer) Faster()             { p.calls = append(p.calls, "faster") }
func (p *fakePlayer) Slower()             { p.calls = append(p.calls, "slower") }
func (p *fakePlayer) SkipToNextDecision() { p.calls = append(p.calls, "skip") }
func (p *fakePlayer) SeekStart()          { p.calls = append(p.calls, "start") }
func (p *fakePlayer) SeekEnd()            { p.calls = append(p.calls, "end") }
func (p *fakePlayer) SkipToPrevDecision() { p.calls = append(p.calls, "prev") }
func (p *fakePlayer) StepEvents(n int)    { p.calls = append(p.calls, fmt.Sprintf("events %+d", n)) }
func (p *fakePlayer) SeekTime(n int)      { p.calls = append(p.calls, fmt.Sprintf("time %+d", n)) }
func (p *fakePlayer) Status() ReplayStatus {
	return ReplayStatus{Index: 3, Total: 9, Speed: 8, Paused: true, Start: at(0), End: at(time.Minute), At: at(20 * time.Second),
		Marks: []float64{0.5}}
}

func TestReplayKeysRouteToPlayer(t *testing.T) {
	p := &fakePlayer{fakeSession: newFakeSession()}
	m := New(p, Options{Operator: "alice", Mode: ModeReplay, Now: fixedNow})
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = update(t, m, stateMsg{State: manualState()})
	m, _ = press(t, m, "space", "+", "-", "right", "home", "enter", "N")
	want := []string{"toggle", "faster", "slower", "skip", "start"}
	if len(p.calls) != len(want) {
		t.Fatalf("calls %v, want %v", p.calls, want)
	}
	for i := range want {
		if p.calls[i] != want[i] {
			t.Fatalf("calls %v, want %v", p.calls, want)
		}
	}
	wantCmds(t, p.fakeSession) // space did not tick, enter did not confirm
	mustContain(t, m, "REPLAY", "event 3/9", "8×", "◆", "replay is read-only")
	_, cmd := press(t, m, "q")
	if !isQuit(cmd) {
		t.Error("q does not quit a replay at once")
	}
}

func TestReplayInTheConsole(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	r := NewReplay(replayEvents(), 1, clk.now)
	defer r.Close()
	m := New(r, Options{Operator: "alice", Mode: ModeReplay})
	m = update(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = update(t, m, stateMsg{State: nextState(t, r)})
	m, _ = press(t, m, "right")
	m = update(t, m, stateMsg{State: nextState(t, r)})
	mustContain(t, m, "event 6/9", "⚠ ALARM")
	mustNotContain(t, m, "DECISION REQUIRED") // replay shows the alarm, not a dialog
}

func TestReplayToggleAtTheEndStartsOver(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	r := NewReplay(replayEvents()[:2], 1, clk.now)
	defer r.Close()
	nextState(t, r)
	clk.add(time.Second)
	if s := nextState(t, r); s.LastSeq != 2 || !r.Status().Done {
		t.Fatalf("not at the end: seq %d", s.LastSeq)
	}
	r.Toggle()
	if s := nextState(t, r); s.LastSeq != 1 || r.Status().Paused {
		t.Fatalf("toggle at the end: seq %d, status %+v", s.LastSeq, r.Status())
	}
}
