package copy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/db"
)

type retrySink struct {
	Sink
	retries int
}

func (s *retrySink) Retry(string, int, time.Duration, error) { s.retries++ }

// TestASilentConnectionIsRetriedThenSurfaced: an attempt that never
// answers (a partition: the socket stays open, nothing comes back) times
// out, is retried like a dropped connection, and fails the copy in bounded
// time instead of stalling it.
func TestASilentConnectionIsRetriedThenSurfaced(t *testing.T) {
	defer func(b time.Duration, w time.Duration, r int) { BatchTimeout, RetryWait, Retries = b, w, r }(BatchTimeout, RetryWait, Retries)
	BatchTimeout, RetryWait, Retries = 50*time.Millisecond, time.Millisecond, 3
	sink := &retrySink{}
	attempts := 0
	start := time.Now()
	err := retry(context.Background(), sink, "orders", "writing a batch", func(ctx context.Context) error {
		attempts++
		<-ctx.Done() // the server never answers
		return ctx.Err()
	})
	if err == nil || !strings.Contains(err.Error(), "no answer within") || !db.IsTransient(err) {
		t.Fatalf("err %v", err)
	}
	if attempts != 4 || sink.retries != 3 {
		t.Errorf("%d attempts, %d retries reported", attempts, sink.retries)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s", took)
	}
}

// TestACancelledRunIsNotRetried: the run's own cancellation is final.
func TestACancelledRunIsNotRetried(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sink := &retrySink{}
	err := retry(ctx, sink, "orders", "reading a batch", func(ctx context.Context) error { return ctx.Err() })
	if !errors.Is(err, context.Canceled) || sink.retries != 0 {
		t.Fatalf("err %v, %d retries", err, sink.retries)
	}
}
