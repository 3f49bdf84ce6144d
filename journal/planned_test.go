package journal

import (
	"encoding/json"
	"testing"
	"time"
)

const plannedRunbook = `version: 1
name: plan
migration_id: M
decision_maker: alice
objectives: { expected: 10m, window: 30m }
triggers: { overrun: 150% }
steps:
  - { id: a, kind: shell, run: "true", expected: 2m }
  - { id: b, kind: shell, run: "true" }
  - { id: c, kind: shell, run: "true", expected: 4m }
  - { id: d, kind: shell, run: "true" }
`

// evAt is an event at offset d from a fixed start.
func evAt(seq int64, d time.Duration, step string, typ Type, payload any) Event {
	b, _ := json.Marshal(payload)
	return Event{Seq: seq, At: time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC).Add(d), Actor: "alice", StepID: step, Type: typ, Payload: b}
}

// TestPlannedStepsShareWhatExpectedLeaves: steps with expected keep it;
// the others split what objectives.expected leaves, laid end to end.
func TestPlannedStepsShareWhatExpectedLeaves(t *testing.T) {
	s := Fold([]Event{evAt(1, 0, "", RunStarted, RunStartedPayload{RunbookText: plannedRunbook, Operator: "alice", Mode: ModeLive})})
	got := PlannedSteps(s.Runbook)
	want := []struct {
		id         string
		start, dur time.Duration
		share      bool
	}{{"a", 0, 2 * time.Minute, false}, {"b", 2 * time.Minute, 2 * time.Minute, true}, {"c", 4 * time.Minute, 4 * time.Minute, false}, {"d", 8 * time.Minute, 2 * time.Minute, true}}
	if len(got) != len(want) {
		t.Fatalf("got %d steps, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.id || g.PlannedStart != w.start || g.PlannedDuration != w.dur || g.Share != w.share {
			t.Errorf("step %d: got %s start %s dur %s share %v, want %+v", i, g.ID, g.PlannedStart, g.PlannedDuration, g.Share, w)
		}
	}
}

// TestComparePlanLatenessAndProjection: a finished step's lateness is its
// actual end against its planned end; a running step is projected to at
// least its planned duration; steps to come start at now at the earliest;
// the projected end follows; the overrun moment is expected × overrun and
// a fired overrun trigger is placed at observed × expected.
func TestComparePlanLatenessAndProjection(t *testing.T) {
	m := time.Minute
	evs := []Event{
		evAt(1, 0, "", RunStarted, RunStartedPayload{RunbookText: plannedRunbook, Operator: "alice", Mode: ModeLive}),
		evAt(2, 0, "a", StepStarted, StepStartedPayload{Kind: "shell"}),
		evAt(3, 3*m, "a", StepFinished, StepFinishedPayload{Status: StatusDone}),
		evAt(4, 3*m, "b", StepStarted, StepStartedPayload{Kind: "shell"}),
		evAt(5, 3*m+30*time.Second, "b", TriggerFired, TriggerPayload{Trigger: "overrun", Observed: 0.35, Threshold: 1.5}),
	}
	s := Fold(evs)
	pv := ComparePlan(&s, s.StartedAt.Add(4*m))
	if pv.OverrunAt != 15*m || pv.OverrunFired != 3*m+30*time.Second || pv.Window != 30*m || pv.Expected != 10*m {
		t.Fatalf("overrun at %s fired %s window %s expected %s", pv.OverrunAt, pv.OverrunFired, pv.Window, pv.Expected)
	}
	type row struct {
		late, end, dur time.Duration
	}
	want := map[string]row{
		"a": {1 * m, 3 * m, 3 * m}, // planned 0–2m, ended 3m
		"b": {1 * m, 5 * m, 1 * m}, // started 3m, 1m so far, planned 2m: ends 5m at best (planned 4m)
		"c": {1 * m, 9 * m, 0},     // from 5m, 4m long; planned end 8m
		"d": {1 * m, 11 * m, 0},
	}
	for _, p := range pv.Steps {
		w := want[p.ID]
		if p.Late != w.late || p.End != w.end || p.ActualDuration != w.dur {
			t.Errorf("%s: late %s end %s took %s, want %+v", p.ID, p.Late, p.End, p.ActualDuration, w)
		}
	}
	if pv.ProjectedEnd != 11*m {
		t.Errorf("projected end %s, want 11m", pv.ProjectedEnd)
	}
	// Ten minutes later b is still running: now drives the projection.
	pv = ComparePlan(&s, s.StartedAt.Add(14*m))
	if pv.ProjectedEnd != 20*m || pv.Steps[1].Late != 10*m {
		t.Errorf("at 14m: projected end %s, b late %s; want 20m, 10m", pv.ProjectedEnd, pv.Steps[1].Late)
	}
}
