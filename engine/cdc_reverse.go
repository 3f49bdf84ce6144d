package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// reverseReadyWithin bounds how long a switch waits for its reverse path
// to prove itself (capture connected, applier positioned) before the hook.
var reverseReadyWithin = 30 * time.Second

// ReverseStreamName is the stream (slot) a switch that replicates back creates
// from its new side back to its old side: what a dry run prints and an
// operator drops after the migration.
func ReverseStreamName(migrationID, switchID string) string {
	return reverseStreamName(migrationID, switchID)
}

// reverseStreamName is the stream a switch creates from its new side back
// to its old side.
func reverseStreamName(migrationID, switchID string) string {
	return streamName(migrationID, switchID+"_back")
}

// wantsReverse tells whether a switch replicates back: its runbook says so
// (runbooks.ReplicatesBack: strategy cdc, or blue-green through
// tightrope's own capture), and a cdc-start step of the same pair ran
// (its stream was drained by the switch's drained precondition).
func (c *Conductor) wantsReverse(step runbooks.Step) bool {
	if !c.opts.Runbook.ReplicatesBack(step) {
		return false
	}
	for _, s := range c.opts.Runbook.Steps {
		if s.Kind == runbooks.KindCDCStart && s.From == step.From && s.To == step.To &&
			c.stepState(s.ID, false).Status != journal.StatusPending {
			return true
		}
	}
	return false
}

// startReverse creates, after a switch's preconditions passed and before
// its hook, the stream from the new side (to) back to the old side
// (from), starts its capture and its applier, and proves the path ready:
// the stream journaled (cdc_stream_started, its position taken while the
// old side is frozen and the forward applier stopped), the capture
// connected past its position check, the applier's position read on the
// old side and its position table written in a rolled-back transaction.
// It returns the evidence; an error aborts the switch.
//
// The new side is not frozen for it: until the hook routes traffic, the
// only writer of the new side was the forward applier, which the drained
// precondition stopped. Every transaction committed on the new side after
// the stream's position is therefore the application's, after the
// switch, and none before it is — a freeze of the new side would add
// nothing but its own duration to the window.
func (c *Conductor) startReverse(ctx context.Context, step runbooks.Step, tables []string) (string, error) {
	newSide, ok := c.opts.Runbook.Connection(step.To)
	if !ok {
		return "", fmt.Errorf("no connection named %q", step.To)
	}
	oldSide, ok := c.opts.Runbook.Connection(step.From)
	if !ok {
		return "", fmt.Errorf("no connection named %q", step.From)
	}
	if !cdc.CanCapture(newSide.Driver) || !cdc.CanApply(oldSide.Driver) {
		return "", fmt.Errorf("this build cannot replicate %s (%s) back to %s (%s)", newSide.Name, newSide.Driver, oldSide.Name, oldSide.Driver)
	}
	dsn, err := connectionDSN(newSide)
	if err != nil {
		return "", err
	}
	name := reverseStreamName(c.opts.Runbook.MigrationID, step.ID)
	sp, found, err := cdc.ReadSpooled(ctx, c.opts.Journal.Path(), name)
	if err != nil {
		return "", err
	}
	var seqNote string
	if !found {
		p, err := cdc.CreateReverse(ctx, newSide.Driver, cdc.StreamSpec{Source: newSide.Name, DSN: dsn, Stream: name, Tables: tables},
			c.opts.Journal, c.opts.Operator, step.ID)
		if err != nil {
			if strings.Contains(err.Error(), "already exists") {
				err = fmt.Errorf("%w — a stream named %s exists on %s from another run of migration %s: drop it there", err, name, newSide.Name, c.opts.Runbook.MigrationID)
			}
			return "", fmt.Errorf("create the reverse stream on %s: %w", newSide.Name, err)
		}
		sp = cdc.Spooled{Started: p}
		seqNote = "created"
	} else {
		seqNote = fmt.Sprintf("created earlier (%d transactions spooled)", sp.Count)
	}
	s, err := c.openReverse(ctx, step, newSide, oldSide, dsn, sp)
	if err != nil {
		return "", err
	}
	rctx, cancel := context.WithTimeout(ctx, reverseReadyWithin)
	defer cancel()
	for {
		s.mu.Lock()
		started, halted := s.started, s.halted
		positioned := s.applying != nil && s.applying.positioned
		s.mu.Unlock()
		if halted != nil {
			return "", fmt.Errorf("reverse stream %s: %w", name, halted)
		}
		if started && positioned {
			break
		}
		if !sleepCtx(rctx, 100*time.Millisecond) {
			return "", fmt.Errorf("reverse stream %s not ready within %s (capture connected: %v, applier positioned on %s: %v)",
				name, reverseReadyWithin, started, oldSide.Name, positioned)
		}
	}
	odsn, err := connectionDSN(oldSide)
	if err != nil {
		return "", err
	}
	applier, err := cdc.NewApplier(oldSide.Driver, cdc.ApplySpec{DSN: odsn, Stream: name, JournalPath: c.opts.Journal.Path()})
	if err != nil {
		return "", err
	}
	if p, ok := applier.(cdc.Prober); ok {
		if err := p.Probe(rctx); err != nil {
			return "", fmt.Errorf("reverse apply to %s cannot write its position: %w", oldSide.Name, err)
		}
	}
	return fmt.Sprintf("reverse stream %s %s on %s at %s; capture connected; applier positioned on %s (seq %d) and its position table writable (probe rolled back)",
		name, seqNote, newSide.Name, sp.Started.Start, oldSide.Name, s.appliedSeq()), nil
}

