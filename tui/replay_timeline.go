package tui

import (
	"time"

	"github.com/tightrope/tightrope/journal"
)

// The replay as a timeline: seek by event, by decision and by time, back
// as well as forward, with the gaps where the run was not running (a
// process stopped, then a resume) known and marked. Seeking back folds the
// journal again from its first event: the fold is the only state.

// ReplayGap is a stretch of the run when no process was running it: from
// the last event before a stop to the run_resumed that took it up again.
type ReplayGap struct {
	From, To time.Time
	Resume   int // index of the run_resumed event that ends the gap
}

// Length is how long the run was not running.
func (g ReplayGap) Length() time.Duration { return g.To.Sub(g.From) }

// seekSteps is how many steps of time the run is cut into for seeking by
// time: one press moves a twentieth of the run (at least timeStepMin).
const (
	seekSteps   = 20
	timeStepMin = time.Second
)

// gapsOf finds the gaps of a journal: each run_resumed and the event
// before it.
func gapsOf(events []journal.Event) []ReplayGap {
	var gaps []ReplayGap
	for i := 1; i < len(events); i++ {
		if events[i].Type == journal.RunResumed {
			gaps = append(gaps, ReplayGap{From: events[i-1].At, To: events[i].At, Resume: i})
		}
	}
	return gaps
}

// decisionEnds are the positions (events applied) just after each group
// of decision points — a trigger, its awaiting, a decision, and whatever
// of those happened at the same instant — where a skip by decision lands.
func decisionEnds(events []journal.Event) []int {
	var ends []int
	for j := 0; j < len(events); j++ {
		if !isDecisionPoint(events[j].Type) {
			continue
		}
		at := events[j].At
		for j+1 < len(events) && isDecisionPoint(events[j+1].Type) && events[j+1].At.Equal(at) {
			j++
		}
		ends = append(ends, j+1)
	}
	return ends
}

// StepEvents moves n events forward (n < 0: back) and pauses.
func (r *Replay) StepEvents(n int) {
	r.control(func() { r.seekLocked(r.pos + n) })
}

// SkipToPrevDecision goes back to the decision point before the one the
// playhead is at (the start when there is none) and pauses.
func (r *Replay) SkipToPrevDecision() {
	r.control(func() {
		to := 1
		for _, end := range r.ends {
			if end < r.pos {
				to = end
			}
		}
		r.seekLocked(to)
	})
}

// SeekTime moves the playhead by steps twentieths of the run's time (at
// least a second each; negative: back) and pauses there: on the last event
// at or before that time.
func (r *Replay) SeekTime(steps int) {
	r.control(func() {
		n := len(r.events)
		if n == 0 {
			return
		}
		step := max(r.events[n-1].At.Sub(r.events[0].At)/seekSteps, timeStepMin)
		target := r.events[max(r.pos-1, 0)].At.Add(time.Duration(steps) * step)
		to := 1
		for i, e := range r.events {
			if !e.At.After(target) {
				to = i + 1
			}
		}
		if steps > 0 && to <= r.pos && r.pos < n { // at least one event forward
			to = r.pos + 1
		}
		if steps < 0 && to >= r.pos && r.pos > 1 { // at least one event back
			to = r.pos - 1
		}
		r.seekLocked(to)
	})
}

// SeekEnd goes to the last event.
func (r *Replay) SeekEnd() { r.control(func() { r.seekLocked(len(r.events)) }) }

// seekLocked puts the playhead after event pos (at least the first),
// folding again from the start when it goes back, and pauses.
func (r *Replay) seekLocked(pos int) {
	pos = min(max(pos, 1), len(r.events))
	if pos < r.pos {
		r.state, r.pos = journal.State{}, 0
	}
	r.applyLocked(pos - r.pos)
	r.paused, r.last = true, r.now()
}

// gapAtLocked is the gap the playhead has just come through: the last
// applied event is the resume that ended it.
func (r *Replay) gapAtLocked() *ReplayGap {
	for i := range r.gaps {
		if r.gaps[i].Resume == r.pos-1 {
			g := r.gaps[i]
			return &g
		}
	}
	return nil
}
