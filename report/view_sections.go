package report

import (
	"fmt"
	"strconv"
	"strings"
)

// decisionsView is section 3: each trigger with its frozen evidence and
// the decision that answered it, every decision, every refusal.
func decisionsView(r *Report) section {
	sec := section{ID: "decisions", Title: "3. Decisions"}
	add := func(b ...block) { sec.Blocks = append(sec.Blocks, b...) }
	add(heading("Triggers"))
	if len(r.Decisions.Triggers) == 0 {
		add(none())
	}
	for _, t := range r.Decisions.Triggers {
		head := []span{strong(t.Trigger)}
		if t.Table != "" {
			head = append(head, txt(" on "), code(t.Table))
		}
		head = append(head, txt(" at "+fmtOffset(t.OffsetMS)))
		if t.StepID != "" {
			head = append(head, txt(" in step "), code(t.StepID))
		}
		head = append(head, txt(": observed "), bad(fmtTrigger(t.Trigger, t.Observed)),
			txt(", threshold "+fmtTrigger(t.Trigger, t.Threshold)))
		if t.Message != "" {
			head = append(head, txt(" — "+t.Message))
		}
		add(para(head...))
		if len(t.Evidence) > 0 {
			ev := &table{Head: []string{"evidence", "value"}}
			for _, f := range t.Evidence {
				ev.Rows = append(ev.Rows, cells(code(f.Key), txt(f.Value)))
			}
			add(block{Table: ev})
		}
		if d := t.Decision; d != nil {
			add(para(decisionSpans(d)...))
		} else {
			add(para(bad("No decision was recorded for this trigger.")))
		}
	}
	add(heading("All decisions"))
	if len(r.Decisions.Decisions) == 0 {
		add(none())
	} else {
		t := &table{Head: []string{"at", "step", "kind", "asked", "who", "choice", "waited", "auto", "justification", "limit"}}
		for _, d := range r.Decisions.Decisions {
			auto, limit := "no", ""
			if d.Auto {
				auto = "yes"
			}
			if d.Limit != 0 {
				limit = fmtTrigger(d.Trigger, d.Limit)
			}
			asked := d.Question
			if d.Who != "" {
				asked = d.Who + ": " + asked
			}
			t.Rows = append(t.Rows, cells(txt(fmtOffset(d.OffsetMS)), code(d.StepID), txt(d.Kind), txt(asked), txt(d.Actor),
				strong(d.Choice), txt(fmtDur(dur(d.WaitedMS))), txt(auto), txt(d.Justification), txt(limit)))
		}
		add(block{Table: t})
	}
	add(heading("Refusals"))
	if len(r.Decisions.Refusals) == 0 {
		add(none())
	} else {
		t := &table{Head: []string{"at", "step", "who", "tried", "why not"}}
		for _, f := range r.Decisions.Refusals {
			t.Rows = append(t.Rows, cells(txt(fmtOffset(f.OffsetMS)), code(f.StepID), txt(f.Actor), txt(f.Choice), bad(f.Reason)))
		}
		add(block{Table: t})
	}
	return sec
}

// decisionSpans words the decision that answered a trigger.
func decisionSpans(d *Decision) []span {
	out := []span{txt("Decision: " + d.Actor + " chose "), strong(d.Choice),
		txt(fmt.Sprintf(" at %s after waiting %s", fmtOffset(d.OffsetMS), fmtDur(dur(d.WaitedMS))))}
	if d.Auto {
		out = append(out, txt(" [auto-decide]"))
	}
	if d.Justification != "" {
		out = append(out, txt(" — justification: “"+d.Justification+"”"))
	}
	if d.Limit != 0 {
		out = append(out, txt(" — limit accepted: "+fmtTrigger(d.Trigger, d.Limit)))
	}
	return append(out, txt("."))
}

