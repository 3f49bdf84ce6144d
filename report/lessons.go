package report

import (
	"fmt"
	"strings"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// lessons are short, factual sentences drawn from the report: what the
// team should look at first. They state numbers, never opinions.
func lessons(r *Report, s *journal.State) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	if in := r.Integrity; in.BrokenSeq != 0 {
		add("the journal's hash chain is broken at seq %d (%s): every number in this report is untrusted", in.BrokenSeq, in.Reason)
	} else if in.KeyProblem != "" {
		add("the journal was not verified with its key (%s): every number in this report is untrusted", in.KeyProblem)
	} else if in.Truncated != "" {
		add("the journal was cut (%s): the end of the run is missing from this report", in.Truncated)
	} else if in.RejectsReason != "" {
		add("the reject rows are not bound to the journal's chain (%s): the rejects shown are untrusted", in.RejectsReason)
	}
	if ps := r.Problems; len(ps) > 0 {
		verb := "are"
		if len(ps) == 1 {
			verb = "is"
		}
		add("%s could not be read and %s left out of this report (first: seq %d, %s payload: %s)",
			plural(int64(len(ps)), "event", "events"), verb, ps[0].Seq, ps[0].Type, ps[0].Error)
	}
	out = append(out, runLesson(r, s)...)
	for _, t := range r.Decisions.Triggers {
		out = append(out, triggerLesson(r, t))
	}
	if rb := r.SafetyNet.Rollback; rb != nil {
		switch {
		case !rb.Finished:
			add("the rollback started at %s (%s) and did not finish", fmtOffset(rb.OffsetMS), rb.Reason)
		case rb.RTOMS > 0:
			l := fmt.Sprintf("rollback took %s, %s of the RTO (%s)", fmtDur(dur(rb.DurationMS)), share(dur(rb.DurationMS), dur(rb.RTOMS)), fmtObjective(dur(rb.RTOMS)))
			if !rb.WithinRTO {
				l += ": OVER RTO"
			}
			out = append(out, l)
		default:
			add("rollback took %s", fmtDur(dur(rb.DurationMS)))
		}
		if rb.Finished && !rb.OK {
			add("the rollback FAILED: %s", rb.Reason)
		}
	}
	for _, rs := range r.SafetyNet.Restores {
		l := fmt.Sprintf("restoring %s took %s", rs.Snapshot, vsLimit(dur(rs.DurationMS), dur(rs.RTOMS), "RTO"))
		if rs.EstRestoreMS > 0 {
			l += fmt.Sprintf(" against an estimate of %s (%.1f×)", fmtDur(dur(rs.EstRestoreMS)), float64(rs.DurationMS)/float64(rs.EstRestoreMS))
		}
		if rs.Verified {
			l += "; verified"
		} else {
			l += "; NOT verified"
		}
		out = append(out, l)
	}
	out = append(out, dataLessons(r, s)...)
	for _, st := range r.Timeline {
		if p := st.Step; p != nil {
			if p.Status == journal.StatusFailed {
				add("step %s failed: %s", p.ID, p.Error)
			}
			if p.ExpectedMS > 0 && p.DurationMS > p.ExpectedMS {
				add("step %s took %s, over its expected %s", p.ID, fmtDur(dur(p.DurationMS)), fmtObjective(dur(p.ExpectedMS)))
			}
		}
	}
	out = append(out, peopleLessons(r)...)
	return out
}

// runLesson is the outcome and the duration against the objectives.
func runLesson(r *Report, s *journal.State) []string {
	sum := r.Summary
	if !sum.Finished {
		l := fmt.Sprintf("the run did not finish: the last event is seq %d at %s", sum.LastSeq, fmtOffset(sum.DurationMS))
		if s.Current != "" {
			l += fmt.Sprintf(" while step %s was %s", s.Current, stepStatus(s, s.Current))
		}
		return []string{l + "; resume it with tightrope resume"}
	}
	took := dur(sum.DurationMS)
	l := fmt.Sprintf("the run (%s) took %s", outcomeText(sum.Outcome), fmtDur(took))
	if sum.ExpectedMS > 0 {
		l += fmt.Sprintf(" of the expected %s (%s)", fmtObjective(dur(sum.ExpectedMS)), share(took, dur(sum.ExpectedMS)))
	}
	if sum.WindowMS > 0 {
		if took > dur(sum.WindowMS) {
			l += fmt.Sprintf(", OVER the %s window", fmtObjective(dur(sum.WindowMS)))
		} else {
			l += fmt.Sprintf(", within the %s window", fmtObjective(dur(sum.WindowMS)))
		}
	}
	return []string{l}
}

func stepStatus(s *journal.State, id string) string {
	for _, st := range s.Steps {
		if st.ID == id {
			return st.Status
		}
	}
	return "running"
}

// triggerLesson says what fired, on what evidence, and who decided what.
func triggerLesson(r *Report, t Trigger) string {
	l := "the " + t.Trigger + " trigger fired"
	if t.Table != "" {
		l += " on " + t.Table
	}
	l += fmt.Sprintf(" at %s (threshold %s)", fmtTrigger(t.Trigger, t.Observed), fmtTrigger(t.Trigger, t.Threshold))
	if tb := findTable(r, t.Table); t.Trigger == runbooks.TriggerRejectRate && tb != nil && len(tb.Reasons) > 0 {
		var parts []string
		for _, rs := range tb.Reasons {
			for _, c := range rs.Columns {
				p := fmt.Sprintf("%d %s in %s", c.Count, rs.Reason, c.Column)
				if c.Value != "" {
					p += " (e.g. " + c.Value + ")"
				}
				parts = append(parts, p)
			}
		}
		l += fmt.Sprintf("; %s rejected %s in the run: %s", tb.Table, plural(tb.Rejected, "row", "rows"), strings.Join(parts, ", "))
	} else if t.Message != "" {
		l += ": " + t.Message
	}
	if d := t.Decision; d != nil {
		l += fmt.Sprintf("; %s chose %s after %s", d.Actor, d.Choice, fmtDur(dur(d.WaitedMS)))
		if d.Auto {
			l += " (auto-decide)"
		}
	} else {
		l += "; no decision was recorded"
	}
	return l
}

