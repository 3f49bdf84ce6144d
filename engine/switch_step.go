package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/cutover"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// switchCheck is one precondition of a switch: it returns a line saying
// what it found, or why the switch must not go on.
type switchCheck struct {
	name string
	run  func(ctx context.Context) (string, error)
}

// switchStep runs the switch's routing hook only after its preconditions,
// in order, each journaled passed or failed with its duration: writes
// frozen on the old side (from), change capture drained, the new side's
// (to) sequences synced, the switch's tables verified equal, the
// decision-maker's go and — strategy cdc — the reverse stream from the
// new side back to the old one created and proven ready (cdc_reverse.go).
// A blue-green switch through capture proves the way back and asks go
// first, then freezes the old side itself (captureChecks). A precondition that fails, or a hook that fails,
// unfreezes the old side and aborts the switch with the reason; a no-go
// rolls the run back. switched ends every attempt with the timings.
func (c *Conductor) switchStep(ctx context.Context, step runbooks.Step) error {
	if step.Replication != "" {
		return c.bgSwitch(ctx, step)
	}
	start := c.opts.Now()
	var tables []string
	var cs captureSwitch
	checks := []switchCheck{
		{journal.CheckFrozen, func(ctx context.Context) (string, error) {
			var err error
			if tables, err = c.switchTables(ctx, step); err != nil {
				return "", err
			}
			return c.switchFrozen(step, tables)
		}},
		{journal.CheckDrained, func(ctx context.Context) (string, error) {
			if err := c.cdcDrained(ctx, step); err != nil {
				return "", err
			}
			return fmt.Sprintf("no change from %s to %s is left to apply", step.From, step.To), nil
		}},
		{journal.CheckSequences, func(ctx context.Context) (string, error) {
			return c.syncSequences(ctx, step.ID, step.From, step.To, tables)
		}},
		{journal.CheckVerify, func(ctx context.Context) (string, error) { return c.switchVerify(ctx, step, tables) }},
		{journal.CheckGo, func(ctx context.Context) (string, error) { return c.switchGo(ctx, step, tables) }},
	}
	switch {
	case c.opts.Runbook.CaptureBlueGreen(step):
		checks = c.captureChecks(step, &tables, &cs)
	case c.wantsReverse(step):
		checks = append(checks, switchCheck{journal.CheckReverse, func(ctx context.Context) (string, error) { return c.startReverse(ctx, step, tables) }})
	}
	for _, ch := range checks {
		t0 := c.opts.Now()
		detail, err := ch.run(ctx)
		if err != nil && ctx.Err() != nil {
			return err // interrupted: the step is taken up again on resume, the freeze stays
		}
		p := journal.SwitchCheckPayload{Check: ch.name, OK: err == nil, Detail: detail, DurationMS: c.opts.Now().Sub(t0).Milliseconds()}
		if err != nil {
			p.Detail = err.Error()
		}
		if _, jerr := c.emit(c.opts.Operator, step.ID, journal.SwitchCheck, p); jerr != nil {
			return jerr
		}
		verdict, stream := "passed", "info"
		if err != nil {
			verdict, stream = "FAILED", "error"
		}
		c.logf(step.ID, stream, "precondition %s %s (%d ms): %s", ch.name, verdict, p.DurationMS, p.Detail)
		if err != nil {
			return c.abortSwitch(ctx, step, start, 0, fmt.Errorf("%s: %w", ch.name, err))
		}
	}
	t0 := c.opts.Now()
	c.logf(step.ID, "info", "every precondition holds: switching %s → %s", step.From, step.To)
	err := c.runCommand(ctx, step.ID, step.Run)
	hook := c.opts.Now().Sub(t0)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return c.abortSwitch(ctx, step, start, hook, fmt.Errorf("routing hook: %w", err))
	}
	total := c.opts.Now().Sub(start)
	sw := journal.SwitchPayload{From: step.From, To: step.To, OK: true, HookMS: hook.Milliseconds(), TotalMS: total.Milliseconds()}
	if !cs.frozenAt.IsZero() {
		sw.FrozenMS, sw.Live = c.opts.Now().Sub(cs.frozenAt).Milliseconds(), step.To
	}
	if _, err := c.emit(c.opts.Operator, step.ID, journal.Switched, sw); err != nil {
		return err
	}
	c.logf(step.ID, "info", "switched %s → %s: the hook took %s, the switch %s", step.From, step.To, hook.Round(time.Millisecond), total.Round(time.Millisecond))
	if sw.FrozenMS > 0 {
		c.logf(step.ID, "info", "writes were stopped for %s; %s is live, %s stays frozen and in step through the reverse stream", time.Duration(sw.FrozenMS)*time.Millisecond, step.To, step.From)
	}
	if c.wantsReverse(step) {
		c.endForward(step)
	}
	return nil
}

