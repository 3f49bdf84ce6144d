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
// steers the run. It also reads the writer's heartbeat (LivenessSource).
type Watch struct {
	updates chan journal.State
	live    chan Liveness // buffered 1, the latest judgement
	cancel  context.CancelFunc
	err     error
	judge   livenessJudge
	every   time.Duration // how often the heartbeat is judged
}

var (
	_ engine.Session = (*Watch)(nil)
	_ LivenessSource = (*Watch)(nil)
)

// NewWatch starts following the journal at path, polling it every
// interval (journal.DefaultFollowEvery when every ≤ 0). A journal that does
// not exist yet is waited for; any other read error ends the watch at once
// (Updates closes and Err says why).
func NewWatch(ctx context.Context, path string, every time.Duration, opts ...WatchOption) *Watch {
	ctx, cancel := context.WithCancel(ctx)
	w := &Watch{updates: make(chan journal.State), live: make(chan Liveness, 1), cancel: cancel}
	w.judge, w.every = judgeFor(path, opts)
	s, err := journal.FoldFile(ctx, path) // streamed: a long journal is not held
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.err = err
		cancel()
		close(w.updates)
		close(w.live)
		return w
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

// Liveness implements LivenessSource.
func (w *Watch) Liveness() <-chan Liveness { return w.live }

// Send implements engine.Session: watching is read-only.
func (w *Watch) Send(engine.Command) {}

// Err is why the watch could not start, if it could not.
func (w *Watch) Err() error { return w.err }

// Close stops following; Updates closes.
func (w *Watch) Close() { w.cancel() }

// run folds events as they come and delivers snapshots: the first at
// once, then at most one per watchEvery, always the newest. It ends after
// delivering the state that holds the run's outcome. Every w.every it
// judges the writer's heartbeat and offers the judgement when it changed.
func (w *Watch) run(ctx context.Context, s journal.State, follow <-chan journal.Event) {
	defer close(w.updates)
	defer close(w.live)
	defer w.cancel() // stops Follow once the run has ended
	tick := time.NewTicker(watchEvery)
	defer tick.Stop()
	beat := time.NewTicker(w.every)
	defer beat.Stop()
	var last Liveness
	judged := false
	judge := func() {
		if l, ok := w.judge.judge(s); ok && (!judged || l.changed(last)) {
			last, judged = l, true
			select { // the latest wins
			case <-w.live:
			default:
			}
			w.live <- l
		}
	}
	judge()
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
		case <-beat.C:
			judge()
		case out <- snap:
			out = nil
		case <-ctx.Done():
			return
		}
	}
}

// WatchPlain prints the run in a journal as plain lines, the events so far
// and then each new one as it is appended, until the run ends or ctx does;
// and, between them, the writer's liveness when it changes (Plain.Liveness):
// who writes, that the heartbeat stopped, that it came back. It returns the
// last state, whose Outcome is empty when the run had not ended.
func WatchPlain(ctx context.Context, path string, every time.Duration, p *Plain, opts ...WatchOption) (journal.State, error) {
	judge, beatEvery := judgeFor(path, opts)
	var s journal.State
	err := journal.ScanDecoded(ctx, path, func(e journal.Event, pl any, err error) error { // streamed
		s.ApplyDecoded(e, pl, err)
		p.Event(e, &s)
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	if s.Outcome == "" {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		follow := journal.Follow(ctx, path, s.LastSeq, every)
		beat := time.NewTicker(beatEvery)
		defer beat.Stop()
		var last *Liveness
		judgeNow := func() {
			if l, ok := judge.judge(s); ok {
				p.Liveness(l, last, &s, judge.now())
				last = &l
			}
		}
		judgeNow()
	follow:
		for s.Outcome == "" {
			select {
			case e, ok := <-follow:
				if !ok {
					break follow
				}
				s.Apply(e)
				if last != nil && last.Stopped { // an event is a sign of life: say so before it
					judgeNow()
				}
				p.Event(e, &s)
			case <-beat.C:
				judgeNow()
			}
		}
	}
	p.Summary(s)
	return s, p.Err()
}
