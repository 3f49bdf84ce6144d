package report

import (
	"fmt"
	"strings"

	"github.com/tightrope/tightrope/journal"
)

// lagRowsMax is how many rows the lag table of a stream has at most: the
// chart (HTML) shows every point, the table a decimated few.
const lagRowsMax = 12

// cdcBlocks is the change-capture part of section 4: a row per stream
// (positions started and ended, changes captured and applied, the largest
// lag), then per stream its lag over time — a chart in HTML, a decimated
// table — with the cdc_lag trigger's moments, and its position-lost and
// schema-change triggers with their evidence. Nothing when the run
// captured no change.
func cdcBlocks(r *Report) []block {
	if len(r.ChangeCapture) == 0 {
		return nil
	}
	out := []block{heading("Change capture")}
	t := &table{Head: []string{"stream", "source", "tables", "started", "start position", "spooled to", "applied to", "captured", "applied", "behind at the end", "max lag"}}
	for _, st := range r.ChangeCapture {
		source := st.Source
		if st.Engine != "" {
			source += " (" + st.Engine + ")"
		}
		started := ""
		if st.Start != "" || st.StartedMS > 0 {
			started = fmtOffset(st.StartedMS)
		}
		bt := fmtInt(st.Behind) + " " + map[bool]string{true: "tx", false: "txs"}[st.Behind == 1]
		behind := okOr(st.Behind == 0, bt, bt)
		t.Rows = append(t.Rows, append(cells(code(st.Stream), txt(source), txt(strings.Join(st.Tables, ", ")), txt(started),
			code(st.Start), code(st.Spooled), code(st.Applied),
			txt(fmt.Sprintf("%s txs (%s changes)", fmtInt(st.Txs), fmtInt(st.Changes))),
			txt(fmt.Sprintf("%s txs (%s changes)", fmtInt(st.AppliedTxs), fmtInt(st.AppliedChanges))), behind), maxLagCell(st)))
	}
	out = append(out, block{Table: t})
	for _, st := range r.ChangeCapture {
		out = append(out, streamLagBlocks(st)...)
		for _, a := range st.Alarms {
			out = append(out, alarmBlocks(a)...)
		}
	}
	return out
}

// maxLagCell is "9.0s at +30m00s", red past the cdc_lag threshold.
func maxLagCell(st Stream) cell {
	if st.MaxLagMS < 0 {
		return cell{txt("not measured")}
	}
	text := fmtDur(dur(st.MaxLagMS)) + " at " + fmtOffset(st.MaxLagAtMS)
	return cell{okOr(st.LagLimitMS == 0 || st.MaxLagMS <= st.LagLimitMS, text, text)}
}

// streamLagBlocks is a stream's lag: a sentence, the chart, the table.
func streamLagBlocks(st Stream) []block {
	lead := []span{txt("Lag of "), code(st.Stream), txt(fmt.Sprintf(": %s samples", fmtInt(st.Samples)))}
	if st.MaxLagMS >= 0 {
		lead = append(lead, txt(", largest "), maxLagCell(st)[0])
	}
	if st.LagLimitMS > 0 {
		lead = append(lead, txt(" · cdc_lag threshold "+fmtDur(dur(st.LagLimitMS))))
	}
	for _, f := range st.LagFiredMS {
		lead = append(lead, txt(" · "), bad("cdc_lag fired at "+fmtOffset(f)))
	}
	if l := st.LastLag; l != nil {
		lead = append(lead, txt(" · last sample: "+lastSampleWords(*l)))
		switch l.HeadroomLevel() {
		case journal.CDCHeadroomLow:
			lead = append(lead, txt(" "), bad("(headroom low)"))
		case journal.CDCHeadroomLostLvl:
			lead = append(lead, txt(" "), bad("(position lost)"))
		}
	}
	if o := st.MaxOpenTx; o != nil {
		lead = append(lead, txt(" · "), bad("source transaction "+o.Text()+" at "+fmtOffset(st.MaxOpenTxAtMS)), txt(", not in the log while open"))
	}
	out := []block{para(append(lead, txt("."))...)}
	if len(st.Lag) == 0 {
		return out
	}
	out = append(out, block{LagChart: lagChartOf(st)})
	t := &table{Head: []string{"at", "lag", "txs behind", "marks"}}
	rows := decimate(st.Lag, lagRowsMax)
	fired := st.LagFiredMS
	for i, p := range rows {
		var marks cell
		if p.LagMS == st.MaxLagMS && p.OffsetMS == st.MaxLagAtMS {
			marks = append(marks, strong("largest"))
		}
		for len(fired) > 0 && (fired[0] <= p.OffsetMS || i == len(rows)-1) {
			if len(marks) > 0 {
				marks = append(marks, txt("; "))
			}
			marks = append(marks, bad("cdc_lag fired "+fmtOffset(fired[0])))
			fired = fired[1:]
		}
		behind := ""
		if p.ApplyLagTxs >= 0 {
			behind = fmtInt(p.ApplyLagTxs)
		}
		t.Rows = append(t.Rows, append(cells(txt(fmtOffset(p.OffsetMS)), txt(fmtDur(dur(p.LagMS))), txt(behind)), marks))
	}
	return append(out, block{Table: t})
}