// errNoGo is a switch the decision-maker answered no-go.
var errNoGo = errors.New("no-go")

// abortSwitch gives the old side its writes back and ends the switch with
// the reason; a no-go rolls the run back, any other failure fails the step.
func (c *Conductor) abortSwitch(ctx context.Context, step runbooks.Step, start time.Time, hook time.Duration, why error) error {
	ctx = context.WithoutCancel(ctx)
	uerr := c.unfreeze(ctx, step.ID, step.From, "switch aborted: "+why.Error())
	if _, err := c.emit(c.opts.Operator, step.ID, journal.Switched, journal.SwitchPayload{
		From: step.From, To: step.To, Error: why.Error(), HookMS: hook.Milliseconds(), TotalMS: c.opts.Now().Sub(start).Milliseconds(),
	}); err != nil {
		uerr = errors.Join(uerr, err)
	}
	err := fmt.Errorf("switch %s → %s aborted, %s stays live: %w", step.From, step.To, step.From, why)
	if errors.Is(why, errNoGo) {
		err = fmt.Errorf("switch %s → %s: %w", step.From, step.To, ErrRollback)
	}
	return errors.Join(err, uerr)
}

// switchFrozen: a freeze of the old side is in force, and — a PostgreSQL
// freeze holding per table — covers every table the switch moves.
func (c *Conductor) switchFrozen(step runbooks.Step, tables []string) (string, error) {
	var rec journal.FreezeRecord
	var active bool
	c.withState(func(s *journal.State) { rec, active = s.ActiveFreeze(step.From) })
	switch {
	case !active:
		return "", fmt.Errorf("writes are not frozen on %s: a freeze step (on: %s) must run before the switch", step.From, step.From)
	case !rec.Frozen:
		return "", fmt.Errorf("the freeze of %s by step %s did not finish", step.From, rec.StepID)
	}
	if rec.Method == journal.FreezeRevoke {
		var open []string
		for _, t := range tables {
			if !slices.Contains(rec.Tables, t) {
				open = append(open, t)
			}
		}
		if len(open) > 0 {
			return "", fmt.Errorf("the freeze of %s by step %s leaves %s writable: add them to its tables", step.From, rec.StepID, strings.Join(open, ", "))
		}
	}
	return fmt.Sprintf("%s frozen by step %s (%s, seq %d)", step.From, rec.StepID, rec.Method, rec.Seq), nil
}

// syncSequences brings the counters of tables on conn past their largest
// keys and journals what it found and set. A column that from fills from
// a counter and conn has none for (a table a copy created) fails it: the
// application's first insert after the switch would.
func (c *Conductor) syncSequences(ctx context.Context, stepID, from, conn string, tables []string) (string, error) {
	d, err := c.database(ctx, conn)
	if err != nil {
		return "", err
	}
	old, err := c.database(ctx, from)
	if err != nil {
		return "", err
	}
	missing, err := cutover.MissingCounters(ctx, d, old, tables)
	if err != nil {
		return "", err
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%s fills %s from a sequence, identity or AUTO_INCREMENT and %s has none for them: after the switch an insert that leaves them to the database fails; give them one on %s (ALTER TABLE … ALTER COLUMN … ADD GENERATED BY DEFAULT AS IDENTITY, or AUTO_INCREMENT) and switch again",
			from, strings.Join(missing, ", "), conn, conn)
	}
	sets, err := cutover.SyncSequences(ctx, d, tables)
	if err != nil {
		return "", err
	}
	if _, err := c.emit(c.opts.Operator, stepID, journal.SequencesSynced, journal.SequencesPayload{Conn: conn, Sets: sets}); err != nil {
		return "", err
	}
	moved := 0
	for _, s := range sets {
		if s.NextAfter != s.Next {
			moved++
		}
	}
	return fmt.Sprintf("%d counters on %s, %d moved past the copied keys", len(sets), conn, moved), nil
}

