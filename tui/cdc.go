package tui

import (
	"strings"
	"time"

	"github.com/tightrope/tightrope/human"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// The change-capture triggers the pane shows beside their stream (the
// engine raises them through trigger_fired).
const (
	trigCDCPositionLost = "cdc_position_lost"
	trigCDCSchemaChange = "cdc_schema_change"
)

// cdcPane shows each change stream of the run (State.CDC): how far behind
// the target is (lag, transactions not yet applied), where it is heading
// (trend, ETA), what was spooled and applied, the source's headroom (WAL
// status, bytes left before it drops what the stream needs) and a
// sparkline of the recent lag. The layout gives it room only while the run
// has a stream.
type cdcPane struct {
	stateFrame
	c *Common
}

func newCDC(c *Common) *cdcPane {
	p := &cdcPane{c: c}
	p.render = p.lines
	return p
}

// active reports whether the run has a change stream to show.
func (p *cdcPane) active() bool { return len(p.state.CDC) > 0 }

// minLines is the height the pane must have: its heading and every line
// that must not be missed (each stream's lag, alarms, a headroom at risk),
// at most five.
func (p *cdcPane) minLines(w int) int {
	n := 1
	for _, l := range p.ranked(w) {
		if l.rank == 0 {
			n++
		}
	}
	return min(n, 5)
}

func (p *cdcPane) lines(w, h int) []string {
	st, s := p.c.Styles, p.state
	right := ""
	if lim, ok := cdcLagLimit(s); ok {
		right = st.Muted.Render("trigger > " + fmtDur(lim))
	}
	out := []string{heading(st, "CHANGE CAPTURE", w, right)}
	if len(s.CDC) == 0 {
		return append(out, st.Muted.Render("no change stream"))
	}
	return append(out, mostImportant(p.ranked(w), h-1)...)
}

// ranked is every line of the streams with its importance: each stream's
// lag first, then an alarm on its headroom or position, then the counters.
func (p *cdcPane) ranked(w int) []ranked {
	st, s := p.c.Styles, p.state
	nameW := 8
	for _, c := range s.CDC {
		nameW = max(nameW, min(width(safetext.Line(c.Stream)), 20))
	}
	var lines []ranked
	for _, c := range s.CDC {
		lines = append(lines, ranked{truncate(padRight(safetext.Line(c.Stream), nameW)+"  "+p.lagText(c), w), 0})
		for _, tr := range cdcAlarms(s, c.Stream) {
			lines = append(lines, ranked{truncate(strings.Repeat(" ", nameW+2)+st.Danger.Render("⚠ "+safetext.Line(tr)), w), 0})
		}
		rank := 1
		if c.Lag != nil && c.Lag.HeadroomLevel() != journal.CDCHeadroomOK {
			rank = 0
		}
		lines = append(lines, ranked{truncate("  "+p.detailText(c, w-2), w), rank})
	}
	return lines
}

// lagText is "lag 3.2s · 412 txs behind  ↘ converging ETA 20s", styled by
// the cdc_lag threshold (amber past half of it, red past it).
func (p *cdcPane) lagText(c journal.CDCStream) string {
	st := p.c.Styles
	if c.Lag == nil {
		return st.Muted.Render("waiting for the first lag sample")
	}
	words := cdcLagWords(c)
	style := st.Text
	if lim, ok := cdcLagLimit(p.state); ok && c.Lag.LagMS >= 0 {
		switch lag := time.Duration(c.Lag.LagMS) * time.Millisecond; {
		case lag > lim:
			style = st.Danger
		case lag > lim/2:
			style = st.Warn
		}
	}
	out := style.Render(words)
	if c.Lag.Trend != "" {
		tr := cdcTrendArrow(c.Lag.Trend) + " " + c.Lag.Trend
		if c.Lag.Trend == "diverging" {
			out += "  " + st.Warn.Render(tr)
		} else {
			out += "  " + tr
		}
	}
	if c.Lag.ETAMS >= 0 && c.Lag.Trend == "converging" && !runOver(p.state) {
		out += " ETA " + fmtDur(time.Duration(c.Lag.ETAMS)*time.Millisecond)
	}
	return out
}

// detailText is the stream's second line: spooled and applied
// transactions, the headroom (amber and first when low, red when lost) and, when
// there is room, a sparkline of the recent lag.
func (p *cdcPane) detailText(c journal.CDCStream, w int) string {
	st := p.c.Styles
	num := fmtInt
	if w < 60 {
		num = fmtCount
	}
	text := st.Muted.Render("spooled ") + num(c.Txs) + st.Muted.Render(" · applied ") + num(c.AppliedTxs) + st.Muted.Render(" txs")
	if w >= 100 {
		text += st.Muted.Render(" (" + num(c.AppliedChanges) + "/" + num(c.Changes) + " changes)")
	}
	if hr := cdcHeadroomWords(c.Lag); hr != "" {
		switch c.Lag.HeadroomLevel() { // at risk, it comes first
		case journal.CDCHeadroomLostLvl:
			text = st.Danger.Render("⚠ "+hr) + st.Muted.Render(" · ") + text
		case journal.CDCHeadroomLow:
			text = st.Warn.Render("⚠ "+hr) + st.Muted.Render(" · ") + text
		default:
			text += st.Muted.Render(" · " + hr)
		}
	}
	if pts, room := c.Recent, w-width(text)-2; len(pts) > 1 && room >= 8 {
		vs := make([]float64, 0, len(pts))
		for _, pt := range pts[max(len(pts)-min(room, sparkPoints), 0):] {
			vs = append(vs, float64(pt.LagMS))
		}
		text += "  " + st.Accent.Render(sparkline(vs))
	}
	return text
}

// cdcLagWords is a sample's lag as people say it: "lag 3.2s · 412 txs
// behind", "caught up", "lag not measured".
func cdcLagWords(c journal.CDCStream) string {
	l := c.Lag
	if l == nil {
		return "no lag sample yet"
	}
	behind := c.Behind()
	if l.LagMS == 0 && behind == 0 {
		return "caught up"
	}
	lag := "lag not measured"
	if l.LagMS >= 0 {
		lag = "lag " + fmtDur(time.Duration(l.LagMS)*time.Millisecond)
	}
	return lag + " · " + human.Int(behind) + " " + plural(behind, "tx", "txs") + " behind"
}

// cdcHeadroomWords: "WAL reserved, 1.2 GiB headroom", "oldest binlog
// bin.000042", "source tx open 12s on pid 4242 …"; empty when the sample says nothing about it.
func cdcHeadroomWords(l *journal.CDCLagPayload) string {
	if l == nil {
		return ""
	}
	var parts []string
	if l.WALStatus != "" {
		parts = append(parts, "WAL "+safetext.Line(l.WALStatus))
	}
	if l.HeadroomBytes >= 0 {
		parts = append(parts, human.Bytes(l.HeadroomBytes)+" headroom")
	}
	if l.OldestLog != "" {
		parts = append(parts, "oldest binlog "+safetext.Line(l.OldestLog))
	}
	if l.OpenTx != nil { // Text escapes the app name
		parts = append(parts, "source tx "+l.OpenTx.Text()+", not in the log yet")
	}
	return strings.Join(parts, ", ")
}

// cdcTrendArrow draws a trend: lag falling, flat or rising.
func cdcTrendArrow(trend string) string {
	switch trend {
	case "converging":
		return "↘"
	case "diverging":
		return "↗"
	}
	return "→"
}

// cdcLagLimit is the cdc_lag threshold in force: a limit raised by a
// "continue", else the runbook's.
func cdcLagLimit(s journal.State) (time.Duration, bool) {
	if v, ok := s.Limit(runbooks.TriggerCDCLag, "", ""); ok {
		return time.Duration(v) * time.Millisecond, true
	}
	if s.Runbook != nil && s.Runbook.Triggers.CDCLag != nil {
		return *s.Runbook.Triggers.CDCLag, true
	}
	return 0, false
}

// cdcAlarms are the position-lost and schema-change triggers of a stream
// (their evidence names it, or names no stream), as "position lost: …".
func cdcAlarms(s journal.State, stream string) []string {
	var out []string
	for _, t := range s.Triggers {
		what := map[string]string{trigCDCPositionLost: "position lost", trigCDCSchemaChange: "schema change"}[t.Trigger]
		if what == "" {
			continue
		}
		if name, ok := t.Evidence["stream"].(string); ok && name != stream {
			continue
		}
		msg := what
		if t.Message != "" {
			msg += ": " + t.Message
		}
		out = append(out, msg)
	}
	return out
}

// plural picks a word by count.
func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
