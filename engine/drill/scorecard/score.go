package scorecard

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// Score folds a drill's events into its scorecard. It is pure: the same
// events always give the same card.
func Score(events []journal.Event) Card {
	c := Card{Faults: []string{}, Injected: []Injection{}, Restores: []Restore{}, Followed: []string{}, Skipped: []string{}, Failed: []string{}, Reasons: []string{}}
	var s journal.State
	var injectedSeq int64
	restoreSteps := map[string]bool{}
	var lastVerify *journal.VerifyPayload
	for _, e := range events {
		s.Apply(e)
		p, err := journal.Decode(e)
		if err != nil {
			continue
		}
		switch pl := p.(type) {
		case journal.RunStartedPayload:
			c.Drill = pl.Mode == journal.ModeDrill
			c.StartedAt = e.At
			if d := pl.Drill; d != nil {
				c.ID, c.Scenario, c.Expect = d.ID, d.Scenario, d.Expect
				c.Faults = append(c.Faults, d.Faults...)
			} else if pl.Fault != "" {
				c.Faults = append(c.Faults, pl.Fault)
			}
		case journal.FaultPayload:
			if pl.Ended {
				for i := range c.Injected {
					if c.Injected[i].Spec == pl.Spec {
						c.Injected[i].HealedAt = pl.At
					}
				}
				continue
			}
			c.Injected = append(c.Injected, Injection{Spec: pl.Spec, At: pl.At, Step: e.StepID, Target: pl.Target, Rows: pl.Rows, Detail: pl.Detail, Error: pl.Error})
			if injectedSeq == 0 && pl.Error == "" {
				injectedSeq, c.InjectedAt = e.Seq, pl.At
			}
		case journal.TriggerPayload:
			if c.detect(e, "trigger", pl.Message, injectedSeq) {
				c.Detected.Trigger = pl.Trigger
			}
		case journal.StepFinishedPayload:
			if pl.Status == journal.StatusFailed {
				c.detect(e, "step_failed", fmt.Sprintf("step %s failed: %s", e.StepID, pl.Error), injectedSeq)
			}
		case journal.RunResumedPayload:
			if injectedSeq != 0 {
				if c.Resumes == 0 {
					c.FirstResumeAt = e.At
				}
				c.Resumes++
			}
		case journal.LogPayload:
			if injectedSeq != 0 && pl.Stream == "warn" && strings.Contains(pl.Line, " — retry ") {
				if c.Retries == 0 {
					c.FirstRetryAt = e.At
				}
				c.Retries++
			}
		case journal.WarningPayload:
			c.detect(e, "warning", pl.Message, injectedSeq)
		case journal.DecisionPayload:
			if c.Detected != nil && c.Decided == nil && e.Seq > c.Detected.Seq && (pl.Kind == journal.AwaitTrigger || pl.Kind == journal.AwaitGate) {
				c.Decided = &Decision{At: e.At, By: e.Actor, Choice: pl.Choice, Auto: pl.Auto, AfterMS: e.At.Sub(c.Detected.At).Milliseconds()}
			}
		case journal.RollbackPayload:
			if e.Type == journal.RollbackStarted && c.Rollback == nil {
				c.Rollback = &Rollback{StartedAt: e.At}
			} else if e.Type == journal.RollbackFinished && c.Rollback != nil {
				c.Rollback.FinishedAt, c.Rollback.DurationMS, c.Rollback.RTOMS, c.Rollback.OK = e.At, pl.DurationMS, pl.RTOMS, pl.OK
				c.Rollback.WithinRTO = pl.RTOMS == 0 || pl.DurationMS <= pl.RTOMS
			}
		case journal.RestorePayload:
			restoreSteps[e.StepID] = true
			r := Restore{Step: e.StepID, Snapshot: pl.Snapshot, Connection: pl.Connection, DurationMS: pl.DurationMS, FallbackFrom: pl.FallbackFrom}
			r.Proven, r.Problem = proven(s.Snapshots, pl)
			c.Restores = append(c.Restores, r)
		case journal.VerifyPayload:
			v := pl
			lastVerify = &v
		}
	}
	// a restore step that failed before it could journal its outcome
	for _, st := range s.Steps {
		if st.Rollback && st.Kind == "restore" && st.Status == journal.StatusFailed && !restoreSteps[st.ID] {
			c.Restores = append(c.Restores, Restore{Step: st.ID, Problem: "the restore failed: " + st.Error})
		}
	}
	for _, st := range s.Steps {
		switch st.Status {
		case journal.StatusDone:
			c.Followed = append(c.Followed, st.ID)
		case journal.StatusSkipped:
			c.Skipped = append(c.Skipped, st.ID)
		case journal.StatusFailed:
			c.Failed = append(c.Failed, st.ID)
		}
	}
	if s.Runbook != nil {
		c.MigrationID = s.Runbook.MigrationID
		c.RTOMS = s.Runbook.Objectives.RTO.Milliseconds()
	}
	c.Outcome = s.Outcome
	c.DataProven = len(c.Restores) > 0 && !slices.ContainsFunc(c.Restores, func(r Restore) bool { return !r.Proven })
	c.Exact = lastVerify != nil && lastVerify.Mismatches == 0
	c.judge()
	return c
}