// switchVerify: the switch's tables are equal on both sides, row for row.
func (c *Conductor) switchVerify(ctx context.Context, step runbooks.Step, tables []string) (string, error) {
	v := runbooks.Step{ID: step.ID, Kind: runbooks.KindVerify, From: step.From, To: step.To}
	res, err := c.verifyTables(ctx, v, tables)
	if err != nil {
		return "", err
	}
	if res.Mismatches > 0 {
		var bad []string
		for _, t := range res.Tables {
			if t.Mismatches > 0 {
				bad = append(bad, fmt.Sprintf("%s (%d)", t.Table, t.Mismatches))
			}
		}
		return "", fmt.Errorf("%d rows differ between %s and %s: %s", res.Mismatches, step.From, step.To, strings.Join(bad, ", "))
	}
	return fmt.Sprintf("%d tables equal: %s", len(tables), strings.Join(tables, ", ")), nil
}

// switchGo asks the decision-maker, through the gate path, whether to
// switch now.
func (c *Conductor) switchGo(ctx context.Context, step runbooks.Step, tables []string) (string, error) {
	q := fmt.Sprintf("Switch %s → %s now? Writes are frozen on %s, sequences are synced and %d tables verify equal; the hook runs next: %s",
		step.From, step.To, step.From, len(tables), step.Run)
	actor, err := c.askSwitch(ctx, step, q)
	if err != nil {
		return "", err
	}
	return "go by " + actor, nil
}

// askSwitch puts question q to the decision-maker as a go / no-go gate of
// step and returns who said go; a no-go is errNoGo.
func (c *Conductor) askSwitch(ctx context.Context, step runbooks.Step, q string) (string, error) {
	cmd, err := c.await(ctx, step.ID, journal.AwaitingPayload{
		Kind: journal.AwaitGate, Question: q, Choices: []string{journal.ChoiceGo, journal.ChoiceNoGo},
		Who: c.opts.Runbook.DecisionMaker,
	}, nil)
	if err != nil {
		return "", err
	}
	if cmd.Choice != journal.ChoiceGo {
		return "", fmt.Errorf("%w by %s", errNoGo, cmd.Actor)
	}
	return cmd.Actor, nil
}

// switchTables are the tables a switch verifies and syncs: its own, or
// every table the copies between its two sides copied.
func (c *Conductor) switchTables(ctx context.Context, step runbooks.Step) ([]string, error) {
	if len(step.Tables) > 0 {
		return step.Tables, nil
	}
	tables, all := c.opts.Runbook.SwitchTables(step)
	if step.All || all {
		src, err := c.database(ctx, step.From)
		if err != nil {
			return nil, err
		}
		return c.listTables(ctx, step.ID, src)
	}
	if len(tables) == 0 {
		return nil, fmt.Errorf("no copy step copies from %s to %s, so there is nothing to verify: name the tables with tables:", step.From, step.To)
	}
	return tables, nil
}

// switchBack runs, at the end of a rollback, the undo of every switch that
// switched (newest first) and was not switched back yet, journaling each
// as a switched event with back: true; a blue-green switch is switched
// back by its pair (bgSwitchBack), with its undo as the route.
func (c *Conductor) switchBack(ctx context.Context, began map[string]time.Time) []string {
	var failed []string
	steps := c.opts.Runbook.Steps
	for i := len(steps) - 1; i >= 0; i-- {
		step := steps[i]
		if step.Kind != runbooks.KindSwitch || (step.Undo == "" && step.Replication == "") {
			continue
		}
		var switched, back bool
		c.withState(func(s *journal.State) { switched, back = s.SwitchedOver(step.ID) })
		if !switched || back {
			continue
		}
		if step.Replication != "" {
			if err := c.bgSwitchBack(ctx, step); err != nil {
				c.logf(step.ID, "error", "%v", err)
				failed = append(failed, "switch back "+step.ID)
			}
			continue
		}
		start := c.opts.Now()
		c.logf(step.ID, "info", "switching back %s → %s", step.To, step.From)
		err := c.runCommand(ctx, step.ID, step.Undo)
		took := c.opts.Now().Sub(start)
		p := journal.SwitchPayload{From: step.To, To: step.From, Back: true, OK: err == nil, HookMS: took.Milliseconds(), TotalMS: took.Milliseconds()}
		if err == nil && c.opts.Runbook.CaptureBlueGreen(step) {
			err = c.captureSwitchedBack(ctx, step, &p, began)
			p.OK = err == nil
		}
		if err != nil {
			p.Error = err.Error()
			failed = append(failed, "switch back "+step.ID)
		} else {
			c.logf(step.ID, "info", "switched back %s → %s in %s (the undo hook %s)", step.To, step.From, (time.Duration(p.TotalMS) * time.Millisecond).String(), took.Round(time.Millisecond))
		}
		if _, jerr := c.emit(c.opts.Operator, step.ID, journal.Switched, p); jerr != nil {
			failed = append(failed, "journal: "+jerr.Error())
		}
	}
	return failed
}
