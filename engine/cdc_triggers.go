package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// raiseStream raises cdc_position_lost or cdc_schema_change for a stream
// whose capture stopped on err, with its evidence, once no other question
// waits. Apply is already paused at the gap (the stream is halted); a
// rollback decision rolls the run back at its next safe point, a continue
// leaves the stream stopped — never applied past the gap.
func (c *Conductor) raiseStream(ctx context.Context, s *cdcStream, err error) {
	trigger, msg, ev := streamTrigger(s, err)
	c.logf(s.stepID, "error", "%s", msg)
	for {
		if werr := c.waitFor(ctx, func(st *journal.State) bool { return st.Pending == nil }); werr != nil {
			return
		}
		answer, rerr := c.raise(ctx, s.stepID, func() (journal.TriggerPayload, bool) {
			full := c.evidence()
			for k, v := range ev {
				full[k] = v
			}
			return journal.TriggerPayload{Trigger: trigger, Observed: 1, Threshold: 0, Message: msg, Evidence: full}, true
		})
		if rerr != nil {
			return // the run ended
		}
		switch answer.Choice {
		case journal.ChoiceRollback:
			c.setCDCRollback(fmt.Errorf("%s: %w", trigger, ErrRollback))
		case journal.ChoiceContinue:
			c.logf(s.stepID, "warn", "continued past %s: stream %s stays stopped at the gap and nothing past it is applied; copy %s again before relying on the target",
				trigger, s.name, strings.Join(s.tables, ", "))
		default:
			continue // answered something else (a stale question): ask again
		}
		return
	}
}

// streamTrigger words a halted stream's trigger and its evidence.
func streamTrigger(s *cdcStream, err error) (string, string, map[string]any) {
	s.mu.Lock()
	ev := map[string]any{"stream": s.name, "source": s.from.Name, "tables": s.tables, "spooled_position": s.spooled,
		"unapplied_txs": len(s.unapplied)}
	if s.applying != nil {
		ev["applied_seq"], ev["applied_position"] = s.applying.seq, s.applying.position
	}
	s.mu.Unlock()
	tables := strings.Join(s.tables, ", ")
	var lost *cdc.PositionLostError
	var changed *cdc.SchemaChangedError
	switch {
	case errors.As(err, &lost):
		ev["evidence"] = lost.Evidence
		return runbooks.TriggerCDCPositionLost, fmt.Sprintf("change stream %s lost its position: %s. Apply is paused at the gap; continuing does not apply past it: tables %s need copying again",
			s.name, strings.Join(lost.Evidence, "; "), tables), ev
	case errors.As(err, &changed):
		ev["table"], ev["shape_before"], ev["shape_after"] = changed.Table, changed.Before, changed.After
		return runbooks.TriggerCDCSchemaChange, fmt.Sprintf("table %s changed shape mid-stream %s (was %s; now %s). Apply is paused before the change; continuing leaves the stream stopped there: table %s needs copying again once the target has its new shape",
			changed.Table, s.name, changed.Before, changed.After, changed.Table), ev
	}
	ev["error"] = err.Error()
	return runbooks.TriggerCDCPositionLost, fmt.Sprintf("change stream %s stopped: %v", s.name, err), ev
}

// resumeCDC restarts, on a resumed run, the streams the journal holds
// (their capture from the journal's position) and the appliers of
// cdc-catchup steps already done. A rolling-back run restarts none.
func (c *Conductor) resumeCDC(ctx context.Context) error {
	if c.isRollingBack() {
		return nil
	}
	for _, step := range c.opts.Runbook.Steps {
		if step.Kind != runbooks.KindCDCStart || c.forwardEnded(step) {
			continue
		}
		name := streamName(c.opts.Runbook.MigrationID, step.ID)
		sp, found, err := cdc.ReadSpooled(ctx, c.opts.Journal.Path(), name)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		from, _ := c.opts.Runbook.Connection(step.From)
		dsn, err := connectionDSN(from)
		if err != nil {
			return err
		}
		c.logf(step.ID, "info", "stream %s: capture resumes from the journal (%d transactions spooled, position %s)", name, sp.Count, sp.Resume())
		if _, err := c.openStream(ctx, step, from, dsn, sp, nil); err != nil {
			return err
		}
	}
	for _, step := range c.opts.Runbook.Steps {
		if step.Kind != runbooks.KindCDCCatchup || c.stepState(step.ID, false).Status != journal.StatusDone || c.forwardEnded(step) {
			continue
		}
		s := c.streamFrom(step.From)
		to, ok := c.opts.Runbook.Connection(step.To)
		if s == nil || !ok {
			continue
		}
		if err := s.startApply(to, step.ID); err != nil {
			return err
		}
		s.mu.Lock()
		s.caughtUp = true // it caught up before: its lag is judged again
		s.mu.Unlock()
	}
	return c.resumeReverse(ctx)
}
