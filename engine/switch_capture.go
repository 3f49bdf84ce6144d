package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// captureSwitch is the state of one blue-green switch carried by
// tightrope's own capture (runbooks.CaptureBlueGreen): when it froze the
// old side, for the switched event's frozen_ms.
type captureSwitch struct {
	frozenAt time.Time
}

// captureChecks are the preconditions of a blue-green switch through
// tightrope's capture, in order. Before any write stops: reverse-path (the
// way back proven possible: the new side can be captured, the old side
// applied to) and go (the decision-maker's answer, which must not hold a
// freeze). Then the switch freezes the old side itself (frozen) and, as a
// strategy-cdc switch does, drains the forward stream, syncs the
// sequences, verifies the tables and starts the reverse stream (reverse);
// the hook follows. A switch taken up again with the old side frozen by
// itself (a crash mid-switch, the rerun question answered) does not ask
// go again.
func (c *Conductor) captureChecks(step runbooks.Step, tables *[]string, cs *captureSwitch) []switchCheck {
	resumed := false
	if rec, ok := c.interruptedCut(step, step.From); ok {
		resumed = true
		cs.frozenAt = rec.At
		c.logf(step.ID, "warn", "resuming the switch interrupted with %s frozen (freeze seq %d): go is not asked again", step.From, rec.Seq)
	}
	checks := []switchCheck{
		{journal.CheckReversePath, func(ctx context.Context) (string, error) {
			var err error
			if *tables, err = c.switchTables(ctx, step); err != nil {
				return "", err
			}
			return c.reversePath(ctx, step, *tables)
		}},
	}
	if !resumed {
		checks = append(checks, switchCheck{journal.CheckGo, func(ctx context.Context) (string, error) { return c.captureGo(ctx, step, *tables) }})
	}
	return append(checks,
		switchCheck{journal.CheckFrozen, func(ctx context.Context) (string, error) {
			if err := c.captureFreeze(ctx, step, *tables, cs); err != nil {
				return "", err
			}
			return c.switchFrozen(step, *tables)
		}},
		switchCheck{journal.CheckDrained, func(ctx context.Context) (string, error) {
			if err := c.cdcDrained(ctx, step); err != nil {
				return "", err
			}
			return fmt.Sprintf("no change from %s to %s is left to apply", step.From, step.To), nil
		}},
		switchCheck{journal.CheckSequences, func(ctx context.Context) (string, error) {
			return c.syncSequences(ctx, step.ID, step.From, step.To, *tables)
		}},
		switchCheck{journal.CheckVerify, func(ctx context.Context) (string, error) { return c.switchVerify(ctx, step, *tables) }},
		switchCheck{journal.CheckReverse, func(ctx context.Context) (string, error) { return c.startReverse(ctx, step, *tables) }},
	)
}

// reversePath proves, before a blue-green switch stops any write, that
// its way back can work: the new side (to) can be captured — its engine's
// cdc.ReverseReady: settings, grants, the reverse stream's name free, a
// slot creatable — and the old side (from) applied to, through the
// freeze the switch is about to make (the applier's Prober). The
// evidence is the switch_check's detail; an error refuses the switch
// with the old side live and writable.
func (c *Conductor) reversePath(ctx context.Context, step runbooks.Step, tables []string) (string, error) {
	newSide, ok := c.opts.Runbook.Connection(step.To)
	if !ok {
		return "", fmt.Errorf("no connection named %q", step.To)
	}
	oldSide, ok := c.opts.Runbook.Connection(step.From)
	if !ok {
		return "", fmt.Errorf("no connection named %q", step.From)
	}
	ndsn, err := connectionDSN(newSide)
	if err != nil {
		return "", err
	}
	odsn, err := connectionDSN(oldSide)
	if err != nil {
		return "", err
	}
	name := reverseStreamName(c.opts.Runbook.MigrationID, step.ID)
	_, found, err := cdc.ReadSpooled(ctx, c.opts.Journal.Path(), name)
	if err != nil {
		return "", err
	}
	stream := name
	if found { // an earlier attempt created it: its name is ours
		stream = ""
	}
	capture, err := cdc.ReverseReady(ctx, newSide.Driver, ndsn, stream, tables)
	if err != nil {
		return "", fmt.Errorf("%s (%s) cannot be captured back to %s: %w", newSide.Name, newSide.Driver, oldSide.Name, err)
	}
	applier, err := cdc.NewApplier(oldSide.Driver, cdc.ApplySpec{DSN: odsn, Stream: name, JournalPath: c.opts.Journal.Path()})
	if err != nil {
		return "", err
	}
	apply := "applier created"
	if p, ok := applier.(cdc.Prober); ok {
		if err := p.Probe(ctx); err != nil {
			return "", fmt.Errorf("%s (%s) cannot take the way back: %w", oldSide.Name, oldSide.Driver, err)
		}
		apply = "its position table written in a rolled-back transaction"
		if oldSide.Driver == db.MySQL {
			apply += ", and its account writes through read_only"
		}
	}
	if found {
		capture += fmt.Sprintf("; reverse stream %s created by an earlier attempt", name)
	}
	return fmt.Sprintf("%s → %s can work: capture from %s: %s; apply to %s: %s", step.To, step.From, step.To, capture, step.From, apply), nil
}

