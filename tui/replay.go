package tui

import (
	"sync"
	"time"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

// Player is a session that can be steered like a tape: the console routes
// the replay keys to it when Options.Mode is ModeReplay.
type Player interface {
	Toggle()             // pause or resume
	Faster()             // next speed up the ladder
	Slower()             // next speed down the ladder
	SkipToNextDecision() // jump to the next trigger, awaiting or decision, and pause
	SkipToPrevDecision() // back to the decision point before the current one, and pause
	StepEvents(n int)    // n events forward (negative: back), and pause
	SeekTime(steps int)  // steps twentieths of the run's time forward (negative: back), and pause
	SeekStart()          // back to the first event
	SeekEnd()            // to the last event
	Status() ReplayStatus
}

// ReplayStatus is where a replay stands, as a value.
type ReplayStatus struct {
	Index, Total int       // events applied, events in the journal
	At           time.Time // time of the last applied event
	Start, End   time.Time // times of the first and last events
	Speed        float64
	Paused, Done bool
	Marks        []float64 // decision points, as fractions of the run (read-only)
	// Gaps are the stretches when no process ran the run (a stop, then a
	// resume), read-only; Gap is the one the playhead has just come
	// through (its last event is the resume), if any.
	Gaps []ReplayGap
	Gap  *ReplayGap
}

// FractionOf is t's position in the run, 0 to 1.
func (r ReplayStatus) FractionOf(t time.Time) float64 {
	span := r.End.Sub(r.Start)
	if span <= 0 {
		return 0
	}
	return min(max(float64(t.Sub(r.Start))/float64(span), 0), 1)
}

// Fraction is the playhead's position in the run, 0 to 1.
func (r ReplayStatus) Fraction() float64 {
	span := r.End.Sub(r.Start)
	if span <= 0 {
		if r.Total > 0 {
			return float64(r.Index) / float64(r.Total)
		}
		return 0
	}
	return min(max(float64(r.At.Sub(r.Start))/float64(span), 0), 1)
}

// speeds is the ladder Faster and Slower climb.
var speeds = []float64{0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256}

const (
	// MaxReplayGap caps the wall-clock wait between two events, so long
	// quiet stretches of a run do not bore the room.
	MaxReplayGap = 2 * time.Second
	// replayPoll is how often the player looks at its clock; everything due
	// by then is applied at once, so high speeds do not flood the console.
	replayPoll = 25 * time.Millisecond
)

// Replay plays a journal's events back as a Session: it folds them
// progressively, waiting the real gaps between events scaled by the speed
// (each capped at MaxReplayGap), and delivers a State after each step on
// Updates. Commands are ignored. Updates stays open at the end so the room
// can seek back; Close stops the player and closes it.
type Replay struct {
	events  []journal.Event
	now     func() time.Time
	updates chan journal.State
	wake    chan struct{}
	stop    chan struct{}
	once    sync.Once
	marks   []float64
	ends    []int       // positions after each group of decision points
	gaps    []ReplayGap // where the run was not running

	mu     sync.Mutex
	pos    int // events applied
	state  journal.State
	speed  float64
	paused bool
	dirty  bool      // state changed since the last delivery
	last   time.Time // when the last event was applied (or play resumed), by now()
}

var _ engine.Session = (*Replay)(nil)
var _ Player = (*Replay)(nil)

// NewReplay starts playing events at speed (1 is real time; ≤ 0 means 1),
// reading time from clock (nil means time.Now; tests inject a fake). The
// first event is applied at once.
func NewReplay(events []journal.Event, speed float64, clock func() time.Time) *Replay {
	if clock == nil {
		clock = time.Now
	}
	if speed <= 0 {
		speed = 1
	}
	r := &Replay{
		events:  events,
		now:     clock,
		updates: make(chan journal.State),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		speed:   speed,
	}
	r.marks = r.decisionMarks()
	r.ends, r.gaps = decisionEnds(events), gapsOf(events)
	r.seekStartLocked()
	go r.run()
	return r
}

// Updates implements engine.Session.
func (r *Replay) Updates() <-chan journal.State { return r.updates }

// Send implements engine.Session: a replay ignores commands.
func (r *Replay) Send(engine.Command) {}

// Close stops the player; Updates is closed.
func (r *Replay) Close() { r.once.Do(func() { close(r.stop) }) }

// Toggle pauses or resumes; at the end it plays again from the start.
func (r *Replay) Toggle() {
	r.control(func() {
		if r.pos >= len(r.events) {
			r.seekStartLocked()
			r.paused = false
		} else {
			r.paused = !r.paused
		}
		r.last = r.now()
	})
}

// Faster moves one step up the speed ladder.
func (r *Replay) Faster() {
	r.control(func() {
		for _, s := range speeds {
			if s > r.speed {
				r.speed = s
				return
			}
		}
	})
}

// Slower moves one step down the speed ladder.
func (r *Replay) Slower() {
	r.control(func() {
		for i := len(speeds) - 1; i >= 0; i-- {
			if speeds[i] < r.speed {
				r.speed = speeds[i]
				return
			}
		}
	})
}

// SkipToNextDecision applies events up to the next trigger, awaiting or
// decision (and the ones that happened at the same instant with it), then
// pauses so the room can read it. With none left it goes to the end.
func (r *Replay) SkipToNextDecision() {
	r.control(func() {
		to := len(r.events)
		for _, end := range r.ends {
			if end > r.pos {
				to = end
				break
			}
		}
		r.seekLocked(to)
	})
}

// SeekStart goes back to the first event, keeping play or pause.
func (r *Replay) SeekStart() { r.control(r.seekStartLocked) }

// Status implements Player.
func (r *Replay) Status() ReplayStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := ReplayStatus{Index: r.pos, Total: len(r.events), Speed: r.speed, Paused: r.paused,
		Done: r.pos >= len(r.events), Marks: r.marks, Gaps: r.gaps, Gap: r.gapAtLocked()}
	if n := len(r.events); n > 0 {
		st.Start, st.End = r.events[0].At, r.events[n-1].At
	}
	if r.pos > 0 {
		st.At = r.events[r.pos-1].At
	}
	return st
}

