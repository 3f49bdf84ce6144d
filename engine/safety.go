package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/snapshot"
	"github.com/tightrope/tightrope/engine/verify"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// verifyStep compares the step's tables between source and target. A
// table with more differing rows than the verify_mismatch trigger allows it
// raises the trigger; with no such trigger any difference fails the step.
func (c *Conductor) verifyStep(ctx context.Context, step runbooks.Step) error {
	src, err := c.database(ctx, step.From)
	if err != nil {
		return err
	}
	tables := step.Tables
	if step.All {
		if tables, err = c.listTables(ctx, step.ID, src); err != nil {
			return err
		}
	}
	res, err := c.verifyTables(ctx, step, tables)
	if err != nil {
		return err
	}
	if res.Mismatches == 0 {
		return nil
	}
	if _, watched := c.opts.Runbook.Triggers.Threshold(runbooks.TriggerVerifyMismatch); !watched {
		return fmt.Errorf("%d rows differ between source and target", res.Mismatches)
	}
	// The trigger is judged per table: a limit accepted for one table
	// leaves every other table to the runbook's threshold.
	for _, check := range res.Tables {
		if err := c.judgeMismatch(ctx, step.ID, check); err != nil {
			return err
		}
	}
	return nil
}

// verifyTables compares tables between the step's from and to and
// journals the result (verify_result); a switch verifies through it too.
func (c *Conductor) verifyTables(ctx context.Context, step runbooks.Step, tables []string) (journal.VerifyPayload, error) {
	var res journal.VerifyPayload
	src, err := c.database(ctx, step.From)
	if err != nil {
		return res, err
	}
	dst, err := c.database(ctx, step.To)
	if err != nil {
		return res, err
	}
	// Verify honours the cast rules of the copies between the same two
	// databases: a value a documented cast changed is not a difference.
	for _, s := range c.opts.Runbook.Steps {
		if s.Kind == runbooks.KindCopy && s.From == step.From && s.To == step.To {
			step.Casts = append(step.Casts, s.Casts...)
		}
	}
	for _, name := range tables {
		var check journal.TableCheck
		what := "verifying " + name
		rejected, err := c.copyRejects(ctx, step, name)
		if err != nil {
			return res, err
		}
		err = c.retrying(ctx, step.ID, what, func(ctx context.Context) error {
			var err error
			check, err = guarded(ctx, c, step.ID, what, []db.DB{src, dst}, func(ctx context.Context) (journal.TableCheck, error) {
				return verify.TableExcluding(ctx, src, dst, name, c.verifyKey(step, name), verify.Sizes{}, rejected)
			})
			return err
		})
		if err != nil {
			return res, err
		}
		res.Tables = append(res.Tables, check)
		res.Mismatches += check.Mismatches
		c.logf(step.ID, "info", "%s: source %d rows (%d rows rejected by the copy, excluded), target %d rows, %d differ",
			name, check.SourceRows, check.Rejected, check.TargetRows, check.Mismatches)
	}
	_, err = c.emit(c.opts.Operator, step.ID, journal.VerifyResult, res)
	return res, err
}

// copyRejects returns the keys of the rows of table that the copies
// between the verify step's two connections rejected, for any reason
// (rows that do not convert, rows the target refused), as the journal
// holds them: verify expects those rows missing in the target.
func (c *Conductor) copyRejects(ctx context.Context, step runbooks.Step, table string) (map[string]struct{}, error) {
	var ids []string
	for _, s := range c.opts.Runbook.Steps {
		if s.Kind == runbooks.KindCopy && s.From == step.From && s.To == step.To && (s.All || slices.Contains(s.Tables, table)) {
			ids = append(ids, s.ID)
		}
	}
	return c.opts.Journal.RejectedKeys(ctx, table, ids)
}

// verifyKey is the verify step as it verifies one table: with its own
// key: when it names one, else with the key the copy of that table between
// the same two connections used, so a table without a primary key that was
// copied by a unique key is verified by the same key.
func (c *Conductor) verifyKey(step runbooks.Step, table string) runbooks.Step {
	if len(step.Key) > 0 {
		return step
	}
	for _, s := range c.opts.Runbook.Steps {
		if s.Kind == runbooks.KindCopy && s.From == step.From && s.To == step.To && len(s.Key) > 0 &&
			(s.All || slices.Contains(s.Tables, table)) {
			step.Key = s.Key
			return step
		}
	}
	return step
}

