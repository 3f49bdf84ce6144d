package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// checkOverrun raises the overrun trigger when the run's elapsed time passes
// the threshold in force (objectives.expected × triggers.overrun). It is
// called at safe points — between steps and between copy batches — so a
// long shell step that overruns is judged when it ends.
func (c *Conductor) checkOverrun(ctx context.Context, stepID string) error {
	expected := c.opts.Runbook.Objectives.Expected
	if expected <= 0 {
		return nil
	}
	c.overrunMu.Lock()
	defer c.overrunMu.Unlock()
	elapsed := c.opts.Now().Sub(c.startedAt())
	ratio := float64(elapsed) / float64(expected)
	return c.judge(ctx, measure{
		trigger: runbooks.TriggerOverrun, stepID: stepID, observed: ratio,
		message: func(threshold float64) string {
			return fmt.Sprintf("the run has taken %s, %s of the expected %s (threshold %s)",
				elapsed.Round(time.Second), pct(ratio), expected, pct(threshold))
		},
	})
}

// watchdog warns, without stopping anything, when the maintenance window
// is about to close (the last tenth of it, or its last five minutes if
// that is longer) and again when it has closed.
func (c *Conductor) watchdog(ctx context.Context) {
	window := c.opts.Runbook.Objectives.Window
	if window <= 0 {
		return
	}
	lead := max(window/10, 5*time.Minute)
	var once [2]sync.Once
	tick := time.NewTicker(c.opts.WatchEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.done:
			return
		case <-tick.C:
		}
		elapsed := c.opts.Now().Sub(c.startedAt())
		if left := window - elapsed; left <= lead && left > 0 {
			once[0].Do(func() {
				c.warn("window", fmt.Sprintf("the maintenance window closes in %s (window %s, elapsed %s)", left.Round(time.Second), window, elapsed.Round(time.Second)))
			})
		}
		if elapsed > window {
			once[1].Do(func() {
				c.warn("window", fmt.Sprintf("the maintenance window of %s has closed (elapsed %s)", window, elapsed.Round(time.Second)))
			})
		}
	}
}

// warn journals an early warning for the room.
func (c *Conductor) warn(kind, msg string) {
	_, _ = c.emit(c.opts.Operator, "", journal.Warning, journal.WarningPayload{Kind: kind, Message: msg})
}

func (c *Conductor) startedAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.StartedAt
}
