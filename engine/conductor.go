// Package engine is the hands of tightrope: the conductor walks a runbook,
// runs each step's action, evaluates the rollback triggers, waits for the
// decision-maker, and appends every event to the journal before folding it
// into the State the console renders. It never imports the console.
package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/notify"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// Version is the tool version recorded in every journal; main sets it.
var Version = "dev"

// Options configure a Conductor.
type Options struct {
	Runbook  *runbooks.Runbook
	Journal  *journal.Store
	State    journal.State // the fold of the journal so far (a resumed run); zero for a new run
	Operator string        // who is at the keyboard (--as)
	BaseDir  string        // resolves SQLite paths and is the shell steps' working directory
	// SnapshotDir holds snapshot artefacts; default: "snapshots" beside the journal.
	SnapshotDir string
	// AutoDecide answers manual steps, gates and triggers for scripted runs:
	// "" (ask a person), "continue" or "rollback".
	AutoDecide string
	// OnRerun answers the rerun question of a resumed run for scripted
	// runs: "rerun" or "skip"; "" leaves it to a person.
	OnRerun string
	// OnEvent sees every event after it was folded (plain mode prints it).
	// It is called with the conductor's lock held: it must not call back.
	OnEvent func(journal.Event, *journal.State)
	// Observer: the operator is not the decision-maker and confirmed going
	// on as an observer-operator; the run journals that before its first
	// step.
	Observer bool
	// Now is the clock; default time.Now.
	Now func() time.Time
	// WatchEvery is how often the watchdog looks at the clock; default 1s.
	WatchEvery time.Duration
	// NotifyDrain is how long the end of a run waits for queued
	// notifications; default 15s.
	NotifyDrain time.Duration
	// Copy tunes the copier's retries and bounds; zero fields take the
	// copier's defaults (tests shorten them).
	Copy copyengine.Tuning
	// RetryFailed: the journal's run ended failed and the decision-maker,
	// the operator, chose to run its failed step again (resume
	// --retry-failed). Without it a failed run is not resumed.
	RetryFailed bool
	// Faults injects a drill's faults around the steps (see Faults); nil
	// in a live run.
	Faults Faults
}

// Conductor runs one runbook. Create it with New, start it with Run, and
// drive it with Send; Updates streams state snapshots to a console.
type Conductor struct {
	opts Options

	appendMu sync.Mutex // serialises journal appends, so events fold in seq order
	mu       sync.Mutex // guards state, dirty and changed; never held across a disk write
	state    journal.State
	dirty    bool
	changed  chan struct{} // closed and replaced at every fold: waiters re-read the state

	cmds    chan Command
	answers chan Command
	updates chan journal.State
	done    chan struct{}

	decideMu  sync.Mutex   // one decision at a time (parallel copies may trigger together)
	askMu     sync.Mutex   // one question awaiting an answer at a time (await)
	overrunMu sync.Mutex   // one overrun check at a time
	hold      sync.RWMutex // write-locked while a decision is pending: every copy waits at its next batch
	tallyMu   sync.Mutex
	tally     tally // the copy's committed counters (settle.go)

	dbsMu sync.Mutex
	dbs   map[string]db.DB

	notifier *notify.Dispatcher
	notifyMu sync.Mutex
	failing  map[string]int // consecutive failures per notifier target

	cdc    cdcStreams      // change streams the run started (cdc_stream.go)
	runCtx context.Context // the run's context, which the streams live as long as

	abortOnce sync.Once
	abort     context.CancelFunc
	aborted   atomic.Bool
}

// ErrRollback is returned by a step action when the run must roll back:
// a gate answered no-go or a trigger decided rollback.
var ErrRollback = errors.New("rollback decided")

// errSkipped ends a waiting step the decision-maker chose to skip.
var errSkipped = errors.New("skipped")

// errAborted stops the run without a rollback, at the operator's request.
var errAborted = errors.New("aborted by the operator")

