package report

import (
	"time"

	"github.com/tightrope/tightrope/journal"
)

// Planned is the run's planned timeline set against the actual one
// (journal.ComparePlan): the forward steps laid end to end from their
// `expected`, each with its actual start, duration and lateness, and the
// overrun trigger's moment. Offsets are milliseconds from the run's start.
type Planned struct {
	ExpectedMS     int64         `json:"expected_ms"`
	WindowMS       int64         `json:"window_ms"`
	PlannedEndMS   int64         `json:"planned_end_ms"` // the last forward step's planned end
	EndMS          int64         `json:"end_ms"`         // the run's end, or the projected end of its forward steps
	Finished       bool          `json:"finished"`
	OverrunAtMS    int64         `json:"overrun_at_ms,omitempty"`    // expected × overrun; 0 when not watched
	OverrunFiredMS *int64        `json:"overrun_fired_ms,omitempty"` // when an overrun trigger fired
	Steps          []PlannedStep `json:"steps"`
}

// PlannedStep is one step, planned and actual.
type PlannedStep struct {
	ID             string `json:"id"`
	Title          string `json:"title"`
	Rollback       bool   `json:"rollback"` // a rollback step: actual only, it has no plan
	PlannedStartMS int64  `json:"planned_start_ms"`
	PlannedMS      int64  `json:"planned_ms"`
	Share          bool   `json:"share"` // no expected of its own: a share of what objectives.expected leaves
	Status         string `json:"status"`
	Started        bool   `json:"started"`
	StartMS        int64  `json:"start_ms"`
	DurationMS     int64  `json:"duration_ms"`
	EndMS          int64  `json:"end_ms"`  // actual end, or projected when it did not end
	LateMS         int64  `json:"late_ms"` // end minus planned end: positive is late
}

// planned compares the folded run with its plan as of its last event; nil
// when the runbook plans no time at all (no expected anywhere).
func planned(s *journal.State) *Planned {
	pv := journal.ComparePlan(s, s.LastAt)
	p := &Planned{ExpectedMS: ms(pv.Expected), WindowMS: ms(pv.Window), EndMS: ms(pv.ProjectedEnd), Finished: pv.Finished, OverrunAtMS: ms(pv.OverrunAt)}
	if pv.OverrunFired >= 0 {
		at := ms(pv.OverrunFired)
		p.OverrunFiredMS = &at
	}
	var plan time.Duration
	for _, st := range pv.Steps {
		if !st.Rollback {
			plan = max(plan, st.PlannedEnd())
		}
		p.Steps = append(p.Steps, PlannedStep{
			ID: st.ID, Title: st.Title, Rollback: st.Rollback, PlannedStartMS: ms(st.PlannedStart), PlannedMS: ms(st.PlannedDuration),
			Share: st.Share, Status: st.Status, Started: st.Started, StartMS: ms(st.ActualStart), DurationMS: ms(st.ActualDuration),
			EndMS: ms(st.End), LateMS: ms(st.Late),
		})
	}
	if plan <= 0 {
		return nil
	}
	p.PlannedEndMS = ms(plan)
	return p
}
