package journal

import (
	"time"

	"github.com/tightrope/tightrope/runbooks"
)

// PlanVsActual is the run's planned timeline set against what happened:
// the forward steps laid end to end from their `expected` durations, each
// with its actual start and duration, and how late it ended (or will end,
// projected). The console and the report both read it, so they agree.
type PlanVsActual struct {
	Expected  time.Duration // objectives.expected
	Window    time.Duration // objectives.window
	OverrunAt time.Duration // when the overrun trigger's threshold is crossed (expected × overrun); 0 when not watched
	// OverrunFired is when an overrun trigger fired, from the run's start;
	// negative when it never fired.
	OverrunFired time.Duration
	Now          time.Duration // the moment the comparison was made, from the run's start
	ProjectedEnd time.Duration // when the forward steps end at this pace: actual ends, then planned durations
	Finished     bool          // the run ended: ProjectedEnd is its actual end
	Steps        []StepPlan
}

// StepPlan is one step, planned and actual. Offsets are from the run's start.
type StepPlan struct {
	ID, Title string
	Rollback  bool // a rollback step: no plan, actual only
	// PlannedStart and PlannedDuration place a forward step on the plan; a
	// step without `expected` gets an equal Share of what objectives.expected
	// leaves after the steps that have one (zero when nothing is left).
	PlannedStart, PlannedDuration time.Duration
	Share                         bool
	Status                        string
	Started, Finished             bool
	ActualStart, ActualDuration   time.Duration // duration so far while the step runs
	// End is the step's actual end, or its projected end when it has not
	// ended: the later of now and its planned duration from its start.
	End time.Duration
	// Late is End minus the planned end: positive late, negative early;
	// zero for a step that was skipped or never ran before the run ended.
	Late time.Duration
}

// PlannedEnd is when the plan has the step end.
func (p StepPlan) PlannedEnd() time.Duration { return p.PlannedStart + p.PlannedDuration }

// PlannedSteps lays the runbook's forward steps end to end: each takes its
// `expected`, or an equal share of what objectives.expected leaves.
func PlannedSteps(rb *runbooks.Runbook) []StepPlan {
	if rb == nil {
		return nil
	}
	var set time.Duration
	unset := 0
	for _, st := range rb.Steps {
		if st.Expected > 0 {
			set += st.Expected
		} else {
			unset++
		}
	}
	var share time.Duration
	if left := rb.Objectives.Expected - set; unset > 0 && left > 0 {
		share = left / time.Duration(unset)
	}
	out := make([]StepPlan, 0, len(rb.Steps))
	var at time.Duration
	for _, st := range rb.Steps {
		p := StepPlan{ID: st.ID, Title: st.Title, PlannedStart: at, PlannedDuration: st.Expected, Status: StatusPending}
		if st.Expected <= 0 {
			p.PlannedDuration, p.Share = share, true
		}
		at += p.PlannedDuration
		out = append(out, p)
	}
	return out
}

// ComparePlan sets the state's steps against the plan of its runbook, as
// of now (a running step is measured to now; the moment of the last event
// for a report).
func ComparePlan(s *State, now time.Time) PlanVsActual {
	pv := PlanVsActual{OverrunFired: -1, Finished: s.Outcome != ""}
	if s.Runbook == nil || s.StartedAt.IsZero() {
		return pv
	}
	off := func(t time.Time) time.Duration { return max(t.Sub(s.StartedAt), 0) }
	if pv.Finished {
		now = s.FinishedAt
	}
	pv.Now = off(now)
	o := s.Runbook.Objectives
	pv.Expected, pv.Window = o.Expected, o.Window
	if f := s.Runbook.Triggers.Overrun; f != nil && o.Expected > 0 {
		pv.OverrunAt = time.Duration(float64(o.Expected) * *f)
	}
	for _, t := range s.Triggers {
		if t.Trigger == runbooks.TriggerOverrun && o.Expected > 0 {
			// observed is elapsed / expected at the moment it fired
			pv.OverrunFired = time.Duration(t.Observed * float64(o.Expected)).Round(time.Second)
			break
		}
	}
	states := map[string]StepState{}
	for _, st := range s.Steps {
		states[st.ID] = st
	}
	var cursor time.Duration // where the next forward step can start
	for _, p := range PlannedSteps(s.Runbook) {
		st := states[p.ID]
		p.Status = st.Status
		if p.Status == "" {
			p.Status = StatusPending
		}
		p.Started, p.Finished = !st.StartedAt.IsZero(), !st.FinishedAt.IsZero()
		switch {
		case p.Started:
			p.ActualStart = off(st.StartedAt)
			end := pv.Now
			if p.Finished {
				end = off(st.FinishedAt)
			}
			p.ActualDuration = max(end-p.ActualStart, 0)
			p.End = end
			if !p.Finished && !pv.Finished {
				p.End = max(end, p.ActualStart+p.PlannedDuration)
			}
		case st.Status == StatusSkipped || pv.Finished:
			p.End = cursor // never ran: takes no time
		default: // still to come: planned duration from when it can start
			p.End = max(cursor, pv.Now) + p.PlannedDuration
		}
		cursor = max(cursor, p.End)
		if p.Started || (st.Status != StatusSkipped && !pv.Finished) {
			p.Late = p.End - p.PlannedEnd() // a step that never ran is not late
		}
		pv.Steps = append(pv.Steps, p)
	}
	pv.ProjectedEnd = cursor
	for _, st := range s.Steps {
		if !st.Rollback {
			continue
		}
		p := StepPlan{ID: st.ID, Title: st.Title, Rollback: true, Status: st.Status, Started: !st.StartedAt.IsZero(), Finished: !st.FinishedAt.IsZero()}
		if p.Started {
			p.ActualStart = off(st.StartedAt)
			end := pv.Now
			if p.Finished {
				end = off(st.FinishedAt)
			}
			p.ActualDuration, p.End = max(end-p.ActualStart, 0), end
		}
		pv.Steps = append(pv.Steps, p)
	}
	if pv.Finished {
		pv.ProjectedEnd = pv.Now
	}
	return pv
}
