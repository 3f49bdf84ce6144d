// Package notify carries out a runbook's communication plan: it sends the
// journal events each `notify:` entry names to a command (the event as
// JSON on stdin) or a webhook (a JSON POST). Notifications go out one at a
// time, in order, from a goroutine of the dispatcher's own, so a slow or
// hung notifier never holds up the run, nor a rollback.
package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// DefaultTimeout bounds one notification (a command run, or a POST with its
// retry) when Options.Timeout is not set.
const DefaultTimeout = 10 * time.Second

// QueueSize is how many notifications may wait; beyond it the oldest is
// dropped.
const QueueSize = 256

// Error texts recorded for notifications that were never attempted.
const (
	ErrTextDropped = "queue full: notification dropped"
	ErrTextClosed  = "dispatcher closed: notification not delivered"
)

// maxDropRecords bounds the drop records waiting for the worker; further
// drops are counted and reported in one record.
const maxDropRecords = 1024

var errClosed = errors.New("cancelled: dispatcher closed")

// Options configure a Dispatcher.
type Options struct {
	BaseDir     string        // working directory of commands (the runbook's directory)
	Timeout     time.Duration // per notification; DefaultTimeout when zero
	Secrets     []string      // redacted from what is sent and what is recorded
	MigrationID string        // sent with every event
	RunbookName string        // sent with every event, as run.runbook
	Mode        string        // live | drill; sent as run.mode, and to commands as TIGHTROPE_MODE
	// Record receives the outcome of every notification, attempted or
	// dropped, on the dispatcher's goroutine; the conductor journals it.
	// Record is never called after Close returns.
	Record     func(journal.NotifiedPayload)
	HTTPClient *http.Client // for webhooks; a plain client when nil
	// Down, set by a drill's notifier-down fault, fails every delivery with
	// this error without running the command or posting.
	Down error
}

// Dispatcher delivers events to the notify entries that name them. Its
// methods are safe for concurrent use; a nil *Dispatcher does nothing.
type Dispatcher struct {
	opts       Options
	targets    []target
	client     *http.Client
	retryDelay time.Duration // before a webhook's one retry

	ctx    context.Context // cancelled when Close gives up: aborts the notification in flight
	cancel context.CancelFunc
	wake   chan struct{} // a token whenever there is work or Close was called
	done   chan struct{} // closed when the worker has stopped

	mu      sync.Mutex
	queue   []job
	drops   []journal.NotifiedPayload // to record, oldest first
	lost    int                       // drops beyond maxDropRecords
	last    journal.NotifiedPayload   // the latest of those
	closing bool
}

// target is one usable notify entry.
type target struct {
	match matcher
	exec  string
	url   string
	label string // the command or URL, redacted, for records
}

// job is one notification waiting: one event for one target.
type job struct {
	ev *event
	t  *target
}

// event is an event to notify, shared by its jobs; the worker encodes it
// once, on first use.
type event struct {
	journal.Event
	body []byte
	err  error
}

// New returns a dispatcher for the notify entries and starts its worker.
// Entries with neither a command nor a URL, or whose `on` names nothing
// notifiable (see Check), are ignored. Call Close to stop it.
func New(entries []runbooks.Notify, opts Options) *Dispatcher {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	d := &Dispatcher{
		opts:       opts,
		client:     opts.HTTPClient,
		retryDelay: time.Second,
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
	}
	if d.client == nil {
		d.client = &http.Client{}
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	for _, n := range entries {
		t := target{match: compile(n.On), exec: n.Exec, url: n.URL}
		if t.match.empty() || (t.exec == "") == (t.url == "") {
			continue
		}
		t.label = journal.RedactText(t.exec+t.url, opts.Secrets)
		d.targets = append(d.targets, t)
	}
	if len(d.targets) == 0 {
		close(d.done) // nothing will ever be sent
		return d
	}
	go d.work()
	return d
}

// Notify queues e for every entry that names it and returns at once: it
// never waits for a notifier. When the queue is full the oldest waiting
// notification is dropped (and recorded as failed). After Close, Notify
// does nothing.
func (d *Dispatcher) Notify(e journal.Event) {
	if d == nil || len(d.targets) == 0 {
		return
	}
	var ev *event
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return
	}
	for i := range d.targets {
		t := &d.targets[i]
		if !t.match.match(e) {
			continue
		}
		if ev == nil {
			e.Payload = bytes.Clone(e.Payload) // the caller may reuse its buffer
			ev = &event{Event: e}
		}
		if len(d.queue) >= QueueSize {
			d.dropLocked(d.queue[0])
			d.queue = d.queue[1:]
		}
		d.queue = append(d.queue, job{ev: ev, t: t})
	}
	if ev != nil {
		d.signal()
	}
}

