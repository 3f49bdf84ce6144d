package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tightrope/tightrope/engine/bluegreen"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// bgSwitch is a switch with replication: it turns its replicate step's
// replication around (engine/bluegreen) with the routing hook inside.
// The reverse path is proven again and the decision-maker answers go
// before writes stop; then each phase of the pair's switch — frozen,
// drained, verify, detach, replicate, sequences, route (the hook),
// unfrozen — is journaled as a switch_check as it ends, its freezes
// through the journaled freeze. switched ends every attempt with the
// time writes were stopped, the reverse slot's LSN and the side left
// live.
func (c *Conductor) bgSwitch(ctx context.Context, step runbooks.Step) error {
	start := c.opts.Now()
	rep, _ := c.opts.Runbook.StepByID(step.Replication)
	p, fz, err := c.openPair(ctx, rep, step.ID)
	if err != nil {
		return c.endBGSwitch(step, start, bluegreen.Switched{}, 0, false, fmt.Errorf("open the pair: %w", err))
	}
	defer p.Close(context.WithoutCancel(ctx))
	record := c.bgRecorder(step.ID)
	if rec, ok := c.interruptedCut(step, step.From); ok {
		// The process died mid-switch: blue is frozen by this step (the
		// fold says so). The application is down: finish without asking
		// again, from where the databases say the switch got.
		c.logf(step.ID, "warn", "resuming the switch interrupted with %s frozen (freeze seq %d): taking it up where it stopped", step.From, rec.Seq)
		return c.runCut(ctx, step, start, fz, record, false, func(h bluegreen.Hooks) (bluegreen.Switched, error) { return p.ResumeSwitch(ctx, h) })
	}

	t0 := c.opts.Now()
	ev, err := p.CheckReverse(ctx)
	detail := fmt.Sprintf("%s → %s proven again: %d checks", step.To, step.From, len(ev.Checks))
	if jerr := record(journal.CheckReverse, c.opts.Now().Sub(t0), detail, err); jerr != nil {
		return jerr
	}
	if err != nil {
		return c.endBGSwitch(step, start, bluegreen.Switched{}, 0, false, fmt.Errorf("%s: %w", journal.CheckReverse, err))
	}
	t0 = c.opts.Now()
	detail, err = c.bgGo(ctx, step, p)
	if err != nil && ctx.Err() != nil {
		return err // interrupted: nothing changed, the step is taken up again on resume
	}
	if jerr := record(journal.CheckGo, c.opts.Now().Sub(t0), detail, err); jerr != nil {
		return jerr
	}
	if err != nil {
		return c.endBGSwitch(step, start, bluegreen.Switched{}, 0, false, fmt.Errorf("%s: %w", journal.CheckGo, err))
	}

	return c.runCut(ctx, step, start, fz, record, false, func(h bluegreen.Hooks) (bluegreen.Switched, error) { return p.SwitchWith(ctx, h) })
}

// interruptedCut tells whether a switch (or switch-back) of step was
// interrupted after it froze side: a freeze of side made by the step is
// still in force — the fold knows it from the journal.
func (c *Conductor) interruptedCut(step runbooks.Step, side string) (journal.FreezeRecord, bool) {
	var rec journal.FreezeRecord
	var ok bool
	c.withState(func(s *journal.State) { rec, ok = s.ActiveFreeze(side) })
	return rec, ok && rec.StepID == step.ID
}

// runCut runs the pair's switch (or switch-back: back) through cut, each
// phase journaled, the hook — run, or undo for a switch-back — as its
// route, and journals its end.
func (c *Conductor) runCut(ctx context.Context, step runbooks.Step, start time.Time, fz *pairFreezer,
	record func(string, time.Duration, string, error) error, back bool, cut func(bluegreen.Hooks) (bluegreen.Switched, error)) error {
	var hook time.Duration
	var jerr error
	what, hookText, to := "switch", step.Run, step.To
	if back {
		what, hookText, to = "switch-back", step.Undo, step.From
	}
	h := bluegreen.Hooks{Phase: func(ph bluegreen.Phase, err error) {
		if err != nil {
			fz.reason = fmt.Sprintf("%s aborted: %s: %v", what, ph.Name, err)
		}
		jerr = errors.Join(jerr, record(ph.Name, ph.Took, ph.Detail, err))
	}}
	if hookText != "" {
		h.Route = func(ctx context.Context) error {
			t := c.opts.Now()
			defer func() { hook = c.opts.Now().Sub(t) }()
			c.logf(step.ID, "info", "%s has every change and replicates back: routing to %s", to, to)
			return c.runCommand(ctx, step.ID, hookText)
		}
	}
	sw, err := cut(h)
	if jerr != nil {
		err = errors.Join(err, jerr)
	}
	if len(sw.Sequences) > 0 {
		if _, serr := c.emit(c.opts.Operator, step.ID, journal.SequencesSynced, journal.SequencesPayload{Conn: to, Sets: sw.Sequences}); serr != nil {
			err = errors.Join(err, serr)
		}
	}
	return c.endBGSwitch(step, start, sw, hook, back, err)
}