// New prepares a conductor. The journal must already hold the run_started
// event (journal.Create writes it), folded into opts.State.
func New(opts Options) *Conductor {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SnapshotDir == "" {
		opts.SnapshotDir = filepath.Join(filepath.Dir(opts.Journal.Path()), "snapshots")
	}
	if opts.WatchEvery <= 0 {
		opts.WatchEvery = time.Second
	}
	if opts.NotifyDrain <= 0 {
		opts.NotifyDrain = 15 * time.Second
	}
	return &Conductor{
		opts:    opts,
		state:   opts.State,
		changed: make(chan struct{}),
		cmds:    make(chan Command, 64),
		answers: make(chan Command, 1),
		updates: make(chan journal.State, 1),
		done:    make(chan struct{}),
		failing: map[string]int{},
		dbs:     map[string]db.DB{},
	}
}

// ErrNotDecisionMaker is returned by Run, before the first step, when
// --auto-decide would answer for someone who is not the decision-maker.
var ErrNotDecisionMaker = errors.New("not the decision-maker")

// CheckAutoDecide refuses scripted answers given in anyone's name but the
// decision-maker's; the command line applies it before it creates or opens
// a journal, and Run again before the first step.
func CheckAutoDecide(rb *runbooks.Runbook, operator, autoDecide string) error {
	if autoDecide == "" || rb.DecisionMaker == "" || operator == rb.DecisionMaker {
		return nil
	}
	return fmt.Errorf("%w: --auto-decide answers gates and triggers in the name of whoever runs it, "+
		"and only %s may decide this runbook (this is %s): start it as --as %s, or without --auto-decide as an observer-operator",
		ErrNotDecisionMaker, rb.DecisionMaker, operator, rb.DecisionMaker)
}

// Updates streams state snapshots, about ten a second while things change;
// it is closed after the final state.
func (c *Conductor) Updates() <-chan journal.State { return c.updates }

// Send queues an operator command; commands are journaled with their actor.
func (c *Conductor) Send(cmd Command) {
	select {
	case c.cmds <- cmd:
	case <-c.done:
	}
}

// State returns a copy of the current state.
func (c *Conductor) State() journal.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.Clone()
}

// Interrupted is Run's outcome when its context was cancelled from outside
// (the console closed, SIGINT, SIGTERM): the journal gets no run_finished,
// so the run can be resumed. It is never written to the journal.
const Interrupted = "interrupted"

// Run walks the runbook to its end, a rollback, a failure or an abort, and
// returns the outcome (journal.Outcome*). The journal ends with
// run_finished — unless the run was interrupted from outside, which leaves
// it resumable, like a crash would, but with a log line saying so.
func (c *Conductor) Run(parent context.Context) (string, error) {
	defer close(c.done) // the one place done is closed: publish sends the final state and stops
	go c.publish()
	if err := CheckAutoDecide(c.opts.Runbook, c.opts.Operator, c.opts.AutoDecide); err != nil {
		return journal.OutcomeFailed, err
	}
	ctx, cancel := context.WithCancel(parent)
	c.abort = cancel
	c.runCtx = ctx
	defer cancel()
	defer c.stopCDC() // already stopped before run_finished; this covers early returns
	c.startNotifier()
	go c.serveCommands(ctx)
	go c.watchdog(ctx)
	defer c.closeDBs()
	start := c.opts.Now()
	reopened := false
	if c.state.LastSeq > 1 {
		p := journal.RunResumedPayload{Operator: c.opts.Operator, ToolVersion: Version, FromSeq: c.state.LastSeq}
		if c.state.Outcome != "" {
			step, err := c.reopen()
			if err != nil {
				return journal.OutcomeFailed, err
			}
			p.Reopened, p.RetryStep, reopened = true, step, true
		}
		if _, err := c.emit(c.opts.Operator, "", journal.RunResumed, p); err != nil {
			return journal.OutcomeFailed, err
		}
		c.resumePaused()
	}
	if c.opts.Observer {
		c.logf("", "warn", "%s is not the decision-maker (%s) and goes on as observer-operator: only %s can answer gates and triggers",
			c.opts.Operator, c.opts.Runbook.DecisionMaker, c.opts.Runbook.DecisionMaker)
	}
	var outcome string
	var runErr error
	if c.state.LastSeq <= 1 || reopened { // a retried failed run checks again what failed it may
		if err := c.preflight(ctx); err != nil {
			c.logf("", "error", "%v", err)
			outcome, runErr = journal.OutcomeFailed, err
		}
	}
	if runErr == nil && c.state.LastSeq > 1 {
		if err := c.resumeCDC(ctx); err != nil {
			c.logf("", "error", "restarting change capture: %v", err)
			outcome, runErr = journal.OutcomeFailed, err
		}
	}
	if runErr == nil {
		outcome, runErr = c.walk(ctx)
	}
	c.stopCDC() // the streams end with the run: what they spooled and applied is in the journal
	if c.aborted.Load() {
		outcome, runErr = journal.OutcomeAborted, errAborted
	} else if parent.Err() != nil {
		c.logf("", "warn", "interrupted by %s (%s): resume with tightrope resume", c.opts.Operator, interruptCause(parent))
		c.stopNotifier()
		return Interrupted, fmt.Errorf("interrupted: %w", parent.Err())
	}
	c.warnStillFrozen(outcome)
	msg := ""
	if runErr != nil {
		msg = runErr.Error()
	}
	_, err := c.emit(c.opts.Operator, "", journal.RunFinished, journal.RunFinishedPayload{
		Outcome: outcome, Error: msg, DurationMS: c.opts.Now().Sub(start).Milliseconds(),
	})
	c.stopNotifier()
	return outcome, errors.Join(runErr, err)
}

