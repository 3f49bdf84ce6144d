package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tightrope/tightrope/engine/cutover"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// freezeStep stops every other writer on the step's connection. What it
// will change is journaled (freeze) before it changes it; writes_frozen
// follows once the freeze holds. Run again — a resumed run, a retry — it
// re-applies the journaled record instead of reading the privileges anew,
// which by then would be the frozen ones: the unfreeze always gives back
// what there was before the first attempt.
func (c *Conductor) freezeStep(ctx context.Context, step runbooks.Step) error {
	return c.freezeConn(ctx, step.ID, step.On, false, func(ctx context.Context) ([]string, error) { return c.freezeTables(ctx, step) })
}

// freezeConn freezes conn for step stepID as freezeStep says, the tables
// read by tables when there is no record to re-apply. pair: a blue-green
// side's freeze (journaled Pair), which re-applies a freeze of conn in
// force made by another step instead of refusing it (a freeze step may
// have frozen the old side).
func (c *Conductor) freezeConn(ctx context.Context, stepID, conn string, pair bool, tables func(context.Context) ([]string, error)) error {
	d, err := c.database(ctx, conn)
	if err != nil {
		return err
	}
	var rec journal.FreezeRecord
	var active bool
	c.withState(func(s *journal.State) { rec, active = s.ActiveFreeze(conn) })
	switch {
	case active && rec.StepID != stepID && !pair:
		return fmt.Errorf("connection %s is already frozen by step %s: unfreeze it first", conn, rec.StepID)
	case active:
		c.logf(stepID, "info", "re-applying the freeze journaled at seq %d (not read again: the privileges now are the frozen ones)", rec.Seq)
	default:
		tables, err := tables(ctx)
		if err != nil {
			return err
		}
		plan, err := cutover.Plan(ctx, d, tables)
		if err != nil {
			return fmt.Errorf("freeze %s: %w", conn, err)
		}
		plan.Conn, plan.Rollback, plan.Pair = conn, c.isRollingBack(), pair
		ev, err := c.emit(c.opts.Operator, stepID, journal.Freeze, plan)
		if err != nil {
			return err
		}
		rec = journal.FreezeRecord{FreezePayload: plan, Seq: ev.Seq, StepID: stepID}
	}
	done, err := cutover.Apply(ctx, d, rec.FreezePayload, c.stall())
	if err != nil {
		if ctx.Err() != nil {
			return err // interrupted: the record stays, a resume re-applies or undoes it
		}
		uerr := c.unfreeze(context.WithoutCancel(ctx), stepID, conn, "the freeze failed: "+err.Error())
		return errors.Join(fmt.Errorf("freeze %s: %w", conn, err), uerr)
	}
	done.Conn, done.Of = conn, rec.Seq
	if _, err := c.emit(c.opts.Operator, stepID, journal.WritesFrozen, done); err != nil {
		return err
	}
	c.logf(stepID, "info", "%s frozen (%s): %s", conn, rec.Method, freezeSummary(rec.FreezePayload, done))
	for _, w := range done.Warnings {
		c.logf(stepID, "warn", "%s", w)
	}
	return nil
}

// freezeSummary says in one line what a freeze did.
func freezeSummary(p journal.FreezePayload, done journal.FrozenPayload) string {
	if p.Method == journal.FreezeReadOnly {
		return fmt.Sprintf("read_only on (was %s)", p.PrevReadOnly)
	}
	roles := map[string]bool{}
	for _, g := range p.Revoked {
		roles[g.Role] = true
	}
	s := fmt.Sprintf("%d write privileges of %d roles revoked on %d tables, %d writing sessions ended",
		len(p.Revoked), len(roles), len(p.Tables), len(done.Terminated))
	if len(p.Executes) > 0 || len(p.Members) > 0 {
		s += fmt.Sprintf("; %d EXECUTE privileges on SECURITY DEFINER routines and %d memberships in %s revoked", len(p.Executes), len(p.Members), p.Role)
	}
	return s
}

// unfreezeStep gives back what the connection's freeze took.
func (c *Conductor) unfreezeStep(ctx context.Context, step runbooks.Step) error {
	return c.unfreeze(ctx, step.ID, step.On, "step "+step.ID)
}

