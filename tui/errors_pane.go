package tui

import (
	"fmt"
	"sort"

	"github.com/tightrope/tightrope/journal"
)

// errorsPane shows rejected rows by table and reason, each table's reject
// rate against the runbook's reject_rate threshold, documented casts and
// verification mismatches.
type errorsPane struct {
	stateFrame
	c       *Common
	focused bool // tab put the focus here: enter opens the rejected rows
}

func newErrors(c *Common) *errorsPane {
	p := &errorsPane{c: c}
	p.render = p.lines
	return p
}

// rejected is a table's rejected rows: the copy counter, or the sum of the
// reject events when no progress sample counted them yet.
func rejected(t journal.TableState) int64 {
	if t.Rejected > 0 {
		return t.Rejected
	}
	var n int64
	for _, c := range t.ByReason {
		n += c
	}
	return n
}

// rejectRate is rejected rows over rows read.
func rejectRate(t journal.TableState) float64 {
	if t.Read == 0 {
		return 0
	}
	return float64(rejected(t)) / float64(t.Read)
}

// threshold is the runbook's reject_rate trigger, if it watches one.
func threshold(s journal.State) (float64, bool) {
	if s.Runbook == nil || s.Runbook.Triggers.RejectRate == nil {
		return 0, false
	}
	return *s.Runbook.Triggers.RejectRate, true
}

// overThreshold reports whether a table's reject rate is over the trigger.
// A limit raised by a "continue" replaces the runbook's for that table.
func overThreshold(s journal.State, t journal.TableState) bool {
	th, ok, _ := tableThreshold(s, t.Table)
	return ok && rejected(t) > 0 && rejectRate(t) > th
}

func (p *errorsPane) lines(w, h int) []string {
	st, s := p.c.Styles, p.state
	th, watched := threshold(s)
	right := st.Muted.Render("no reject_rate trigger")
	if watched {
		right = st.Muted.Render("trigger > " + fmtPct(th))
	}
	out := []string{heading(st, focusTitle("REJECTS", p.focused), w, right)}

	tables := make([]journal.TableState, 0, len(s.Tables))
	for _, t := range s.Tables {
		if rejected(t) > 0 {
			tables = append(tables, t)
		}
	}
	sort.SliceStable(tables, func(i, j int) bool {
		oi, oj := overThreshold(s, tables[i]), overThreshold(s, tables[j])
		if oi != oj {
			return oi
		}
		return rejected(tables[i]) > rejected(tables[j])
	})
	var extra []string
	if n := len(s.Casts); n > 0 {
		var vals int64
		for _, c := range s.Casts {
			vals += c.Count
		}
		extra = append(extra, st.Muted.Render(truncate(fmt.Sprintf("documented casts: %d rules, %s values", n, fmtInt(vals)), w)))
	}
	if n := len(s.Verifies); n > 0 {
		v := s.Verifies[n-1]
		if v.Mismatches > 0 {
			extra = append(extra, st.Danger.Render(truncate(fmt.Sprintf("✗ verify: %s rows differ", fmtInt(v.Mismatches)), w)))
		} else {
			extra = append(extra, st.OK.Render(truncate(fmt.Sprintf("✓ verify: %d tables match", len(v.Tables)), w)))
		}
	}
	if len(tables) == 0 {
		return append(append(out, st.OK.Render("✓ no rejected rows")), extra...)
	}

	// Tables first, then reasons (biggest first), then casts and verify;
	// what does not fit is counted on a last "⋮ N more" line.
	var lines []ranked
	for _, t := range tables {
		lines = append(lines, ranked{p.tableLine(t, w), 0})
		for _, rc := range reasons(t) {
			lines = append(lines, ranked{spread(st.Muted.Render("  "+rc.Reason), st.Text.Render(fmtInt(rc.Count)), w), 1})
		}
	}
	for _, e := range extra {
		lines = append(lines, ranked{e, 2})
	}
	if room := h - 1; len(lines) > room && h < manyLines {
		if room < 2 { // one line: the worst table, the count in the heading
			keep := mostImportant(lines, room)
			out[0] = heading(st, focusTitle("REJECTS", p.focused), w, st.Muted.Render(fmt.Sprintf("⋮ %d more", len(lines)-len(keep))))
			return append(out, keep...)
		}
		keep := mostImportant(lines, max(room-1, 0))
		hint := " — e shows the rows"
		if p.focused {
			hint = " — enter shows the rows"
		}
		more := st.Muted.Render(truncate(fmt.Sprintf("⋮ %d more lines%s", len(lines)-len(keep), hint), w))
		return append(append(out, keep...), more)
	}
	for _, l := range lines {
		out = append(out, l.line)
	}
	return out
}

// tableLine: table, rejected rows, rate vs threshold, verdict.
func (p *errorsPane) tableLine(t journal.TableState, w int) string {
	st := p.c.Styles
	th, watched, raised := tableThreshold(p.state, t.Table)
	lim := fmtPct(th)
	if raised {
		lim += " (raised)"
	}
	rate := rejectRate(t)
	left := st.Bold.Render(t.Table) + st.Text.Render(" "+fmtInt(rejected(t))+" rejected")
	var right string
	switch {
	case !watched:
		right = st.Text.Render("rate " + fmtPct(rate))
	case rate > th:
		right = st.Danger.Render("rate " + fmtPct(rate) + " > " + lim + " ⚠ OVER")
	default:
		right = st.Text.Render("rate "+fmtPct(rate)) + st.Muted.Render(" ≤ "+lim) + st.OK.Render(" ok")
	}
	return spread(left, right, w)
}

// reasons lists a table's reject reasons, largest first.
func reasons(t journal.TableState) []journal.ReasonCount {
	var out []journal.ReasonCount
	for r, n := range t.ByReason {
		out = append(out, journal.ReasonCount{Table: t.Table, Reason: r, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}