// runContext is the run's context (the one streams live as long as), or
// ctx outside Run.
func (c *Conductor) runContext(ctx context.Context) context.Context {
	if c.runCtx != nil {
		return c.runCtx
	}
	return ctx
}

// walk runs the steps in order, skipping those a previous process finished
// or the decision-maker skipped; a failed step may be retried.
func (c *Conductor) walk(ctx context.Context) (string, error) {
	if c.isRollingBack() { // the last process died during the rollback: finish it
		return c.rollback(ctx, "resuming the interrupted rollback")
	}
	if err := c.askAgain(ctx); errors.Is(err, ErrRollback) {
		return c.rollback(ctx, err.Error())
	} else if err != nil {
		return journal.OutcomeFailed, err
	}
	for i := 0; i < len(c.opts.Runbook.Steps); i++ {
		step := c.opts.Runbook.Steps[i]
		if st := c.stepState(step.ID, false); c.passed(step, st) {
			continue
		}
		if err := c.safePoint(ctx, step.ID); errors.Is(err, ErrRollback) {
			return c.rollback(ctx, err.Error())
		} else if err != nil {
			return journal.OutcomeAborted, err
		}
		st := c.stepState(step.ID, false)
		if st.SkipRequest != "" { // asked for before the step started, maybe by an earlier process
			if _, err := c.emit(st.SkipRequestedBy, step.ID, journal.StepSkipped, journal.ControlPayload{Reason: st.SkipRequest}); err != nil {
				return journal.OutcomeFailed, err
			}
			continue
		}
		if st.Interrupted && hasSideEffects(step) && st.Rerun != journal.ChoiceRerun {
			again, err := c.askRerun(ctx, step)
			if err != nil {
				return journal.OutcomeFailed, err
			}
			if !again {
				continue
			}
		}
		err := c.runStep(ctx, step, false)
		switch {
		case err == nil, errors.Is(err, errSkipped):
		case errors.Is(err, ErrRollback):
			return c.rollback(ctx, err.Error())
		case c.aborted.Load() || ctx.Err() != nil:
			return journal.OutcomeAborted, err
		default:
			next, err := c.afterFailure(ctx, step, err)
			switch next {
			case "":
			case retryStep:
				i--
			case journal.OutcomeRolledBack:
				return c.rollback(ctx, err.Error())
			default:
				return next, err
			}
		}
	}
	if err := c.settleStreams(ctx); errors.Is(err, ErrRollback) { // a stream's question is answered before the end
		return c.rollback(ctx, err.Error())
	} else if err != nil {
		return journal.OutcomeAborted, err
	}
	return journal.OutcomeFinished, nil
}

