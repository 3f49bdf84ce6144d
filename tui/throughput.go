package tui

import (
	"fmt"
	"math"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/journal"
)

// throughputPane shows each table's copy: a progress bar, the counters,
// rows per second from successive samples, an ETA, and a sparkline.
type throughputPane struct {
	frame
	c       *Common
	state   journal.State
	rates   map[string]*rateTrack
	lastSeq int64
}

// rateTrack derives a table's rate from successive progress samples.
type rateTrack struct {
	at   time.Time // time of the last sample
	read int64
	rate float64   // rows/s between the last two samples
	hist []float64 // recent rates, for the sparkline
}

// sparkPoints is how many rates the sparkline keeps.
const sparkPoints = 24

func newThroughput(c *Common) *throughputPane {
	p := &throughputPane{c: c, rates: map[string]*rateTrack{}}
	p.render = p.lines
	return p
}

// Update implements pane: each new sample updates the table's rate.
func (p *throughputPane) Update(msg tea.Msg) tea.Cmd {
	m, ok := msg.(stateMsg)
	if !ok {
		return nil
	}
	if m.State.LastSeq < p.lastSeq {
		p.rates = map[string]*rateTrack{} // a replay went back in time
	}
	p.state, p.lastSeq = m.State, m.State.LastSeq
	for _, t := range m.State.Tables {
		r := p.rates[t.Table]
		if r == nil {
			r = &rateTrack{}
			p.rates[t.Table] = r
		}
		if !t.UpdatedAt.After(r.at) {
			continue
		}
		if !r.at.IsZero() {
			if dt := t.UpdatedAt.Sub(r.at).Seconds(); dt > 0 {
				r.rate = float64(t.Read-r.read) / dt
				r.hist = append(r.hist, r.rate)
				if len(r.hist) > sparkPoints {
					r.hist = r.hist[len(r.hist)-sparkPoints:]
				}
			}
		}
		r.at, r.read = t.UpdatedAt, t.Read
	}
	return nil
}

// rate is the table's current rows/s: from the last two samples, or the
// average so far until there are two.
func (p *throughputPane) rate(t journal.TableState) float64 {
	if r := p.rates[t.Table]; r != nil && len(r.hist) > 0 {
		return r.rate
	}
	if t.ElapsedMS > 0 {
		return float64(t.Read) / (float64(t.ElapsedMS) / 1000)
	}
	return 0
}

func (p *throughputPane) lines(w, h int) []string {
	st, s := p.c.Styles, p.state
	read, written, rejected := s.Totals()
	right := ""
	if len(s.Tables) > 0 {
		right = st.Muted.Render(fmt.Sprintf("%d tables", len(s.Tables)))
	}
	out := []string{heading(st, "THROUGHPUT", w, right)}
	if len(s.Tables) == 0 {
		return append(out, st.Muted.Render("no table copied yet"))
	}
	// Short of room, tables over their reject threshold come first, then
	// those still copying; finished ones and the total give way.
	var lines []ranked
	for i, line := range p.tableLines(w) {
		t, rank := s.Tables[i], 2
		switch {
		case overThreshold(s, t):
			rank = 0
		case !t.Done:
			rank = 1
		}
		lines = append(lines, ranked{line, rank})
	}
	if len(s.Tables) > 1 {
		lines = append(lines, ranked{st.Muted.Render(truncate(fmt.Sprintf("total  read %s  written %s  rejected %s",
			fmtInt(read), fmtInt(written), fmtInt(rejected)), w)), 3})
	}
	return append(out, mostImportant(lines, h-1)...)
}