// dataView is section 4: the copy balance, rejects, casts and verify, and
// the change streams when the run captured changes.
func dataView(r *Report) section {
	sec := section{ID: "data", Title: "4. Data"}
	add := func(b ...block) { sec.Blocks = append(sec.Blocks, b...) }
	add(heading("Tables"))
	if len(r.Data.Tables) == 0 {
		add(none())
	} else {
		t := &table{Head: []string{"table", "read", "written", "rejected", "read = written + rejected", "copy", "rejects kept"}}
		for _, tb := range r.Data.Tables {
			copied := "done"
			if !tb.Done {
				copied = "stopped at " + fmtInt(tb.Read)
				if tb.Total > 0 {
					copied += " of " + fmtInt(tb.Total)
				}
			}
			t.Rows = append(t.Rows, cells(code(tb.Table), txt(fmtInt(tb.Read)), txt(fmtInt(tb.Written)), txt(fmtInt(tb.Rejected)),
				okOr(tb.Balanced, tb.Check, tb.Check), okOr(tb.Done, copied, copied), okOr(tb.Stored == tb.Counted, fmtInt(tb.Stored), fmtInt(tb.Stored))))
		}
		add(block{Table: t})
	}
	add(heading("Rejects by reason"))
	rj := &table{Head: []string{"table", "reason", "rows", "kept", "column", "example key", "value", "detail"}}
	for _, tb := range r.Data.Tables {
		for _, rs := range tb.Reasons {
			rj.Rows = append(rj.Rows, cells(code(tb.Table), code(rs.Reason), txt(fmtInt(rs.Count)),
				okOr(rs.Stored == rs.Count, fmtInt(rs.Stored), fmtInt(rs.Stored)), code(rs.Column), code(rs.Key), code(rs.Value), txt(rs.Detail)))
		}
	}
	if len(rj.Rows) == 0 {
		add(none())
	} else {
		add(block{Table: rj})
	}
	add(heading("Casts applied"))
	if len(r.Data.Casts) == 0 {
		add(none())
	} else {
		t := &table{Head: []string{"column", "from", "to", "values"}}
		for _, c := range r.Data.Casts {
			to := c.To
			if to != "NULL" {
				to = strconv.Quote(to)
			}
			t.Rows = append(t.Rows, cells(code(c.Table+"."+c.Column), code(strconv.Quote(c.From)), code(to), txt(fmtInt(c.Count))))
		}
		add(block{Table: t})
	}
	add(heading("Verify"))
	if len(r.Data.Verifies) == 0 {
		add(none())
	}
	for _, v := range r.Data.Verifies {
		add(para(txt("Step "), code(v.StepID), txt(" at "+fmtOffset(v.OffsetMS)+": "),
			okOr(v.Mismatches == 0, "no differing rows", plural(v.Mismatches, "differing row", "differing rows")), txt(".")))
		t := &table{Head: []string{"table", "source", "target", "rejected", "mismatches", "verdict", "mismatching keys"}}
		for _, tc := range v.Tables {
			ok := tc.Mismatches == 0 && tc.SourceRows == tc.TargetRows+tc.Rejected
			t.Rows = append(t.Rows, cells(code(tc.Table), txt(fmtInt(tc.SourceRows)), txt(fmtInt(tc.TargetRows)), txt(fmtInt(tc.Rejected)),
				txt(fmtInt(tc.Mismatches)), okOr(ok, "ok", "MISMATCH"), code(strings.Join(tc.MismatchKeys, ", "))))
		}
		add(block{Table: t})
	}
	add(cdcBlocks(r)...)
	return sec
}