// openReverse registers the reverse stream of a switch and starts its
// capture and its applier to the old side.
func (c *Conductor) openReverse(ctx context.Context, step runbooks.Step, newSide, oldSide runbooks.Connection, dsn string, sp cdc.Spooled) (*cdcStream, error) {
	s, err := c.openStream(c.runContext(ctx), step, newSide, dsn, sp, nil)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.reverse = true
	s.mu.Unlock()
	if err := s.startApply(oldSide, step.ID); err != nil {
		return nil, err
	}
	return s, nil
}

// resumeReverse reopens, on a resumed run, the reverse stream of every
// switch that created one.
func (c *Conductor) resumeReverse(ctx context.Context) error {
	for _, step := range c.opts.Runbook.Steps {
		if step.Kind != runbooks.KindSwitch {
			continue
		}
		name := reverseStreamName(c.opts.Runbook.MigrationID, step.ID)
		sp, found, err := cdc.ReadSpooled(ctx, c.opts.Journal.Path(), name)
		if err != nil || !found {
			if err != nil {
				return err
			}
			continue
		}
		newSide, _ := c.opts.Runbook.Connection(step.To)
		oldSide, _ := c.opts.Runbook.Connection(step.From)
		dsn, err := connectionDSN(newSide)
		if err != nil {
			return err
		}
		c.logf(step.ID, "info", "reverse stream %s: capture resumes from the journal (%d transactions spooled, position %s)", name, sp.Count, sp.Resume())
		if _, err := c.openReverse(ctx, step, newSide, oldSide, dsn, sp); err != nil {
			return err
		}
	}
	return nil
}

// endForward stops, once a switch switched, the forward stream of its
// pair: it was drained and its applier stopped; what it would capture now
// is the reverse stream's own writes coming back. Its position stays in
// the journal.
func (c *Conductor) endForward(step runbooks.Step) {
	for _, s := range c.opts.Runbook.Steps {
		if s.Kind != runbooks.KindCDCStart || s.From != step.From || s.To != step.To {
			continue
		}
		if st := c.stream(s.ID); st != nil {
			st.stopApply()
			st.cancel()
			st.wg.Wait()
			st.releaseSnapshot("the switch switched")
			c.logf(step.ID, "info", "forward stream %s stopped: %s is live; the reverse stream carries its writes back to %s", st.name, step.To, step.From)
		}
	}
}