func isDecisionPoint(t journal.Type) bool {
	return t == journal.TriggerFired || t == journal.Awaiting || t == journal.Decision
}

func (r *Replay) decisionMarks() []float64 {
	n := len(r.events)
	if n == 0 {
		return nil
	}
	start, span := r.events[0].At, r.events[n-1].At.Sub(r.events[0].At)
	var marks []float64
	for i, e := range r.events {
		if e.Type != journal.TriggerFired && e.Type != journal.Decision {
			continue
		}
		f := float64(i) / float64(max(n-1, 1))
		if span > 0 {
			f = float64(e.At.Sub(start)) / float64(span)
		}
		marks = append(marks, f)
	}
	return marks
}

// control runs a change under the lock and wakes the player.
func (r *Replay) control(f func()) {
	r.mu.Lock()
	f()
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Replay) seekStartLocked() {
	r.state, r.pos, r.last = journal.State{}, 0, r.now()
	r.applyLocked(1)
}

// applyLocked folds the next n events.
func (r *Replay) applyLocked(n int) {
	for ; n > 0 && r.pos < len(r.events); n-- {
		r.state.Apply(r.events[r.pos])
		r.pos++
	}
	r.dirty = true
}

// gap is the wall-clock wait before event i at the current speed.
func (r *Replay) gap(i int) time.Duration {
	if i == 0 {
		return 0
	}
	d := time.Duration(float64(r.events[i].At.Sub(r.events[i-1].At)) / r.speed)
	return min(max(d, 0), MaxReplayGap)
}

// stepLocked applies every event that is due by the clock.
func (r *Replay) stepLocked() {
	if r.paused {
		return
	}
	now := r.now()
	for r.pos < len(r.events) {
		due := r.last.Add(r.gap(r.pos))
		if now.Before(due) {
			return
		}
		r.last = due
		r.applyLocked(1)
	}
}

// takeLocked returns a copy of the state if it changed since last taken.
func (r *Replay) takeLocked() (journal.State, bool) {
	if !r.dirty {
		return journal.State{}, false
	}
	r.dirty = false
	return r.state.Clone(), true
}

func (r *Replay) run() {
	defer close(r.updates)
	poll := time.NewTicker(replayPoll)
	defer poll.Stop()
	for {
		r.mu.Lock()
		r.stepLocked()
		st, ok := r.takeLocked()
		r.mu.Unlock()
		if ok {
			select {
			case r.updates <- st:
			case <-r.stop:
				return
			}
			continue
		}
		select {
		case <-poll.C:
		case <-r.wake:
		case <-r.stop:
			return
		}
	}
}
