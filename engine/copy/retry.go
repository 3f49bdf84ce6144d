package copy

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/tightrope/tightrope/engine/db"
)

// retry runs op until it succeeds, fails with an error a retry cannot
// cure, or has failed Retries+1 times (the sink's Tuning). Every retry is
// reported to the sink (and so journaled) before the wait. Each attempt is
// bounded by the Tuning's BatchTimeout: op must be a batch or a catalog
// read, short by nature.
func retry(ctx context.Context, sink Sink, table, what string, op func(context.Context) error) error {
	return retryWithin(ctx, sink, table, what, tuningOf(sink).BatchTimeout, op)
}

// retryLong is retry for a statement that may rightly run long (an exact
// count of a large table): its attempts are not bounded in time; a stalled
// server is the caller's watch (the conductor's probe).
func retryLong(ctx context.Context, sink Sink, table, what string, op func(context.Context) error) error {
	return retryWithin(ctx, sink, table, what, 0, op)
}

// retryWithin is retry with each attempt bounded by bound (0: unbounded).
func retryWithin(ctx context.Context, sink Sink, table, what string, bound time.Duration, op func(context.Context) error) error {
	tn := tuningOf(sink)
	wait := tn.RetryWait
	for attempt := 1; ; attempt++ {
		err := attemptWithin(ctx, bound, op)
		if err == nil || !db.IsTransient(err) {
			return err
		}
		if attempt > tn.Retries {
			return fmt.Errorf("%s: gave up after %d attempts: %w", what, attempt, err)
		}
		sink.Retry(table, attempt, wait, fmt.Errorf("%s: %w", what, err))
		if err := tn.Sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, 8*time.Second)
	}
}

// attemptWithin runs one attempt bounded by timeout (0: unbounded). An
// attempt that ran out of time while the run itself goes on is reported as
// a lost connection, so retry treats it like one.
func attemptWithin(ctx context.Context, timeout time.Duration, op func(context.Context) error) error {
	if timeout <= 0 {
		return op(ctx)
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := op(actx)
	if err != nil && ctx.Err() == nil && actx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("no answer within %s: %w", timeout, errNoAnswer)
	}
	return err
}

// errNoAnswer is a batch attempt that timed out; it is transient.
var errNoAnswer = fmt.Errorf("the database did not answer: %w", syscall.ETIMEDOUT)

// load writes a batch with its checkpoint, retrying lost connections. A
// connection lost during COMMIT leaves it unknown whether the batch landed:
// the checkpoint decides — if it already shows this batch, the batch is in.
// The same holds when a write fails for another reason (a duplicate key):
// a COMMIT of the same batch by an interrupted earlier attempt or process
// may have landed after this copy read its checkpoint, and then the
// duplicate is that batch, already in place with its checkpoint.
func load(ctx context.Context, dst db.DB, sink Sink, p *Plan, rows [][]any, m db.Marker) error {
	err := loadRetrying(ctx, dst, sink, p, rows, m)
	if err == nil || ctx.Err() != nil {
		return err
	}
	if got, found, perr := dst.Progress(ctx, m.CopyID, m.Table); perr == nil && found && got.Read >= m.Read {
		return nil
	}
	return err
}

func loadRetrying(ctx context.Context, dst db.DB, sink Sink, p *Plan, rows [][]any, m db.Marker) error {
	first := true
	return retry(ctx, sink, p.Name, "writing a batch", func(ctx context.Context) error {
		if !first {
			got, found, err := dst.Progress(ctx, m.CopyID, m.Table)
			if err != nil {
				return err
			}
			if found && got.Read >= m.Read {
				return nil // the lost commit had landed
			}
		}
		first = false
		return dst.LoadBatch(ctx, p.Target, p.Cols, rows, m)
	})
}