// passed tells the steps the walk goes past: done or skipped, or failed
// and already dealt with — waived by the decision-maker, or left behind by
// on_failure: continue.
func (c *Conductor) passed(step runbooks.Step, st journal.StepState) bool {
	switch st.Status {
	case journal.StatusDone, journal.StatusSkipped:
		return true
	case journal.StatusFailed:
		return st.Waived || (!c.opts.Runbook.Triggers.StepFailed && step.OnFailure == runbooks.OnFailureContinue)
	}
	return false
}

// askAgain asks the decision-maker again the trigger question that was
// pending when the last process stopped, before anything else runs: the
// evidence is the one frozen then. A "continue" leaves its limit in the
// journal, so the trigger does not fire again for the same numbers.
func (c *Conductor) askAgain(ctx context.Context) error {
	var u *journal.Pending
	c.withState(func(s *journal.State) {
		if s.Unanswered != nil && s.Unanswered.Trigger != nil {
			p := *s.Unanswered
			u = &p
		}
	})
	if u == nil {
		return nil
	}
	c.logf(u.StepID, "warn", "the last process stopped while %s waited for a decision on %s: asking again", u.Who, u.Trigger.Trigger)
	c.decideMu.Lock()
	defer c.decideMu.Unlock()
	answer, err := c.await(ctx, u.StepID, u.AwaitingPayload, u.Trigger)
	if err != nil {
		return err
	}
	if answer.Choice == journal.ChoiceRollback {
		return fmt.Errorf("%s: %w", u.Trigger.Trigger, ErrRollback)
	}
	return nil
}

// retryStep is afterFailure's answer for "run the failed step again".
const retryStep = "retry"

// afterFailure applies the step_failed trigger and the step's on_failure
// policy. It returns "" to go on, retryStep, or the outcome that ends the
// walk.
func (c *Conductor) afterFailure(ctx context.Context, step runbooks.Step, failure error) (string, error) {
	if c.opts.Runbook.Triggers.StepFailed {
		answer, err := c.raise(ctx, step.ID, func() (journal.TriggerPayload, bool) {
			return journal.TriggerPayload{
				Trigger: runbooks.TriggerStepFailed, Observed: 1, Threshold: 0,
				Message:  fmt.Sprintf("step %s failed: %v", step.ID, failure),
				Evidence: c.evidence(),
			}, true
		})
		if err != nil {
			return journal.OutcomeFailed, err
		}
		switch answer.Choice {
		case journal.ChoiceRollback:
			return journal.OutcomeRolledBack, fmt.Errorf("step %s failed: %v", step.ID, failure)
		case journal.ChoiceRetry:
			return retryStep, nil
		}
		return "", nil
	}
	switch step.OnFailure {
	case runbooks.OnFailureContinue:
		c.logf(step.ID, "warn", "step failed; on_failure: continue")
		return "", nil
	case runbooks.OnFailureRollback:
		return journal.OutcomeRolledBack, fmt.Errorf("step %s failed: %v", step.ID, failure)
	default:
		return journal.OutcomeFailed, fmt.Errorf("step %s failed: %w", step.ID, failure)
	}
}

// hasSideEffects tells the steps that must not run twice unasked; the
// runbooks kind registry says which (shell, sql and switch steps not
// declared idempotent). Copy resumes from its checkpoint; verify and
// snapshot simply run again.
func hasSideEffects(step runbooks.Step) bool {
	return step.HasSideEffects()
}

// askRerun asks whether a step that was running when the last process
// stopped should run again. Any operator may answer; skipping needs a reason.
func (c *Conductor) askRerun(ctx context.Context, step runbooks.Step) (bool, error) {
	cmd, err := c.await(ctx, step.ID, journal.AwaitingPayload{
		Kind:     journal.AwaitRerun,
		Question: fmt.Sprintf("step %s (%s) was running when the last process stopped and may have had side effects: run it again?", step.ID, step.Kind),
		Choices:  []string{journal.ChoiceRerun, journal.ChoiceSkip}, Who: "the operator",
	}, nil)
	if err != nil {
		return false, err
	}
	if cmd.Choice == journal.ChoiceSkip {
		_, err := c.emit(cmd.Actor, step.ID, journal.StepSkipped, journal.ControlPayload{Reason: cmd.Text})
		return false, err
	}
	return true, nil
}

