package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/human"
	"github.com/tightrope/tightrope/runbooks"
)

// cdcCatchup starts applying the stream of its from: connection to its
// to: connection and finishes once the end-to-end lag, sampled after the
// step began, is under the step's lag threshold; it fails when its timeout
// (timeout:, else expected:) passes first. The applier keeps running after
// the step until the run ends.
func (c *Conductor) cdcCatchup(ctx context.Context, step runbooks.Step) error {
	s := c.streamFrom(step.From)
	if s == nil {
		return fmt.Errorf("no change stream of connection %q runs: a cdc-start step from %s must come first", step.From, step.From)
	}
	to, ok := c.opts.Runbook.Connection(step.To)
	if !ok {
		return fmt.Errorf("no connection named %q", step.To)
	}
	if err := s.startApply(to, step.ID); err != nil {
		return err
	}
	threshold := step.Lag
	if threshold <= 0 {
		threshold = runbooks.DefaultCatchupLag
	}
	timeout := step.Timeout
	if timeout <= 0 {
		timeout = step.Expected
	}
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	begun := time.Now()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := c.cdcFailed(); err != nil {
			return err
		}
		if err := s.haltedErr(); err != nil {
			return fmt.Errorf("stream %s stopped at a gap, nothing past it is applied (tables %s need copying again): %w",
				s.name, strings.Join(s.tables, ", "), err)
		}
		lag, ok := s.caughtUpWithin(begun, threshold)
		if ok {
			c.logf(step.ID, "info", "stream %s caught up on %s: lag %s, under %s", s.name, to.Name,
				human.Dur(lag), human.Dur(threshold))
			return nil
		}
		select {
		case <-tick.C:
		case <-expired:
			return fmt.Errorf("stream %s did not catch up within %s: lag %s, threshold %s", s.name, human.Dur(timeout), human.Dur(lag), human.Dur(threshold))
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// caughtUpWithin tells whether the stream's lag is under threshold: a
// sample taken after since says the source lag is, the applier has read
// its position, and the oldest unapplied transaction (now) is younger.
// Caught up once, the stream's cdc_lag trigger is judged from then on.
func (s *cdcStream) caughtUpWithin(since time.Time, threshold time.Duration) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	lag := time.Duration(max(s.lag.SourceLagMS, 0)) * time.Millisecond
	if len(s.unapplied) > 0 {
		lag = max(lag, now.Sub(s.unapplied[0].at))
	}
	if s.sampledAt.Before(since) || s.lag.SourceLagMS < 0 || s.applying == nil || !s.applying.positioned || !s.started {
		return lag, false
	}
	if lag >= threshold {
		return lag, false
	}
	s.caughtUp = true
	return lag, true
}
