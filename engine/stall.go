package engine

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// A stalled connection is one that stays open but carries nothing (a
// network partition, a black-holed route). The runbook's
// objectives.stall_timeout (default 30s) bounds how long any step waits on
// one: a connect attempt, a copy batch (copy.Tuning.BatchTimeout), and —
// for steps whose statements may rightly run long (verify, snapshot,
// restore, sql) — the liveness probe that pings the step's databases while
// it runs. A stall is retried like the copy's lost connections where
// running again is safe (connect, verify, snapshot), then reported.

// errStalled is the cause of a step cancelled because a database stopped
// answering; it is transient (db.IsTransient), like a timed-out batch.
var errStalled = fmt.Errorf("the database stopped answering: %w", syscall.ETIMEDOUT)

// stall is the runbook's stall timeout.
func (c *Conductor) stall() time.Duration { return c.opts.Runbook.Objectives.Stall() }

// copyTuning is Options.Copy with the batch bound taken from the
// runbook's stall timeout unless the options set one.
func (c *Conductor) copyTuning() copyengine.Tuning {
	t := c.opts.Copy
	if t.BatchTimeout <= 0 {
		t.BatchTimeout = c.stall()
	}
	return t
}

// retries is how often a stalled or lost connection is retried, and the
// first wait: the copy's tuning.
func (c *Conductor) retries() (int, time.Duration) {
	t := c.opts.Copy
	n, wait := t.Retries, t.RetryWait
	if n <= 0 {
		n = copyengine.DefaultTuning.Retries
	}
	if wait <= 0 {
		wait = copyengine.DefaultTuning.RetryWait
	}
	return n, wait
}

// retrying runs op until it succeeds, fails for a reason a retry cannot
// cure, or stalled or lost its connection more often than the copy
// retries; every retry is journaled with its reason.
func (c *Conductor) retrying(ctx context.Context, stepID, what string, op func(context.Context) error) error {
	return c.retryingIf(ctx, stepID, what, db.IsTransient, op)
}

// listTables lists d's tables, a lost connection retried.
func (c *Conductor) listTables(ctx context.Context, stepID string, d db.DB) ([]string, error) {
	var tables []string
	err := c.retrying(ctx, stepID, "listing the tables of "+d.Describe(), func(ctx context.Context) (err error) {
		tables, err = d.Tables(ctx)
		return err
	})
	return tables, err
}

// isStall tells a stall noticed by a probe.
func isStall(err error) bool { return errors.Is(err, errStalled) }

// retryingIf is retrying for the errors retryable accepts.
func (c *Conductor) retryingIf(ctx context.Context, stepID, what string, retryable func(error) bool, op func(context.Context) error) error {
	n, wait := c.retries()
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil || ctx.Err() != nil || !retryable(err) {
			return err
		}
		if attempt > n {
			return fmt.Errorf("%s: gave up after %d attempts: %w", what, attempt, err)
		}
		c.logf(stepID, "warn", "%s: %v — retry %d in %s", what, err, attempt, wait)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait = min(2*wait, 8*time.Second)
	}
}

// guarded runs op while probing dbs: every half stall timeout each is
// pinged, and a ping unanswered within half the stall timeout cancels op
// and returns errStalled at once — so a stall is noticed within the stall
// timeout however long op's own statements rightly take, and without
// waiting for a driver to give up on a silent socket (op ends in the
// background; its result is dropped). Every stall timeout op runs, a
// heartbeat line is journaled (plain mode prints it). SQLite files are
// not probed.
func guarded[T any](ctx context.Context, c *Conductor, stepID, what string, dbs []db.DB, op func(context.Context) (T, error)) (T, error) {
	return guardWith(ctx, c, stepID, what, dbs, false, op)
}

// guardWith is guarded; with owned, op owns what it writes (a copy and its
// checkpoints): a stall cancels it and waits for it to end, so no two
// attempts ever run at once, and no probe runs while the run waits for a
// decision (nothing is read or written then, and a human may take hours).
func guardWith[T any](ctx context.Context, c *Conductor, stepID, what string, dbs []db.DB, owned bool, op func(context.Context) (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	stall := c.stall()
	octx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan result, 1) // an abandoned op still has room to send
	go func() {
		v, err := op(octx)
		done <- result{v, err}
	}()
	probe := time.NewTicker(stall / 2)
	defer probe.Stop()
	start := time.Now()
	lastBeat := start
	for {
		select {
		case r := <-done:
			return r.v, r.err
		case <-probe.C:
			if owned && c.deciding() {
				continue
			}
			if err := c.probe(ctx, dbs, stall/2); err != nil {
				stalled := fmt.Errorf("%s: %w", err, errStalled)
				if owned {
					cancel()
					r := <-done // ends with the cancelled context's error
					return r.v, stalled
				}
				var zero T
				return zero, stalled
			}
			if now := time.Now(); now.Sub(lastBeat) >= stall {
				lastBeat = now
				c.logf(stepID, "info", "%s: still running after %s; the databases answer", what, now.Sub(start).Round(time.Second))
			}
		}
	}
}

// guard is guarded for an op without a result.
func (c *Conductor) guard(ctx context.Context, stepID, what string, dbs []db.DB, op func(context.Context) error) error {
	_, err := guarded(ctx, c, stepID, what, dbs, func(ctx context.Context) (struct{}, error) { return struct{}{}, op(ctx) })
	return err
}

// deciding tells whether the run waits for a person.
func (c *Conductor) deciding() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.Pending != nil
}

// probe pings each server database within timeout.
func (c *Conductor) probe(ctx context.Context, dbs []db.DB, timeout time.Duration) error {
	for _, d := range dbs {
		if d == nil || d.Driver() == db.SQLite {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		err := d.SQL().PingContext(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("%s did not answer a ping within %s", d.Describe(), timeout)
		}
	}
	return nil
}

// open opens a connection, each attempt bounded by the stall timeout and
// a stalled or lost attempt retried.
func (c *Conductor) open(ctx context.Context, conn runbooks.Connection) (db.DB, error) {
	stall := c.stall()
	var d db.DB
	err := c.retrying(ctx, "", fmt.Sprintf("connecting to %s", conn.Name), func(ctx context.Context) error {
		actx, cancel := context.WithTimeout(ctx, stall)
		defer cancel()
		var err error
		d, err = db.Open(actx, conn, c.opts.BaseDir)
		if err != nil && ctx.Err() == nil && actx.Err() != nil {
			return fmt.Errorf("connection %q: no answer within %s: %w", conn.Name, stall, errStalled)
		}
		return err
	})
	return d, err
}
