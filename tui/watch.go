package tui

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

// watchEvery is how often a Watch delivers a snapshot at most: ten a
// second, the latest winning, like a live run.
const watchEvery = 100 * time.Millisecond

// Watch follows a run that another process is writing, read-only: it folds
// the journal's events so far, then follows the file and folds each new
// event, delivering State snapshots on Updates (at most ten a second, the
// latest winning). Updates closes once the run's end has been delivered,
// or when the context ends. Commands are ignored: a second terminal never
// steers the run.
type Watch struct {
	updates chan journal.State
	cancel  context.CancelFunc
	err     error
}

var _ engine.Session = (*Watch)(nil)

// NewWatch starts following the journal at path, polling it every
// interval (journal.DefaultFollowEvery when every ≤ 0). A journal that does
// not exist yet is waited for; any other read error ends the watch at once
// (Updates closes and Err says why).
func NewWatch(ctx context.Context, path string, every time.Duration) *Watch {
	ctx, cancel := context.WithCancel(ctx)
	w := &Watch{updates: make(chan journal.State), cancel: cancel}
	events, err := journal.ReadAll(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.err = err
		cancel()
		close(w.updates)
		return w
	}
	var s journal.State
	for _, e := range events {
		s.Apply(e)
	}
	var follow <-chan journal.Event
	if s.Outcome == "" {
		follow = journal.Follow(ctx, path, s.LastSeq, every)
	}
	go w.run(ctx, s, follow)
	return w
}

// Updates implements engine.Session.
func (w *Watch) Updates() <-chan journal.State { return w.updates }

// Send implements engine.Session: watching is read-only.
func (w *Watch) Send(engine.Command) {}

// Err is why the watch could not start, if it could not.
func (w *Watch) Err() error { return w.err }

// Close stops following; Updates closes.
func (w *Watch) Close() { w.cancel() }

// run folds events as they come and delivers snapshots: the first at
// once, then at most one per watchEvery, always the newest. It ends after
// delivering the state that holds the run's outcome.
func (w *Watch) run(ctx context.Context, s journal.State, follow <-chan journal.Event) {
	defer close(w.updates)
	defer w.cancel() // stops Follow once the run has ended
	tick := time.NewTicker(watchEvery)
	defer tick.Stop()
	snap, out := s.Clone(), w.updates // a snapshot waiting to be taken, if out is set
	dirty := false
	for {
		if follow == nil && !dirty && out == nil {
			return // the run has ended and its last state was delivered
		}
		select {
		case e, ok := <-follow:
			if !ok { // ctx ended
				return
			}
			s.Apply(e)
			dirty = true
			if s.Outcome != "" {
				follow = nil
			}
		case <-tick.C:
			if dirty {
				snap, out, dirty = s.Clone(), w.updates, false
			}
		case out <- snap:
			out = nil
		case <-ctx.Done():
			return
		}
	}
}

// WatchPlain prints the run in a journal as plain lines, the events so far
// and then each new one as it is appended, until the run ends or ctx does.
// It returns the last state, whose Outcome is empty when the run had not
// ended.
func WatchPlain(ctx context.Context, path string, every time.Duration, p *Plain) (journal.State, error) {
	var s journal.State
	events, err := journal.ReadAll(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	for _, e := range events {
		s.Apply(e)
		p.Event(e, &s)
	}
	if s.Outcome == "" {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for e := range journal.Follow(ctx, path, s.LastSeq, every) {
			s.Apply(e)
			p.Event(e, &s)
			if s.Outcome != "" {
				break
			}
		}
	}
	p.Summary(s)
	return s, p.Err()
}