// safetyView is section 5: snapshots, restores and the rollback.
func safetyView(r *Report) section {
	sec := section{ID: "safety-net", Title: "5. Safety net"}
	add := func(b ...block) { sec.Blocks = append(sec.Blocks, b...) }
	rto := dur(r.Summary.RTOMS)
	add(heading("Snapshots"))
	if len(r.SafetyNet.Snapshots) == 0 {
		add(none())
	} else {
		t := &table{Head: []string{"step", "label", "method", "tables", "rows", "size", "sha256", "captured", "took", "est. restore", "verified"}}
		for _, s := range r.SafetyNet.Snapshots {
			t.Rows = append(t.Rows, cells(code(s.StepID), txt(s.Label), txt(s.Method), txt(strings.Join(s.Tables, ", ")),
				txt(fmtInt(s.Rows)), txt(fmtBytes(s.Size)), code(shortHash(s.SHA256)), txt(fmtTime(s.CapturedAt)),
				txt(fmtDur(dur(s.DurationMS))), txt(vsLimit(dur(s.EstRestoreMS), rto, "RTO")), okOr(s.Verified, "verified", "NOT verified")))
		}
		add(block{Table: t})
	}
	add(heading("Restores"))
	if len(r.SafetyNet.Restores) == 0 {
		add(none())
	} else {
		t := &table{Head: []string{"step", "snapshot", "took", "share of RTO", "estimate", "actual / estimate", "rows", "verified"}}
		for _, rs := range r.SafetyNet.Restores {
			est, ratio := "—", "—"
			if rs.EstRestoreMS > 0 {
				est, ratio = fmtDur(dur(rs.EstRestoreMS)), fmt.Sprintf("%.1f×", float64(rs.DurationMS)/float64(rs.EstRestoreMS))
			}
			t.Rows = append(t.Rows, cells(code(rs.StepID), txt(rs.Snapshot),
				okOr(rs.WithinRTO, vsLimit(dur(rs.DurationMS), dur(rs.RTOMS), "RTO"), vsLimit(dur(rs.DurationMS), dur(rs.RTOMS), "RTO")),
				txt(share(dur(rs.DurationMS), dur(rs.RTOMS))), txt(est), txt(ratio), txt(fmtInt(rs.Rows)), okOr(rs.Verified, "verified", "NOT verified")))
		}
		add(block{Table: t})
	}
	add(heading("Rollback"))
	switch rb := r.SafetyNet.Rollback; {
	case rb == nil:
		add(para(txt("No rollback.")))
	case !rb.Finished:
		add(para(bad("Rollback started at "+fmtOffset(rb.OffsetMS)+" and did not finish"), txt(": "+rb.Reason+".")))
	default:
		took := vsLimit(dur(rb.DurationMS), dur(rb.RTOMS), "RTO")
		add(para(txt("Started at "+fmtOffset(rb.OffsetMS)+" because "), txt(rb.Reason), txt("; took "),
			okOr(rb.WithinRTO, took, took), txt(" — "+share(dur(rb.DurationMS), dur(rb.RTOMS))+" of the RTO; "),
			okOr(rb.OK, "ok", "FAILED"), txt(".")))
	}
	return sec
}

// commView is section 6: notifications and warnings.
func commView(r *Report) section {
	c := r.Communication
	sec := section{ID: "communication", Title: "6. Communication"}
	add := func(b ...block) { sec.Blocks = append(sec.Blocks, b...) }
	add(heading("Notifications"))
	if len(c.Notifications) == 0 {
		add(para(txt("No notification was sent.")))
	} else {
		add(para(txt(fmt.Sprintf("%d sent, ", c.Sent)), okOr(c.Failed == 0, "0 failed", fmt.Sprintf("%d failed", c.Failed)), txt(".")))
		t := &table{Head: []string{"at", "event", "seq", "target", "result", "took", "error"}}
		for _, n := range c.Notifications {
			t.Rows = append(t.Rows, cells(txt(fmtOffset(n.OffsetMS)), code(n.Event), txt(fmt.Sprint(n.Seq)), code(n.Target),
				okOr(n.OK, "sent", "FAILED"), txt(fmtDur(dur(n.DurationMS))), txt(n.Error)))
		}
		add(block{Table: t})
	}
	add(heading("Warnings"))
	if len(c.Warnings) == 0 {
		add(none())
	} else {
		t := &table{Head: []string{"at", "kind", "message"}}
		for _, w := range c.Warnings {
			t.Rows = append(t.Rows, cells(txt(fmtOffset(w.OffsetMS)), code(w.Kind), bad(w.Message)))
		}
		add(block{Table: t})
	}
	return sec
}