// reverseBack is a rollback's part for every switch that replicated back and
// switched and was not switched back: it freezes the new side (no write
// lands there that would not reach the old side), drains the reverse
// stream (everything the new side committed is on the old side) and stops
// its applier. The rollback then runs the switch's undo hook
// (switchBack), unfreezes the old side (unfreezeForward) and proves old =
// new (reverseVerify). Failures are returned by name, the procedure goes
// on. began holds when each switch's part began (its switch-back's
// duration is counted from there).
func (c *Conductor) reverseBack(ctx context.Context) (failed []string, began map[string]time.Time) {
	began = map[string]time.Time{}
	for _, step := range c.reversedSwitches() {
		began[step.ID] = c.opts.Now()
		tables, err := c.switchTables(ctx, step)
		if err != nil {
			c.logf(step.ID, "error", "rollback of switch %s: %v", step.ID, err)
			failed = append(failed, "reverse "+step.ID)
			continue
		}
		name := reverseStreamName(c.opts.Runbook.MigrationID, step.ID)
		s := c.stream(step.ID)
		if s == nil { // a resumed rollback: the stream runs again from the journal
			if err := c.resumeReverse(ctx); err != nil {
				c.logf(step.ID, "error", "reverse stream %s: %v", name, err)
			}
			s = c.stream(step.ID)
		}
		if s == nil {
			c.logf(step.ID, "error", "reverse stream %s does not run: the new side's writes cannot be proven on %s", name, step.From)
			failed = append(failed, "reverse "+step.ID)
			continue
		}
		var frozen bool
		c.withState(func(st *journal.State) { _, frozen = st.ActiveFreeze(step.To) })
		if !frozen {
			fz := runbooks.Step{ID: step.ID, Kind: runbooks.KindFreeze, On: step.To, Tables: tables}
			if conn, _ := c.opts.Runbook.Connection(step.To); conn.Driver == db.MySQL {
				fz.Tables = nil // read_only: the whole server
			}
			if err := c.freezeStep(ctx, fz); err != nil {
				c.logf(step.ID, "error", "rollback: freeze %s: %v", step.To, err)
				failed = append(failed, "freeze "+step.To)
				continue
			}
		}
		t0 := c.opts.Now()
		dctx, cancel := context.WithTimeout(ctx, c.drainBound(step))
		err = s.drain(dctx)
		cancel()
		if err != nil {
			c.logf(step.ID, "error", "rollback: reverse stream %s did not drain into %s: %v (%d transactions still to apply)", name, step.From, err, s.pendingTxs())
			failed = append(failed, "drain "+name)
			continue
		}
		c.logf(step.ID, "info", "rollback: reverse stream %s drained into %s in %s: every write %s committed is on %s",
			name, step.From, c.opts.Now().Sub(t0).Round(time.Millisecond), step.To, step.From)
	}
	return failed, began
}

// reverseVerify, at the end of a rollback, compares each
// reversed switch's tables on the old and the new side: equal, row for
// row, or the rollback failed.
func (c *Conductor) reverseVerify(ctx context.Context, switches []runbooks.Step) []string {
	var failed []string
	for _, step := range switches {
		tables, err := c.switchTables(ctx, step)
		if err == nil {
			var res journal.VerifyPayload
			res, err = c.verifyTables(ctx, runbooks.Step{ID: step.ID, Kind: runbooks.KindVerify, From: step.From, To: step.To}, tables)
			if err == nil && res.Mismatches > 0 {
				err = fmt.Errorf("%d rows differ", res.Mismatches)
			}
		}
		if err != nil {
			c.logf(step.ID, "error", "rollback: %s and %s are not equal: %v", step.From, step.To, err)
			failed = append(failed, "verify "+step.ID)
			continue
		}
		c.logf(step.ID, "info", "rollback: %s equals %s (%s)", step.From, step.To, strings.Join(tables, ", "))
	}
	return failed
}

// reversedSwitches are the switches replicating back (runbooks.ReplicatesBack) that switched, created
// a reverse stream and were not switched back yet, newest first.
func (c *Conductor) reversedSwitches() []runbooks.Step {
	var out []runbooks.Step
	steps := c.opts.Runbook.Steps
	for i := len(steps) - 1; i >= 0; i-- {
		step := steps[i]
		if !c.opts.Runbook.ReplicatesBack(step) {
			continue
		}
		var switched, back bool
		c.withState(func(s *journal.State) { switched, back = s.SwitchedOver(step.ID) })
		if !switched || back {
			continue
		}
		_, found, err := cdc.ReadSpooled(context.Background(), c.opts.Journal.Path(), reverseStreamName(c.opts.Runbook.MigrationID, step.ID))
		if err == nil && found {
			out = append(out, step)
		}
	}
	return out
}

// forwardEnded tells whether the forward stream of a cdc-start or
// cdc-catchup step ended with a switch replicating back that switched its
// pair (and was not switched back): a resumed run does not restart it — it
// would carry the reverse stream's writes back to the new side.
func (c *Conductor) forwardEnded(step runbooks.Step) bool {
	for _, sw := range c.opts.Runbook.Steps {
		if !c.opts.Runbook.ReplicatesBack(sw) || sw.From != step.From || sw.To != step.To {
			continue
		}
		var switched bool
		c.withState(func(s *journal.State) { switched, _ = s.SwitchedOver(sw.ID) })
		if switched {
			return true
		}
	}
	return false
}
