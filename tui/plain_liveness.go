package tui

import (
	"time"

	"github.com/tightrope/tightrope/journal"
)

// Liveness prints, for a watched run, what changed about its writer since
// prev (nil at the first judgement): who writes and its last sign of life
// (first, and when another writer takes over), that the run has stopped
// (once, when the heartbeat falls silent), that the heartbeat is back.
// Unlike events, these lines depend on the wall clock (now).
func (p *Plain) Liveness(l Liveness, prev *Liveness, s *journal.State, now time.Time) {
	sign := " · last sign of life " + fmtAgo(l.ago(now)) + " ago"
	switch {
	case l.Stopped && (prev == nil || !prev.Stopped):
		p.line(s, now, "%s", l.stoppedText(now))
	case l.Stopped:
	case prev == nil:
		p.line(s, now, "watching: %s%s", l.writerText(), sign)
	case prev.Stopped:
		p.line(s, now, "heartbeat again, the run is live: %s%s", l.writerText(), sign)
	case l.Writer.PID != prev.Writer.PID || !l.Writer.Started.Equal(prev.Writer.Started):
		p.line(s, now, "new %s%s", l.writerText(), sign)
	}
}