// unfreeze undoes the freeze of conn still in force, if any, from its
// journaled record, and journals the unfreeze after it. Undoing is
// idempotent, so a crash between the undo and its event only repeats it.
func (c *Conductor) unfreeze(ctx context.Context, stepID, conn, reason string) error {
	var rec journal.FreezeRecord
	var active bool
	c.withState(func(s *journal.State) { rec, active = s.ActiveFreeze(conn) })
	if !active {
		c.logf(stepID, "info", "%s is not frozen: nothing to unfreeze", conn)
		return nil
	}
	d, err := c.database(ctx, conn)
	if err != nil {
		return err
	}
	start := c.opts.Now()
	if err := cutover.Undo(ctx, d, rec.FreezePayload); err != nil {
		return fmt.Errorf("unfreeze %s: %w", conn, err)
	}
	_, err = c.emit(c.opts.Operator, stepID, journal.Unfreeze, journal.UnfreezePayload{
		Conn: conn, Of: rec.Seq, Regranted: rec.Revoked, Executes: rec.Executes, Members: rec.Members, ReadOnly: rec.PrevReadOnly, Reason: reason,
		DurationMS: c.opts.Now().Sub(start).Milliseconds(),
	})
	if err == nil {
		c.logf(stepID, "info", "%s unfrozen (%s): what the freeze of seq %d took is back", conn, reason, rec.Seq)
	}
	return err
}

// unfreezeForward undoes, at the end of a rollback, every freeze a step of
// the migration made and nobody undid: the old side takes writes again. A
// freeze made by a rollback step (the new side, frozen for a switch-back)
// stays, and so does a blue-green side's (the pair's switch-back undoes
// it; a replica must not take writes).
func (c *Conductor) unfreezeForward(ctx context.Context) []string {
	var conns []string
	c.withState(func(s *journal.State) {
		for _, f := range s.Freezes {
			if !f.Undone && !f.Rollback && !f.Pair && !slices.Contains(conns, f.Conn) {
				conns = append(conns, f.Conn)
			}
		}
	})
	var failed []string
	for _, conn := range conns {
		if err := c.unfreeze(ctx, "", conn, "rollback"); err != nil {
			c.logf("", "error", "%v", err)
			failed = append(failed, "unfreeze "+conn)
		}
	}
	return failed
}

// freezeTables are the tables a freeze step stops: its own, or every table
// the runbook's copy steps read or write on that connection.
func (c *Conductor) freezeTables(ctx context.Context, step runbooks.Step) ([]string, error) {
	if len(step.Tables) > 0 {
		return step.Tables, nil
	}
	tables, all := c.opts.Runbook.FreezeTables(step)
	if step.All || all {
		d, err := c.database(ctx, step.On)
		if err != nil {
			return nil, err
		}
		return c.listTables(ctx, step.ID, d)
	}
	if conn, _ := c.opts.Runbook.Connection(step.On); len(tables) == 0 && conn.Driver != db.MySQL {
		return nil, fmt.Errorf("freeze %s: no copy step touches %s, so there are no tables to freeze: name them with tables:", step.On, step.On)
	}
	return tables, nil // MySQL's read_only stops every table of the server
}

// warnStillFrozen says, when a run ends failed or aborted, which
// connections its freezes leave without writes: nothing gives them back
// until the run is resumed and rolled back, or an unfreeze step runs.
func (c *Conductor) warnStillFrozen(outcome string) {
	if outcome != journal.OutcomeFailed && outcome != journal.OutcomeAborted {
		return
	}
	var frozen []string
	c.withState(func(s *journal.State) {
		for _, f := range s.Freezes {
			if !f.Undone && !slices.Contains(frozen, f.Conn) {
				frozen = append(frozen, f.Conn)
			}
		}
	})
	for _, conn := range frozen {
		if rec, _ := c.stateFreeze(conn); rec.Pair {
			c.logf("", "warn", "%s is still frozen: it is a blue-green replica (or the side a switch left behind); only the pair's switch or switch-back gives its writes back", conn)
			continue
		}
		c.logf("", "warn", "%s is still frozen: other writers stay stopped until this run is resumed (tightrope resume --retry-failed) and rolls back or unfreezes it", conn)
	}
}

// stateFreeze is the freeze of conn in force, if any.
func (c *Conductor) stateFreeze(conn string) (journal.FreezeRecord, bool) {
	var rec journal.FreezeRecord
	var ok bool
	c.withState(func(s *journal.State) { rec, ok = s.ActiveFreeze(conn) })
	return rec, ok
}
