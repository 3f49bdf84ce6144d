package tui

import "time"

// WatchOption configures NewWatch and WatchPlain.
type WatchOption func(*watchConfig)

// watchConfig is how a watch judges the writer's liveness.
type watchConfig struct {
	staleAfter time.Duration
	leaseEvery time.Duration
	now        func() time.Time
}

// WithStaleAfter sets how long without a sign of life from the writer
// (heartbeat or event) before the watch says the run has stopped
// (DefaultStaleAfter).
func WithStaleAfter(d time.Duration) WatchOption {
	return func(c *watchConfig) { c.staleAfter = d }
}

// WithLeaseEvery sets how often the lease file's heartbeat is read
// (DefaultLeaseEvery).
func WithLeaseEvery(d time.Duration) WatchOption {
	return func(c *watchConfig) { c.leaseEvery = d }
}

// WithWatchClock replaces time.Now for judging the heartbeat's age.
func WithWatchClock(now func() time.Time) WatchOption {
	return func(c *watchConfig) { c.now = now }
}

// judgeFor applies opts over the defaults.
func judgeFor(path string, opts []WatchOption) (livenessJudge, time.Duration) {
	c := watchConfig{staleAfter: DefaultStaleAfter, leaseEvery: DefaultLeaseEvery, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if c.staleAfter <= 0 {
		c.staleAfter = DefaultStaleAfter
	}
	if c.leaseEvery <= 0 {
		c.leaseEvery = DefaultLeaseEvery
	}
	if c.now == nil {
		c.now = time.Now
	}
	return livenessJudge{path: path, staleAfter: c.staleAfter, now: c.now}, c.leaseEvery
}
