package copy

import (
	"context"
	"time"
)

// Tuning is the copier's patience with a lost or silent connection. Zero
// fields take the defaults (DefaultTuning); tests shorten the waits.
type Tuning struct {
	// Retries is how often a batch read or write is retried after a lost
	// connection before the copy fails; the waits double from RetryWait.
	Retries   int
	RetryWait time.Duration
	// BatchTimeout bounds one attempt at reading or writing a batch. A
	// connection that stays open but never answers (a network partition)
	// is then retried like a dropped one instead of stalling the run.
	BatchTimeout time.Duration
	// BatchTarget is the time a batch sized by the engine aims at (the
	// runbook names no batch); it is held to a sixteenth of BatchTimeout.
	BatchTarget time.Duration
	// Sleep waits between retries; nil waits on a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultTuning is what a copy uses when nothing says otherwise.
var DefaultTuning = Tuning{Retries: 6, RetryWait: 250 * time.Millisecond, BatchTimeout: 2 * time.Minute, BatchTarget: 250 * time.Millisecond}

// Tuner is implemented by a Sink that tunes the copy it receives (the
// conductor's sink passes on engine.Options.Copy).
type Tuner interface {
	Tuning() Tuning
}

// tuningOf is the sink's tuning with defaults filled in.
func tuningOf(sink Sink) Tuning {
	var t Tuning
	if tn, ok := sink.(Tuner); ok {
		t = tn.Tuning()
	}
	if t.Retries <= 0 {
		t.Retries = DefaultTuning.Retries
	}
	if t.RetryWait <= 0 {
		t.RetryWait = DefaultTuning.RetryWait
	}
	if t.BatchTimeout <= 0 {
		t.BatchTimeout = DefaultTuning.BatchTimeout
	}
	if t.BatchTarget <= 0 {
		t.BatchTarget = DefaultTuning.BatchTarget
	}
	if t.Sleep == nil {
		t.Sleep = sleep
	}
	return t
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
