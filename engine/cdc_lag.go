package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/human"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// lagEvery is how often a running stream's lag is sampled (and at most
// how often a cdc_lag_sample is journaled).
var lagEvery = 2 * time.Second

// trendOver is how many recent samples the trend and ETA are fitted on;
// convergeRate the lag change, in ms per second, below which the lag
// counts as steady rather than converging or diverging.
const (
	trendOver    = 5
	convergeRate = 50.0
	headsKept    = 10 * time.Minute
)

// lagPoint is one sample's end-to-end lag; headPoint the source's log
// position at a sample.
type lagPoint struct {
	t   time.Time
	lag int64
}

type headPoint struct {
	t    time.Time
	head int64
}

// sampleLoop samples the stream's lag every lagEvery until it stops.
func (s *cdcStream) sampleLoop() {
	tick := time.NewTicker(lagEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-s.ctx.Done():
			return
		}
		s.sample()
	}
}

// sample measures the stream once, journals cdc_lag_sample, warns when the
// lag stops converging and judges the cdc_lag trigger once the stream has
// caught up. A sample that finds the position lost halts the stream
// (cdc_position_lost) instead.
func (s *cdcStream) sample() {
	s.mu.Lock()
	spooled := s.spooled
	s.mu.Unlock()
	ss, err := cdc.Sample(s.ctx, s.from.Driver, s.dsn, s.name, spooled)
	if err != nil {
		if s.ctx.Err() == nil {
			s.warnEvery("sample", "stream %s: lag sample: %v", s.name, err)
		}
		return
	}
	if len(ss.Lost) > 0 {
		// The position is gone (a slot's WAL removed, a binlog purged)
		// while the capture may still be reconnecting: the gap is the
		// trigger, not the lag it causes.
		s.halt(&cdc.PositionLostError{Stream: s.name, Evidence: append(ss.Lost, "seen by the lag sample (the capture may still be reconnecting)")})
		return
	}
	now := time.Now()
	s.mu.Lock()
	p := s.measure(now, ss)
	var warns []string
	switch {
	case p.Trend == "diverging" && p.LagMS >= 1000 && !s.warned:
		s.warned = true
		warns = append(warns, fmt.Sprintf("stream %s: the lag is %s and not converging (%s over the last %d samples); the cdc_lag trigger is next",
			s.name, human.Dur(time.Duration(p.LagMS)*time.Millisecond), p.Trend, len(s.history)))
	case p.Trend != "diverging":
		s.warned = false
	}
	if p.WALStatus == "unreserved" && s.lag.WALStatus != "unreserved" {
		warns = append(warns, fmt.Sprintf("stream %s: the source is about to remove WAL the slot still needs (wal_status unreserved): "+
			"the stream loses its position unless it catches up now", s.name))
	}
	s.lag, s.sampledAt = p, now
	judge := s.caughtUp
	s.mu.Unlock()
	if _, err := s.c.emit(s.c.opts.Operator, s.stepID, journal.CDCLagSample, p); err != nil {
		s.warnEvery("journal", "stream %s: journal the lag sample: %v", s.name, err)
	}
	for _, w := range warns {
		s.c.logf(s.stepID, "warn", "%s", w)
	}
	if !judge || s.c.pending() != nil || !s.c.beginRaise() { // a question already waits, or the walk is over
		return
	}
	defer s.c.cdc.raising.Done()
	if err := s.c.judge(s.ctx, cdcLag(s.stepID, p)); errors.Is(err, ErrRollback) {
		s.c.setCDCRollback(err)
	}
}