// bgGo asks the decision-maker, through the gate path, whether to switch
// now, before writes stop: the freeze lasts seconds, not a person's
// answer.
func (c *Conductor) bgGo(ctx context.Context, step runbooks.Step, p bluegreen.Pair) (string, error) {
	lag := "unknown"
	if l, err := p.Lag(ctx); err == nil {
		lag = l.Behind()
	}
	q := fmt.Sprintf("Switch %s → %s now? %s is %s behind and the way back is proven; writes on %s stop for the switch (seconds), then the hook runs: %s",
		step.From, step.To, step.To, lag, step.From, step.Run)
	actor, err := c.askSwitch(ctx, step, q)
	if err != nil {
		return "", err
	}
	return "go by " + actor + " (lag " + lag + ")", nil
}

// bgRecorder journals one phase of a blue-green switch as a switch_check
// and logs it.
func (c *Conductor) bgRecorder(stepID string) func(name string, took time.Duration, detail string, err error) error {
	return func(name string, took time.Duration, detail string, err error) error {
		p := journal.SwitchCheckPayload{Check: name, OK: err == nil, Detail: detail, DurationMS: took.Milliseconds()}
		if err != nil {
			p.Detail = err.Error()
		}
		if _, jerr := c.emit(c.opts.Operator, stepID, journal.SwitchCheck, p); jerr != nil {
			return jerr
		}
		verdict, stream := "passed", "info"
		if err != nil {
			verdict, stream = "FAILED", "error"
		}
		c.logf(stepID, stream, "%s %s (%d ms): %s", name, verdict, p.DurationMS, p.Detail)
		return nil
	}
}

// endBGSwitch journals the end of a blue-green switch or switch-back
// (back) and returns the step's error: a no-go rolls back; any other
// failure names the side left live.
func (c *Conductor) endBGSwitch(step runbooks.Step, start time.Time, sw bluegreen.Switched, hook time.Duration, back bool, why error) error {
	from, to := step.From, step.To
	if back {
		from, to = to, from
	}
	live := from
	if sw.To != "" {
		live = sw.To // the pair says where it got: the old side, or the new one
	}
	p := journal.SwitchPayload{
		From: from, To: to, Back: back, OK: why == nil, HookMS: hook.Milliseconds(), TotalMS: c.opts.Now().Sub(start).Milliseconds(),
		FrozenMS: sw.Frozen.Milliseconds(), ReplicaLSN: sw.ReplicaLSN, Live: live,
	}
	if why != nil {
		p.Error = why.Error()
	}
	if _, err := c.emit(c.opts.Operator, step.ID, journal.Switched, p); err != nil {
		return errors.Join(why, err)
	}
	for _, w := range sw.Warnings {
		c.logf(step.ID, "warn", "%s", w)
	}
	verb := "switched"
	if back {
		verb = "switched back"
	}
	if why == nil {
		c.logf(step.ID, "info", "%s %s → %s: writes stopped for %s, the hook took %s; %s replicates back from LSN %s",
			verb, from, to, sw.Frozen.Round(time.Millisecond), hook.Round(time.Millisecond), to, sw.ReplicaLSN)
		return nil
	}
	if errors.Is(why, errNoGo) {
		return fmt.Errorf("switch %s → %s: %w", from, to, ErrRollback)
	}
	what := "switch"
	if back {
		what = "switch-back"
	}
	return fmt.Errorf("%s %s → %s aborted, %s stays live: %w", what, from, to, live, why)
}

// bgSwitchBack is a rollback's switch-back of a blue-green switch: the
// pair's SwitchBack (green frozen, drained, verified, the reverse
// direction dropped, forward replication restarted, blue's sequences set)
// with the switch's undo hook as its route, each phase journaled; green
// stays a frozen replica.
func (c *Conductor) bgSwitchBack(ctx context.Context, step runbooks.Step) error {
	start := c.opts.Now()
	rep, _ := c.opts.Runbook.StepByID(step.Replication)
	p, fz, err := c.openPair(ctx, rep, step.ID)
	if err != nil {
		return c.endBGSwitch(step, start, bluegreen.Switched{}, 0, true, fmt.Errorf("open the pair: %w", err))
	}
	defer p.Close(context.WithoutCancel(ctx))
	record := c.bgRecorder(step.ID)
	if rec, ok := c.interruptedCut(step, step.To); ok {
		c.logf(step.ID, "warn", "resuming the switch-back interrupted with %s frozen (freeze seq %d)", step.To, rec.Seq)
		return c.runCut(ctx, step, start, fz, record, true, func(h bluegreen.Hooks) (bluegreen.Switched, error) { return p.ResumeSwitchBack(ctx, true, h) })
	}
	c.logf(step.ID, "info", "switching back %s → %s", step.To, step.From)
	return c.runCut(ctx, step, start, fz, record, true, func(h bluegreen.Hooks) (bluegreen.Switched, error) { return p.SwitchBackWith(ctx, true, h) })
}