// judgeMismatch raises verify_mismatch for one table whose differing rows
// exceed the limit in force for it.
func (c *Conductor) judgeMismatch(ctx context.Context, stepID string, check journal.TableCheck) error {
	return c.judge(ctx, measure{
		trigger: runbooks.TriggerVerifyMismatch, stepID: stepID, table: check.Table, observed: float64(check.Mismatches),
		message: func(allowed float64) string {
			return fmt.Sprintf("%d rows of %s differ between source and target (allowed: %g)", check.Mismatches, check.Table, allowed)
		},
		evidence: map[string]any{"table": check.Table, "mismatches": check.Mismatches},
	})
}

// snapshotStep takes and verifies a labelled snapshot of a connection.
func (c *Conductor) snapshotStep(ctx context.Context, step runbooks.Step) error {
	d, err := c.database(ctx, step.Of)
	if err != nil {
		return err
	}
	conn, _ := c.opts.Runbook.Connection(step.Of)
	var m journal.SnapshotPayload
	what := "snapshot of " + step.Of
	err = c.retrying(ctx, step.ID, what, func(ctx context.Context) error { // a failed snapshot leaves nothing behind
		var err error
		m, err = guarded(ctx, c, step.ID, what, []db.DB{d}, func(ctx context.Context) (journal.SnapshotPayload, error) {
			return snapshot.Take(ctx, d, snapshot.Request{
				MigrationID: c.opts.Runbook.MigrationID, StepID: step.ID, Connection: step.Of, DSNEnv: conn.DSNEnv,
				Method: step.Method, Dir: c.opts.SnapshotDir, Now: c.opts.Now,
			})
		})
		return err
	})
	if err != nil {
		return err
	}
	var rows int64
	for _, t := range m.Tables {
		rows += t.Rows
	}
	c.logf(step.ID, "info", "snapshot %s (%s): %d tables, %d rows, %d bytes, sha256 %s…", m.Label, m.Method, len(m.Tables), rows, m.Size, m.SHA256[:12])
	if _, err := c.emit(c.opts.Operator, step.ID, journal.SnapshotTaken, m); err != nil {
		return err
	}
	if rto := c.opts.Runbook.Objectives.RTO; rto > 0 && time.Duration(m.EstRestoreMS)*time.Millisecond > rto {
		c.warn("rto", fmt.Sprintf("restoring %s is estimated at %s, more than the RTO of %s",
			m.Label, (time.Duration(m.EstRestoreMS)*time.Millisecond).Round(time.Second), rto))
	}
	return nil
}

// restoreStep restores the snapshot a snapshot step took, verifies it
// against the manifest and times it against the RTO.
func (c *Conductor) restoreStep(ctx context.Context, step runbooks.Step) error {
	var m *journal.SnapshotPayload
	c.mu.Lock()
	for i := range c.state.Snapshots {
		if c.state.Snapshots[i].Step == step.Snapshot {
			s := c.state.Snapshots[i]
			m = &s
		}
	}
	c.mu.Unlock()
	if m == nil {
		if why, ok := c.nothingToRestore(step); ok {
			c.logf(step.ID, "info", "%s", why)
			return fmt.Errorf("%w: %s", errSkipped, why)
		}
		return fmt.Errorf("snapshot step %s has not taken a snapshot in this run: nothing to restore", step.Snapshot)
	}
	d, err := c.database(ctx, m.Connection)
	if err != nil {
		return err
	}
	start := c.opts.Now()
	damaged := *m
	res, err := guarded(ctx, c, step.ID, "restore of "+m.Label, []db.DB{d}, func(ctx context.Context) (snapshot.Result, error) {
		return snapshot.Restore(ctx, d, *m)
	})
	if errors.Is(err, snapshot.ErrDamaged) { // nothing was changed: fall back to an earlier snapshot
		var fb journal.SnapshotPayload
		fb, res, err = c.fallbackRestore(ctx, step.ID, d, *m, err)
		m = &fb
	}
	if err != nil {
		return err
	}
	tables, verified := res.Tables, res.Verified
	took := c.opts.Now().Sub(start)
	if len(res.Extra) > 0 {
		c.logf(step.ID, "warn", "tables created after the snapshot were left as they are: %s", strings.Join(res.Extra, ", "))
	}
	rto := c.opts.Runbook.Objectives.RTO
	if _, err := c.emit(c.opts.Operator, step.ID, journal.RestoreFinished, journal.RestorePayload{
		Snapshot: m.Label, Connection: m.Connection, DurationMS: took.Milliseconds(), RTOMS: rto.Milliseconds(),
		Verified: verified, Tables: tables, FallbackFrom: fallbackFrom(damaged, *m), Manifest: manifestIfFallback(damaged, *m),
	}); err != nil {
		return err
	}
	if !verified {
		return fmt.Errorf("restore of %s does not match its manifest", m.Label)
	}
	c.logf(step.ID, "info", "restored %s in %s (RTO %s), checksums match the manifest", m.Label, took.Round(1e6), rto)
	return nil
}