// measure turns a source sample and the applier's backlog into a lag
// payload; s.mu held.
func (s *cdcStream) measure(now time.Time, ss cdc.SourceSample) journal.CDCLagPayload {
	p := journal.CDCLagPayload{
		Stream: s.name, SourceLagBytes: ss.BehindBytes, SourceLagMS: -1, ETAMS: -1,
		WALStatus: ss.WALStatus, HeadroomBytes: ss.HeadroomBytes, OpenTx: ss.OpenTx,
	}
	if ss.Head > 0 {
		s.heads = append(s.heads, headPoint{now, ss.Head})
		for len(s.heads) > 1 && now.Sub(s.heads[0].t) > headsKept {
			s.heads = s.heads[1:]
		}
	}
	// Source lag: the age of the oldest log the capture has not read — the
	// first sample whose head was past what is decoded now (to the
	// sampling interval).
	if ss.Head > 0 && ss.Decoded >= 0 {
		p.SourceLagMS = 0
		for _, h := range s.heads {
			if h.head > ss.Decoded {
				p.SourceLagMS = now.Sub(h.t).Milliseconds()
				break
			}
		}
	}
	p.ApplyLagTxs = int64(len(s.unapplied))
	if len(s.unapplied) > 0 {
		p.ApplyLagMS = max(0, now.Sub(s.unapplied[0].at).Milliseconds())
	}
	p.LagMS = max(p.SourceLagMS, p.ApplyLagMS, 0)
	s.history = append(s.history, lagPoint{now, p.LagMS})
	if len(s.history) > trendOver {
		s.history = s.history[len(s.history)-trendOver:]
	}
	p.Trend, p.ETAMS = trend(s.history)
	return p
}

// trend fits the lag over the recent samples: converging (with the time
// to zero), steady or diverging.
func trend(h []lagPoint) (string, int64) {
	last := h[len(h)-1].lag
	if last == 0 {
		return "steady", 0
	}
	if len(h) < 3 {
		return "steady", -1
	}
	// least squares of lag (ms) over time (s)
	var sx, sy, sxx, sxy float64
	n := float64(len(h))
	for _, p := range h {
		x, y := p.t.Sub(h[0].t).Seconds(), float64(p.lag)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return "steady", -1
	}
	slope := (n*sxy - sx*sy) / d // ms of lag per second
	switch {
	case slope < -convergeRate:
		return "converging", int64(float64(last) / -slope * 1000)
	case slope > convergeRate:
		return "diverging", -1
	}
	return "steady", -1
}

// cdcLag is the cdc_lag observation of one sample: the lag, or the age
// of the oldest writing transaction open on the source when that is
// larger — not in the log yet, its changes arrive at once on commit.
func cdcLag(stepID string, p journal.CDCLagPayload) measure {
	ev := map[string]any{
		"stream": p.Stream, "lag_ms": p.LagMS, "source_lag_ms": p.SourceLagMS, "source_lag_bytes": p.SourceLagBytes,
		"apply_lag_txs": p.ApplyLagTxs, "apply_lag_ms": p.ApplyLagMS, "trend": p.Trend, "eta_ms": p.ETAMS,
		"wal_status": p.WALStatus, "headroom_bytes": p.HeadroomBytes,
	}
	if o := p.OpenTx; o != nil {
		ev["open_tx_age_ms"], ev["open_tx_pid"], ev["open_tx_app"], ev["open_tx_state"], ev["open_tx_rows"] = o.AgeMS, o.PID, o.App, o.State, o.Rows
		if o.AgeMS > p.LagMS {
			return measure{
				trigger: runbooks.TriggerCDCLag, stepID: stepID, observed: float64(o.AgeMS), evidence: ev,
				message: func(threshold float64) string {
					return fmt.Sprintf("change stream %s: source transaction %s, not yet in the log: its changes will arrive at once when it commits (over the %s threshold; lag %s)",
						p.Stream, o.Text(), human.Dur(time.Duration(threshold)*time.Millisecond), human.Dur(time.Duration(max(p.LagMS, 0))*time.Millisecond))
				},
			}
		}
	}
	return measure{
		trigger: runbooks.TriggerCDCLag, stepID: stepID, observed: float64(p.LagMS),
		message: func(threshold float64) string {
			return fmt.Sprintf("change stream %s is %s behind the source (%d transactions not yet applied, %s), over the %s threshold",
				p.Stream, human.Dur(time.Duration(p.LagMS)*time.Millisecond), p.ApplyLagTxs, p.Trend,
				human.Dur(time.Duration(threshold)*time.Millisecond))
		},
		evidence: ev,
	}
}