// emit appends an event to the journal (durably, first) and folds it.
func (c *Conductor) emit(actor, stepID string, typ journal.Type, payload any) (journal.Event, error) {
	return c.emitFrom(func() (journal.Event, error) {
		return c.opts.Journal.Append(context.Background(), actor, stepID, typ, payload)
	})
}

// emitFrom folds the event that write appended (durably, first). Appends
// are serialised by appendMu so events fold in seq order; the state lock is
// taken only for the fold, so readers of the state never wait on a disk
// write.
func (c *Conductor) emitFrom(write func() (journal.Event, error)) (journal.Event, error) {
	c.appendMu.Lock()
	defer c.appendMu.Unlock()
	ev, err := write()
	if err != nil {
		return ev, fmt.Errorf("journal: %w", err)
	}
	c.mu.Lock()
	c.state.Apply(ev)
	c.dirty = true
	close(c.changed)
	c.changed = make(chan struct{})
	if c.opts.OnEvent != nil {
		c.opts.OnEvent(ev, &c.state)
	}
	c.mu.Unlock()
	c.notifier.Notify(ev) // never blocks; a nil dispatcher does nothing
	return ev, nil
}

// waitFor returns once ok holds of the state (checked at every fold), or
// with ctx's error.
func (c *Conductor) waitFor(ctx context.Context, ok func(*journal.State) bool) error {
	for {
		c.mu.Lock()
		if ok(&c.state) {
			c.mu.Unlock()
			return nil
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitFor returns once ok holds of the state (checked now and at every
// fold), or with ctx's error. ok runs under the state lock: it must not
// block or call back into the conductor. Plain mode waits with it for its
// answers to be journaled before it reads the next one.
func (c *Conductor) WaitFor(ctx context.Context, ok func(*journal.State) bool) error {
	return c.waitFor(ctx, ok)
}

// withState runs fn on the live state under the state lock; fn must not
// block or call back into the conductor.
func (c *Conductor) withState(fn func(*journal.State)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn(&c.state)
}

// logf journals an engine message for the log pane.
func (c *Conductor) logf(stepID, stream, format string, args ...any) {
	_, _ = c.emit(c.opts.Operator, stepID, journal.Log, journal.LogPayload{Stream: stream, Line: fmt.Sprintf(format, args...)})
}

// publish sends a snapshot of the state at most every 100ms while it
// changes, the latest winning, and the final state before closing.
func (c *Conductor) publish() {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	send := func() {
		c.mu.Lock()
		if !c.dirty {
			c.mu.Unlock()
			return
		}
		s := c.state.Clone()
		c.dirty = false
		c.mu.Unlock()
		select {
		case <-c.updates:
		default:
		}
		c.updates <- s
	}
	for {
		select {
		case <-tick.C:
			send()
		case <-c.done:
			c.mu.Lock()
			c.dirty = true
			c.mu.Unlock()
			send()
			close(c.updates)
			return
		}
	}
}

func (c *Conductor) stepState(id string, rollback bool) journal.StepState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, _ := c.state.StepOf(id, rollback)
	return st
}

// database opens (once) the named connection of the runbook.
func (c *Conductor) database(ctx context.Context, name string) (db.DB, error) {
	c.dbsMu.Lock()
	defer c.dbsMu.Unlock()
	if d, ok := c.dbs[name]; ok {
		return d, nil
	}
	conn, ok := c.opts.Runbook.Connection(name)
	if !ok {
		return nil, fmt.Errorf("no connection named %q", name)
	}
	d, err := c.open(ctx, conn)
	if err != nil {
		return nil, err
	}
	c.dbs[name] = d
	return d, nil
}

// closeDBs closes every open connection, waiting at most the stall
// timeout: a pool over a silent network may never finish closing.
func (c *Conductor) closeDBs() {
	c.dbsMu.Lock()
	defer c.dbsMu.Unlock()
	var wg sync.WaitGroup
	for name, d := range c.dbs {
		wg.Go(func() { _ = d.Close() })
		delete(c.dbs, name)
	}
	closed := make(chan struct{})
	go func() { wg.Wait(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(c.stall()):
	}
}