// tableLines: per table, name, bar, percent, counters, rate, ETA (and a
// sparkline when wide). "~" marks numbers that rest on an estimated total.
// Counters turn compact (1.04M) before a bar gets too short to read.
func (p *throughputPane) tableLines(w int) []string {
	nameW := 8
	for _, t := range p.state.Tables {
		nameW = max(nameW, min(width(t.Table), 16))
	}
	tables := p.state.Tables
	texts := make([]string, len(tables))
	barW := 30
	for _, compact := range []bool{false, true} {
		barW = 30
		for i, t := range tables {
			texts[i] = p.tableText(t, w, compact)
			barW = min(barW, w-nameW-width(texts[i])-1)
		}
		if barW >= 12 {
			break
		}
	}
	out := make([]string, len(tables))
	for i, t := range tables {
		line := padRight(t.Table, nameW) + texts[i]
		if barW >= 4 {
			frac := 0.0
			if t.Total > 0 {
				frac = math.Min(float64(t.Read)/float64(t.Total), 1)
			}
			line = padRight(t.Table, nameW) + " " + p.bar(frac, barW, t.Total > 0, overThreshold(p.state, t)) + texts[i]
		}
		out[i] = truncate(line, w)
	}
	return out
}

// tableText is everything on a table's line after the bar.
func (p *throughputPane) tableText(t journal.TableState, w int, compact bool) string {
	st := p.c.Styles
	num := fmtInt
	if compact {
		num = fmtCount
	}
	tilde := ""
	if !t.TotalExact {
		tilde = "~"
	}
	pct := ""
	if t.Total > 0 {
		pct = padLeft(fmt.Sprintf("%s%.0f%%", tilde, math.Min(float64(t.Read)/float64(t.Total), 1)*100), 5)
	}
	counts := num(t.Read)
	if t.Total > 0 {
		counts += "/" + tilde + num(t.Total)
	}
	rej := st.Muted.Render(" rej 0")
	switch n := rejected(t); {
	case overThreshold(p.state, t):
		rej = st.Danger.Render(" rej " + num(n) + " ⚠")
	case n > 0:
		rej = st.Warn.Render(" rej " + num(n))
	}
	var tail string
	switch {
	case t.Done && t.Read != t.Written+t.Rejected:
		tail = st.Danger.Render("✗ read≠written+rejected")
	case t.Done:
		tail = st.OK.Render("✓ done")
	case runOver(p.state): // final values: no rate, no ETA after the end
		tail = st.Muted.Render("stopped")
	default:
		r := p.rate(t)
		tail = fmtRate(r)
		if t.Total > 0 && r > 0 {
			eta := time.Duration(float64(max(t.Total-t.Read, 0)) / r * float64(time.Second))
			tail += " ETA " + tilde + fmtDur(eta)
		}
	}
	written := ""
	if w >= 90 {
		written = st.Muted.Render(" w ") + num(t.Written)
	}
	if tune := tuneText(t); w >= 100 && tune != "" && !t.Done {
		written += st.Muted.Render("  " + tune)
	}
	text := " " + pct + " " + counts + written + rej + "  " + tail
	if w >= 110 {
		if r := p.rates[t.Table]; r != nil && len(r.hist) > 1 && !t.Done {
			text += " " + st.Accent.Render(sparkline(r.hist))
		}
	}
	return text
}

// bar is a progress bar; with no known total it stays empty.
func (p *throughputPane) bar(frac float64, n int, known, over bool) string {
	st := p.c.Styles
	full := 0
	if known {
		full = int(frac*float64(n) + 0.5)
	}
	done := st.BarDone
	if over {
		done = st.BarOver
	}
	return done.Render(strings.Repeat("█", full)) + st.BarTodo.Render(strings.Repeat("░", n-full))
}

// sparkline draws values as block heights.
func sparkline(vs []float64) string {
	const blocks = "▁▂▃▄▅▆▇█"
	hi := 0.0
	for _, v := range vs {
		hi = math.Max(hi, v)
	}
	rs := []rune(blocks)
	var b strings.Builder
	for _, v := range vs {
		i := 0
		if hi > 0 && v > 0 {
			i = int(v / hi * float64(len(rs)-1))
		}
		b.WriteRune(rs[min(max(i, 0), len(rs)-1)])
	}
	return b.String()
}