// captureGo asks the decision-maker whether to switch now, before writes
// stop: the freeze lasts seconds, not a person's answer.
func (c *Conductor) captureGo(ctx context.Context, step runbooks.Step, tables []string) (string, error) {
	lag := "unmeasured"
	for _, s := range c.opts.Runbook.Steps {
		if s.Kind != runbooks.KindCDCStart || s.From != step.From || s.To != step.To {
			continue
		}
		if st := c.stream(s.ID); st != nil {
			st.mu.Lock()
			if !st.sampledAt.IsZero() {
				lag = fmt.Sprintf("%d ms", st.lag.LagMS)
			}
			st.mu.Unlock()
		}
	}
	q := fmt.Sprintf("Switch %s → %s now? %s is %s behind and the way back (%s → %s) is proven possible; writes on %s stop for the switch (seconds: drain, sequences, verify %d tables, the reverse stream), then the hook runs: %s",
		step.From, step.To, step.To, lag, step.To, step.From, step.From, len(tables), step.Run)
	actor, err := c.askSwitch(ctx, step, q)
	if err != nil {
		return "", err
	}
	return "go by " + actor + " (lag " + lag + ")", nil
}

// captureFreeze freezes the old side for the switch — its tables, or the
// whole MariaDB server (read_only) — unless a freeze is already in force
// there (a freeze step before the switch, or this switch's own before a
// crash), and notes when writes stopped.
func (c *Conductor) captureFreeze(ctx context.Context, step runbooks.Step, tables []string, cs *captureSwitch) error {
	var active bool
	c.withState(func(s *journal.State) { _, active = s.ActiveFreeze(step.From) })
	if active {
		if cs.frozenAt.IsZero() {
			cs.frozenAt = c.opts.Now()
		}
		return nil
	}
	cs.frozenAt = c.opts.Now()
	fz := runbooks.Step{ID: step.ID, Kind: runbooks.KindFreeze, On: step.From, Tables: tables}
	if conn, _ := c.opts.Runbook.Connection(step.From); conn.Driver == db.MySQL {
		fz.Tables = nil // read_only: the whole server
	}
	return c.freezeStep(ctx, fz)
}

// captureSwitchedBack is the switch-back of a blue-green switch through
// capture, after its undo hook: the old side gets its writes back at once
// (the rollback's unfreezeForward would, later), and the switched event
// says how long writes were stopped since the new side froze.
func (c *Conductor) captureSwitchedBack(ctx context.Context, step runbooks.Step, p *journal.SwitchPayload, began map[string]time.Time) error {
	if err := c.unfreeze(ctx, step.ID, step.From, "switched back"); err != nil {
		return err
	}
	p.Live = step.From
	if t, ok := began[step.ID]; ok {
		p.TotalMS = c.opts.Now().Sub(t).Milliseconds()
		p.FrozenMS = p.TotalMS
	}
	return nil
}