func findTable(r *Report, name string) *Table {
	for i := range r.Data.Tables {
		if r.Data.Tables[i].Table == name {
			return &r.Data.Tables[i]
		}
	}
	return nil
}

// dataLessons check the copy invariant, the rejects kept, tables never
// copied and the verify results.
func dataLessons(r *Report, s *journal.State) []string {
	var out []string
	var read, written, rejected int64
	balanced := true
	for _, t := range r.Data.Tables {
		read, written, rejected = read+t.Read, written+t.Written, rejected+t.Rejected
		if !t.Balanced {
			balanced = false
			out = append(out, fmt.Sprintf("%s does NOT balance: read %s ≠ written %s + rejected %s",
				t.Table, fmtInt(t.Read), fmtInt(t.Written), fmtInt(t.Rejected)))
		}
		if !t.Done && t.Read > 0 {
			of := ""
			if t.Total > 0 {
				of = " of " + fmtInt(t.Total)
			}
			out = append(out, fmt.Sprintf("the copy of %s stopped at %s%s rows", t.Table, fmtInt(t.Read), of))
		}
		if t.Stored != t.Counted {
			out = append(out, fmt.Sprintf("%s: %s rejects counted by the journal's events, %s kept in the rejects table",
				t.Table, fmtInt(t.Counted), fmtInt(t.Stored)))
		}
		if t.Done && t.Counted != t.Rejected {
			out = append(out, fmt.Sprintf("%s: the copy's final count says %s rejected, its rejects events %s",
				t.Table, fmtInt(t.Rejected), fmtInt(t.Counted)))
		}
	}
	if balanced && len(r.Data.Tables) > 0 {
		out = append(out, fmt.Sprintf("every table balances: read %s = written %s + rejected %s",
			fmtInt(read), fmtInt(written), fmtInt(rejected)))
	}
	if missing := neverCopied(r, s.Runbook); len(missing) > 0 {
		out = append(out, fmt.Sprintf("never copied: %s", strings.Join(missing, ", ")))
	}
	for _, v := range r.Data.Verifies {
		if v.Mismatches == 0 {
			out = append(out, fmt.Sprintf("verify (%s) found no differing rows in %d tables", v.StepID, len(v.Tables)))
			continue
		}
		var parts []string
		for _, t := range v.Tables {
			if t.Mismatches > 0 {
				p := fmt.Sprintf("%s %d", t.Table, t.Mismatches)
				if len(t.MismatchKeys) > 0 {
					p += " (keys " + strings.Join(t.MismatchKeys, ", ") + ")"
				}
				parts = append(parts, p)
			}
		}
		out = append(out, fmt.Sprintf("verify (%s) found %s: %s", v.StepID, plural(v.Mismatches, "differing row", "differing rows"), strings.Join(parts, ", ")))
	}
	return out
}

// neverCopied lists the tables the runbook's copy steps name that no event
// counted.
func neverCopied(r *Report, rb *runbooks.Runbook) []string {
	if rb == nil {
		return nil
	}
	var out []string
	for _, st := range rb.Steps {
		if st.Kind != runbooks.KindCopy {
			continue
		}
		for _, t := range st.Tables {
			if findTable(r, t) == nil {
				out = appendNew(out, t)
			}
		}
	}
	return out
}

// peopleLessons are about decisions, refusals, notifications and warnings.
func peopleLessons(r *Report) []string {
	var out []string
	ds := r.Decisions.Decisions
	auto := 0
	for _, d := range ds {
		if d.Auto {
			auto++
		}
	}
	if auto > 0 {
		out = append(out, fmt.Sprintf("%d of %d decisions were answered by --auto-decide", auto, len(ds)))
	}
	if rf := r.Decisions.Refusals; len(rf) > 0 {
		first := rf[0]
		out = append(out, fmt.Sprintf("%s refused (first: %s may not %s: %s)",
			plural(int64(len(rf)), "attempt to decide was", "attempts to decide were"), first.Actor, first.Choice, first.Reason))
	}
	c := r.Communication
	switch {
	case c.Failed > 0:
		var first Notification
		for _, n := range c.Notifications {
			if !n.OK {
				first = n
				break
			}
		}
		out = append(out, fmt.Sprintf("%d of %d notifications failed (first: %s on %s: %s)", c.Failed, c.Sent+c.Failed, first.Target, first.Event, first.Error))
	case c.Sent > 0:
		out = append(out, fmt.Sprintf("all %s delivered", plural(int64(c.Sent), "notification was", "notifications were")))
	}
	if len(c.Warnings) > 0 {
		var kinds []string
		for _, w := range c.Warnings {
			kinds = appendNew(kinds, w.Kind)
		}
		out = append(out, fmt.Sprintf("%s raised (%s)", plural(int64(len(c.Warnings)), "warning was", "warnings were"), strings.Join(kinds, ", ")))
	}
	return out
}