// detect records the first sign of trouble after the first fault, and
// says whether this was it.
func (c *Card) detect(e journal.Event, by, what string, injectedSeq int64) bool {
	if c.Detected != nil || injectedSeq == 0 || e.Seq <= injectedSeq {
		return false
	}
	c.Detected = &Detection{At: e.At, Seq: e.Seq, By: by, What: what, AfterMS: e.At.Sub(c.InjectedAt).Milliseconds()}
	return true
}

// proven compares a restore's tables with the manifest of the snapshot it
// restored: the data is proven when every manifest table is there with
// the same row count and checksum.
func proven(snaps []journal.SnapshotPayload, r journal.RestorePayload) (bool, string) {
	var m *journal.SnapshotPayload
	if len(r.Manifest) > 0 { // a fallback: the manifest of the snapshot restored instead
		m = &journal.SnapshotPayload{Label: r.Snapshot, Tables: r.Manifest}
	}
	for i := range snaps {
		if m == nil && snaps[i].Label == r.Snapshot {
			m = &snaps[i]
		}
	}
	if m == nil {
		return false, "no manifest of snapshot " + r.Snapshot + " in the journal"
	}
	got := map[string]journal.TableSnapshot{}
	for _, t := range r.Tables {
		got[t.Table] = t
	}
	for _, want := range m.Tables {
		g, ok := got[want.Table]
		switch {
		case !ok:
			return false, "table " + want.Table + " is missing after the restore"
		case g.Rows != want.Rows:
			return false, fmt.Sprintf("table %s has %d rows after the restore, the manifest %d", want.Table, g.Rows, want.Rows)
		case g.Checksum != want.Checksum:
			return false, "table " + want.Table + "'s checksum differs from the manifest"
		}
	}
	if !r.Verified {
		return false, "the restore says it does not match its manifest"
	}
	return true, ""
}

// judge decides pass or fail, with a reason for every failed check.
func (c *Card) judge() {
	fail := func(format string, args ...any) { c.Reasons = append(c.Reasons, fmt.Sprintf(format, args...)) }
	if !c.Drill {
		fail("this journal is not a drill's (mode is not drill)")
	}
	for _, in := range c.Injected {
		if in.Error != "" {
			fail("fault %s was not injected: %s", in.Spec, in.Error)
		}
	}
	if len(c.Faults) > 0 && len(c.Injected) == 0 {
		fail("no fault was injected")
	}
	if c.Outcome == "" {
		fail("the drill's run did not finish")
	}
	rolledBack := c.Rollback != nil
	switch c.Expect {
	case "rollback":
		if c.Detected == nil {
			fail("the fault was never detected: no trigger, failed step or warning followed it")
		}
		if !rolledBack {
			how := "the run went on"
			if c.Decided != nil {
				how = fmt.Sprintf("%s chose %s", c.Decided.By, c.Decided.Choice)
			}
			fail("a rollback was expected, but %s (outcome %s)", how, orNone(c.Outcome))
		}
	case "continue":
		if rolledBack {
			fail("the run was expected to go on, but it was rolled back")
		} else if c.Outcome == journal.OutcomeFinished && !c.Exact {
			fail("the run went on, but its last verify did not find the target exact")
		}
	}
	if rolledBack {
		r := c.Rollback
		switch {
		case r.FinishedAt.IsZero():
			fail("the rollback never finished")
		case !r.OK:
			fail("a rollback step failed")
		}
		if !r.FinishedAt.IsZero() && !r.WithinRTO {
			fail("the rollback took %s, over the RTO of %s", ms(r.DurationMS), ms(r.RTOMS))
		}
		for _, x := range c.Restores {
			if !x.Proven {
				fail("restore %s is not proven: %s", x.Step, x.Problem)
			}
		}
		if len(c.Restores) == 0 {
			fail("the rollback restored nothing, so no data is proven restored")
		}
	}
	c.Pass = len(c.Reasons) == 0
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func ms(n int64) time.Duration { return (time.Duration(n) * time.Millisecond).Round(time.Millisecond) }
