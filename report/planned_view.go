package report

import (
	"fmt"
)

// plannedBlocks words the planned-versus-actual comparison: a sentence on
// the ends and the overrun trigger, a chart (HTML only) and a table.
func plannedBlocks(p *Planned) []block {
	if p == nil {
		return nil
	}
	end := "projected end "
	if p.Finished {
		end = "actual end "
	}
	lead := []span{txt("Planned end " + fmtOffset(p.PlannedEndMS) + " (the steps' expected laid end to end; objectives.expected " + fmtObjective(dur(p.ExpectedMS)) + ") · " + end)}
	lead = append(lead, okOr(p.EndMS <= max(p.PlannedEndMS, p.ExpectedMS), fmtOffset(p.EndMS), fmtOffset(p.EndMS)))
	if p.WindowMS > 0 {
		lead = append(lead, txt(" · window "+fmtObjective(dur(p.WindowMS))))
		if p.EndMS > p.WindowMS {
			lead = append(lead, txt(" "), bad("(past the window)"))
		}
	}
	if p.OverrunAtMS > 0 {
		lead = append(lead, txt(" · overrun trigger at "+fmtOffset(p.OverrunAtMS)))
	}
	if p.OverrunFiredMS != nil {
		lead = append(lead, txt(" · "), bad("overrun fired at "+fmtOffset(*p.OverrunFiredMS)))
	}
	t := &table{Head: []string{"step", "planned start", "planned", "actual start", "took", "late", "marks"}}
	for _, st := range p.Steps {
		planStart, planDur := fmtOffset(st.PlannedStartMS), fmtDur(dur(st.PlannedMS))
		if st.Share {
			planDur += " (share)"
		}
		start, took := "not run", ""
		if st.Started {
			start, took = fmtOffset(st.StartMS), fmtDur(dur(st.DurationMS))
			if st.EndMS != st.StartMS+st.DurationMS {
				took += " so far"
			}
		}
		late := lateSpan(st.LateMS)
		if st.Rollback {
			planStart, planDur, late = "rollback", "", txt("")
		} else if !st.Started && (st.Status == "skipped" || p.Finished) {
			late = txt("")
		} else if !st.Started || st.EndMS != st.StartMS+st.DurationMS {
			late.Text += " (projected)"
		}
		t.Rows = append(t.Rows, append(cells(code(st.ID), txt(planStart), txt(planDur), txt(start), txt(took), late), marksCell(p, st)))
	}
	return []block{heading("Planned versus actual"), para(lead...), {Chart: plannedChart(p)}, {Table: t}}
}

// lateSpan words a lateness: "+2m00s late" (bad), "1m00s early", "on time".
func lateSpan(late int64) span {
	switch {
	case late >= 1000:
		return bad("+" + fmtDur(dur(late)) + " late")
	case late <= -1000:
		return txt(fmtDur(dur(-late)) + " early")
	default:
		return txt("on time")
	}
}

// marksCell names the trigger moments that fall inside the step's actual
// run: the overrun threshold and the overrun trigger firing.
func marksCell(p *Planned, st PlannedStep) cell {
	var c cell
	in := func(at int64) bool { return st.Started && at >= st.StartMS && at <= st.StartMS+st.DurationMS }
	if p.OverrunAtMS > 0 && in(p.OverrunAtMS) {
		c = append(c, txt("overrun threshold "+fmtOffset(p.OverrunAtMS)))
	}
	if f := p.OverrunFiredMS; f != nil && in(*f) {
		if len(c) > 0 {
			c = append(c, txt("; "))
		}
		c = append(c, bad("overrun fired "+fmtOffset(*f)))
	}
	return c
}

// chart is the planned-versus-actual chart, laid out in SVG user units:
// per step a grey planned bar over a blue (red when late) actual bar, and
// vertical marks for the expected end, the overrun threshold, the overrun
// trigger and the window.
type chart struct {
	Width, Height, PlotX, PlotW int
	Rows                        []chartRow
	Marks                       []chartMark
	Ticks                       []chartMark
}

type chartRow struct {
	Label            string
	Y, ActY, TextY   int
	PlanX, PlanW     string // empty PlanW: no planned bar
	ActX, ActW       string
	Late, Projected  bool
	Tip              string
	HasPlan, HasBars bool
}

type chartMark struct {
	X     string
	Label string
	Class string
}

const (
	chartLabelW = 170
	chartPlotW  = 600
	chartRowH   = 26
	chartTop    = 24
)

// plannedChart lays out the chart; the scale spans the latest of the plan,
// the actual ends and the marks, and the window unless it is over twice that.
func plannedChart(p *Planned) *chart {
	span := max(p.PlannedEndMS, p.EndMS, p.ExpectedMS, p.OverrunAtMS)
	if f := p.OverrunFiredMS; f != nil {
		span = max(span, *f)
	}
	for _, st := range p.Steps {
		span = max(span, st.EndMS, st.StartMS+st.DurationMS)
	}
	if p.WindowMS > 0 && p.WindowMS <= 2*span { // a far window would squash the bars
		span = p.WindowMS
	}
	span = max(span, 1000)
	x := func(at int64) float64 { return float64(chartLabelW) + float64(at)*chartPlotW/float64(span) }
	f := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	w := func(d int64) string { return f(max(float64(d)*chartPlotW/float64(span), 1)) }
	c := &chart{Width: chartLabelW + chartPlotW + 20, PlotX: chartLabelW, PlotW: chartPlotW}
	for i, st := range p.Steps {
		y := chartTop + i*chartRowH
		r := chartRow{Label: st.ID, Y: y, ActY: y + 11, TextY: y + 15, HasPlan: !st.Rollback && st.PlannedMS > 0}
		r.PlanX, r.PlanW = f(x(st.PlannedStartMS)), w(st.PlannedMS)
		if st.Started {
			r.HasBars = true
			r.ActX, r.ActW = f(x(st.StartMS)), w(max(st.EndMS, st.StartMS+st.DurationMS)-st.StartMS)
			r.Late = !st.Rollback && st.LateMS >= 1000
			r.Projected = st.EndMS != st.StartMS+st.DurationMS
		}
		r.Tip = fmt.Sprintf("%s: planned %s from %s; ", st.ID, fmtDur(dur(st.PlannedMS)), fmtOffset(st.PlannedStartMS))
		if st.Rollback {
			r.Tip = st.ID + ": rollback step; "
		}
		if st.Started {
			r.Tip += fmt.Sprintf("took %s from %s", fmtDur(dur(st.DurationMS)), fmtOffset(st.StartMS))
		} else {
			r.Tip += "not run"
		}
		c.Rows = append(c.Rows, r)
	}
	c.Height = chartTop + len(p.Steps)*chartRowH + 28
	mark := func(at int64, label, class string) {
		if at > 0 && at <= span {
			c.Marks = append(c.Marks, chartMark{X: f(x(at)), Label: label, Class: class})
		}
	}
	mark(p.ExpectedMS, "expected", "expected")
	mark(p.OverrunAtMS, "overrun threshold", "overrun")
	if f := p.OverrunFiredMS; f != nil {
		mark(max(*f, 1), "overrun fired", "fired")
	}
	mark(p.WindowMS, "window", "window")
	for i := range 5 {
		at := span * int64(i) / 4
		c.Ticks = append(c.Ticks, chartMark{X: f(x(at)), Label: fmtOffset(at)})
	}
	return c
}