// Close stops taking notifications, waits for those queued to be delivered
// until ctx ends, then cancels the one in flight, records the rest as not
// delivered, and stops the worker. It returns ctx's error when it had to
// give up. Closing twice is harmless.
func (d *Dispatcher) Close(ctx context.Context) error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	d.closing = true
	d.mu.Unlock()
	d.signal()
	select {
	case <-d.done:
		d.cancel()
		return nil
	case <-ctx.Done():
		d.cancel()
		<-d.done
		return fmt.Errorf("notify: closing: %w", ctx.Err())
	}
}

// signal wakes the worker without ever blocking.
func (d *Dispatcher) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// dropLocked notes j as dropped; d.mu is held.
func (d *Dispatcher) dropLocked(j job) {
	r := journal.NotifiedPayload{Event: j.ev.Type, Seq: j.ev.Seq, Target: j.t.label, Error: ErrTextDropped}
	if len(d.drops) < maxDropRecords {
		d.drops = append(d.drops, r)
		return
	}
	d.lost++
	d.last = r
}

// work is the worker: it records drops and delivers jobs, in order, until
// Close was called and the queue is empty.
func (d *Dispatcher) work() {
	defer close(d.done)
	for {
		d.mu.Lock()
		drops, lost, last := d.drops, d.lost, d.last
		d.drops, d.lost = nil, 0
		j, ok := job{}, len(d.queue) > 0
		if ok {
			j, d.queue = d.queue[0], d.queue[1:]
		}
		closing := d.closing
		d.mu.Unlock()

		for _, r := range drops {
			d.record(r)
		}
		if lost > 0 {
			last.Error = fmt.Sprintf("%s (and %d more not recorded one by one)", ErrTextDropped, lost-1)
			d.record(last)
		}
		switch {
		case ok:
			d.record(d.deliver(j))
		case closing:
			return
		default:
			<-d.wake
		}
	}
}

// deliver makes one notification and says how it went.
func (d *Dispatcher) deliver(j job) journal.NotifiedPayload {
	r := journal.NotifiedPayload{Event: j.ev.Type, Seq: j.ev.Seq, Target: j.t.label}
	if d.ctx.Err() != nil {
		r.Error = ErrTextClosed
		return r
	}
	start := time.Now()
	if j.ev.body == nil && j.ev.err == nil {
		j.ev.body, j.ev.err = encode(j.ev.Event, d.opts)
	}
	err := j.ev.err
	if err == nil && d.opts.Down != nil {
		err = d.opts.Down
	} else if err == nil {
		ctx, cancel := context.WithTimeout(d.ctx, d.opts.Timeout)
		if j.t.exec != "" {
			err = d.runExec(ctx, j.t.exec, j.ev.body, j.ev.Event)
		} else {
			err = d.post(ctx, j.t.url, j.ev.body)
		}
		cancel()
	}
	r.DurationMS = time.Since(start).Milliseconds()
	r.OK = err == nil
	if err != nil {
		r.Error = journal.RedactText(err.Error(), d.opts.Secrets)
	}
	return r
}

// record hands r to Options.Record, if any.
func (d *Dispatcher) record(r journal.NotifiedPayload) {
	if d.opts.Record != nil {
		d.opts.Record(r)
	}
}