// lastSampleWords is "converging, ETA 20s, WAL reserved, headroom 1.2 GiB".
func lastSampleWords(l journal.CDCLagPayload) string {
	var parts []string
	if l.Trend != "" {
		parts = append(parts, l.Trend)
	}
	if l.Trend == "converging" && l.ETAMS >= 0 {
		parts = append(parts, "ETA "+fmtDur(dur(l.ETAMS)))
	}
	if l.WALStatus != "" {
		parts = append(parts, "WAL "+l.WALStatus)
	}
	if l.HeadroomBytes >= 0 {
		parts = append(parts, "headroom "+fmtBytes(l.HeadroomBytes))
	}
	if l.OldestLog != "" {
		parts = append(parts, "oldest binlog "+l.OldestLog)
	}
	if len(parts) == 0 {
		return "nothing measured"
	}
	return strings.Join(parts, ", ")
}

// alarmBlocks is a position-lost or schema-change trigger with its
// evidence and the decision that answered it.
func alarmBlocks(a Trigger) []block {
	head := []span{bad(a.Trigger), txt(" at " + fmtOffset(a.OffsetMS))}
	if a.Message != "" {
		head = append(head, txt(" — "+a.Message))
	}
	out := []block{para(head...)}
	if len(a.Evidence) > 0 {
		ev := &table{Head: []string{"evidence", "value"}}
		for _, f := range a.Evidence {
			ev.Rows = append(ev.Rows, cells(code(f.Key), txt(f.Value)))
		}
		out = append(out, block{Table: ev})
	}
	if a.Decision != nil {
		out = append(out, para(decisionSpans(a.Decision)...))
	}
	return out
}

// decimate keeps at most n points: the points split into n runs of
// consecutive ones, each giving its largest lag (the first when equal).
func decimate(pts []LagPoint, n int) []LagPoint {
	if len(pts) <= n {
		return pts
	}
	out := make([]LagPoint, 0, n)
	for i := range n {
		lo, hi := i*len(pts)/n, (i+1)*len(pts)/n
		best := pts[lo]
		for _, p := range pts[lo+1 : hi] {
			if p.LagMS > best.LagMS {
				best = p
			}
		}
		out = append(out, best)
	}
	return out
}

// lagChart is a stream's lag over time in SVG user units: a line of the
// lag, the largest point ringed, the cdc_lag threshold as a dashed level,
// and a vertical mark where the trigger fired.
type lagChart struct {
	Label                      string
	Width, Height              int
	PlotX, PlotY, PlotW, PlotB int // PlotB: the baseline's y
	Points                     string
	PeakX, PeakY, PeakTip      string
	Threshold                  *chartMark // X holds the y of the level
	Fired                      []chartMark
	XTicks, YTicks             []chartMark // YTicks: X holds the y
}

const (
	lagChartX = 64
	lagChartW = 680
	lagChartY = 24
	lagChartH = 160
)

// lagChartOf lays the chart out: time from the stream's first point (or
// its start) to its last point or trigger, lag from 0 to a tenth over the
// largest of the lag and the threshold.
func lagChartOf(st Stream) *lagChart {
	t0, t1 := st.Lag[0].OffsetMS, st.Lag[len(st.Lag)-1].OffsetMS
	if st.StartedMS > 0 && st.StartedMS < t0 {
		t0 = st.StartedMS
	}
	var top int64 = 1000
	for _, p := range st.Lag {
		top = max(top, p.LagMS)
	}
	for _, f := range st.LagFiredMS {
		t0, t1 = min(t0, f), max(t1, f)
	}
	top = max(top, st.LagLimitMS) * 11 / 10
	span := max(t1-t0, 1000)
	f := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	x := func(at int64) string { return f(lagChartX + float64(at-t0)*lagChartW/float64(span)) }
	y := func(lag int64) string { return f(lagChartY + lagChartH - float64(lag)*lagChartH/float64(top)) }
	c := &lagChart{Label: "lag of " + st.Stream + " over time", Width: lagChartX + lagChartW + 20, Height: lagChartY + lagChartH + 24,
		PlotX: lagChartX, PlotY: lagChartY, PlotW: lagChartW, PlotB: lagChartY + lagChartH}
	pts := make([]string, len(st.Lag))
	peak := st.Lag[0]
	for i, p := range st.Lag {
		pts[i] = x(p.OffsetMS) + "," + y(p.LagMS)
		if p.LagMS > peak.LagMS {
			peak = p
		}
	}
	c.Points = strings.Join(pts, " ")
	c.PeakX, c.PeakY = x(peak.OffsetMS), y(peak.LagMS)
	c.PeakTip = fmt.Sprintf("largest lag %s at %s", fmtDur(dur(peak.LagMS)), fmtOffset(peak.OffsetMS))
	if st.LagLimitMS > 0 {
		c.Threshold = &chartMark{X: y(st.LagLimitMS), Label: "cdc_lag threshold " + fmtDur(dur(st.LagLimitMS))}
	}
	for _, at := range st.LagFiredMS {
		c.Fired = append(c.Fired, chartMark{X: x(at), Label: "cdc_lag fired " + fmtOffset(at), Class: "fired"})
	}
	for i := range 5 {
		at := t0 + span*int64(i)/4
		c.XTicks = append(c.XTicks, chartMark{X: x(at), Label: fmtOffset(at)})
		lag := top * int64(i) / 4
		c.YTicks = append(c.YTicks, chartMark{X: y(lag), Label: fmtDur(dur(lag))})
	}
	return c
}
