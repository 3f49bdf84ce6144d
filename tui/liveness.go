package tui

import (
	"fmt"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// Defaults of the watch's liveness judgement (WithStaleAfter,
// WithLeaseEvery).
const (
	DefaultStaleAfter = 15 * time.Second
	DefaultLeaseEvery = time.Second
)

// Liveness is what a watcher knows of the process writing the run it
// follows: the heartbeat in the journal's lease file (journal.Lease). It
// is kept apart from journal.State because the heartbeat is not an event:
// a replay of the journal has none.
type Liveness struct {
	Journal  string            // the journal followed, for the resume hint
	Writer   journal.LeaseInfo // the lease file as last read; zero when there is none
	LastSign time.Time         // the newest sign of life: the heartbeat or the last event, whichever is later
	Stopped  bool              // no sign of life for the stale limit, and the run has not finished
	Silence  time.Duration     // time since LastSign when judged
}

// LivenessSource is implemented by sessions that follow a run another
// process writes (Watch): the console then shows the writer's heartbeat
// and says when it stopped.
type LivenessSource interface {
	// Liveness delivers the judgement each time it changes (the latest
	// wins); it closes with the session's Updates.
	Liveness() <-chan Liveness
}

// livenessJudge judges a followed run's writer from its lease file.
type livenessJudge struct {
	path       string
	staleAfter time.Duration
	now        func() time.Time
}

// judge reads the lease file and judges the writer of the run in s. It
// reports false when there is nothing to judge: no run yet, or the run has
// ended (a finished run's writer is meant to be gone).
func (j livenessJudge) judge(s journal.State) (Liveness, bool) {
	if s.StartedAt.IsZero() || s.Outcome != "" {
		return Liveness{}, false
	}
	l := Liveness{Journal: j.path, LastSign: s.LastAt}
	if info, err := journal.ReadLease(j.path); err == nil {
		l.Writer = info
		if info.Heartbeat.After(l.LastSign) {
			l.LastSign = info.Heartbeat
		}
	}
	l.Silence = max(j.now().Sub(l.LastSign), 0)
	l.Stopped = l.Silence > j.staleAfter
	return l, true
}

// changed reports whether l says something new compared with prev: the
// writer stopped or came back, another writer took over, or a newer sign
// of life.
func (l Liveness) changed(prev Liveness) bool {
	return l.Stopped != prev.Stopped || !l.LastSign.Equal(prev.LastSign) ||
		l.Writer.PID != prev.Writer.PID || !l.Writer.Started.Equal(prev.Writer.Started)
}

// ago is the age of the last sign of life at now.
func (l Liveness) ago(now time.Time) time.Duration { return max(now.Sub(l.LastSign), 0) }

// writerText names the writer: "pid 4242 on host db1 (operator alice),
// since …", or that there is no lease file to say.
func (l Liveness) writerText() string {
	if l.Writer.PID == 0 {
		return "writer unknown (no lease file)"
	}
	return "writer " + l.Writer.Holder()
}

// stoppedText says plainly that the run stopped and how to go on.
func (l Liveness) stoppedText(now time.Time) string {
	why := "no heartbeat for " + fmtAgo(l.ago(now))
	if !l.Writer.Released.IsZero() {
		why += fmt.Sprintf(" (pid %d let go of the journal without finishing the run)", l.Writer.PID)
	} else if l.Writer.PID != 0 {
		why += fmt.Sprintf(" (pid %d on host %s)", l.Writer.PID, l.Writer.Host)
	}
	return fmt.Sprintf("the run has stopped: %s; resume it with `tightrope resume %s`", why, l.Journal)
}

// fmtAgo is an age in whole seconds below a minute ("7s"), fmtDur above.
func fmtAgo(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(max(d, 0).Seconds()))
	}
	return fmtDur(d)
}
