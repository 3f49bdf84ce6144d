package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/human"
	"github.com/tightrope/tightrope/journal"
)

// plainCDCEvery is how often (in event time) plain mode prints a change
// stream's lag; a change of trend or of headroom level prints at once.
const plainCDCEvery = 10 * time.Second

// plainCDCSeen is what plain mode last printed of a stream.
type plainCDCSeen struct {
	at    time.Time
	trend string
	level int
	open  bool // an open writing transaction was shown
}

// cdcStarted prints a stream's opening: where it reads, what, from where.
func (p *Plain) cdcStarted(e journal.Event, s *journal.State, pl journal.CDCStreamPayload) {
	line := fmt.Sprintf("cdc %s: started on %s", pl.Stream, pl.Source)
	if pl.Engine != "" {
		line += " (" + pl.Engine + ")"
	}
	line += fmt.Sprintf(" · %d %s: %s", len(pl.Tables), plural(int64(len(pl.Tables)), "table", "tables"), strings.Join(pl.Tables, ", "))
	if pl.Start != "" {
		line += " · from " + pl.Start
	}
	p.line(s, e.At, "%s", line)
}

// cdcLag prints a stream's lag sample: the first, then at most every
// plainCDCEvery, and whenever its trend or headroom level changes or an
// open writing transaction appears on the source or goes.
func (p *Plain) cdcLag(e journal.Event, s *journal.State, pl journal.CDCLagPayload) {
	level := pl.HeadroomLevel()
	last, ok := p.cdcSeen[pl.Stream]
	open := pl.OpenTx != nil
	if ok && e.At.Sub(last.at) < plainCDCEvery && pl.Trend == last.trend && level == last.level && open == last.open {
		return
	}
	p.cdcSeen[pl.Stream] = plainCDCSeen{at: e.At, trend: pl.Trend, level: level, open: open}
	var c journal.CDCStream
	for _, x := range s.CDC {
		if x.Stream == pl.Stream {
			c = x
		}
	}
	c.Lag = &pl // the sample printed, whatever the state says
	p.line(s, e.At, "cdc %s: %s", pl.Stream, cdcPlainText(c))
}

// cdcPlainText is "lag 3.2s (412 txs), converging, ETA 20s, WAL reserved,
// headroom 1.2 GiB"; a headroom at risk ends "— headroom LOW" or
// "— position LOST".
func cdcPlainText(c journal.CDCStream) string {
	l := *c.Lag
	lag := "lag not measured"
	if l.LagMS >= 0 {
		lag = "lag " + fmtDur(ms(l.LagMS))
	}
	behind := c.Behind()
	parts := []string{fmt.Sprintf("%s (%s %s)", lag, human.Int(behind), plural(behind, "tx", "txs"))}
	if l.Trend != "" {
		parts = append(parts, l.Trend)
	}
	if l.Trend == "converging" && l.ETAMS >= 0 {
		parts = append(parts, "ETA "+fmtDur(ms(l.ETAMS)))
	}
	if l.WALStatus != "" {
		parts = append(parts, "WAL "+l.WALStatus)
	}
	if l.HeadroomBytes >= 0 {
		parts = append(parts, "headroom "+human.Bytes(l.HeadroomBytes))
	}
	if l.OldestLog != "" {
		parts = append(parts, "oldest binlog "+l.OldestLog)
	}
	out := strings.Join(parts, ", ")
	switch l.HeadroomLevel() {
	case journal.CDCHeadroomLow:
		out += " — headroom LOW"
	case journal.CDCHeadroomLostLvl:
		out += " — position LOST"
	}
	if l.OpenTx != nil {
		out += " — source transaction " + l.OpenTx.Text() + ", not yet in the log"
	}
	return out
}
