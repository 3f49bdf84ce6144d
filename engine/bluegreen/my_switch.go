package bluegreen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/cutover"
	"github.com/tightrope/tightrope/engine/verify"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// SwitchWith makes green live, in the phases of the PostgreSQL switch:
// proves the reverse path unless CheckReverse already did on this pair;
// (1) freezes blue (read_only, through the Freezer), (2) waits with
// MASTER_GTID_WAIT until green has applied blue's gtid_binlog_pos, (3)
// compares every table row by row (engine/verify), (4) stops and removes
// the forward connection, (5) makes blue a replica of green from green's
// gtid_binlog_pos read while both are frozen, and waits until it has
// connected, (6) brings green's AUTO_INCREMENT counters past the keys,
// runs the route and (7) unfreezes green. A failure before (4) unfreezes
// blue with forward replication as it was: blue stays live and writable.
// A failure after (4) removes the reverse connection, starts forward
// replication again from blue's position (both are frozen and equal) and
// unfreezes blue.
func (p *myPair) SwitchWith(ctx context.Context, h Hooks) (Switched, error) {
	if !p.reverseChecked {
		if _, err := p.CheckReverse(ctx); err != nil {
			return Switched{From: p.blue.Name, To: p.blue.Name}, fmt.Errorf("switch refused before anything changed: %w", err)
		}
	}
	return p.cut(ctx, p.blue, p.green, p.cfg.ForwardName(), p.cfg.ReverseName(), true, false, h)
}

// ResumeSwitch finishes a switch to green interrupted after blue was
// frozen, from where the replica connections say it got (see the
// PostgreSQL pair's ResumeSwitch).
func (p *myPair) ResumeSwitch(ctx context.Context, h Hooks) (Switched, error) {
	return p.cut(ctx, p.blue, p.green, p.cfg.ForwardName(), p.cfg.ReverseName(), true, true, h)
}

// SwitchBackWith makes blue live again, the mirror of SwitchWith; with
// restartForward, green becomes blue's replica again. Green stays frozen.
func (p *myPair) SwitchBackWith(ctx context.Context, restartForward bool, h Hooks) (Switched, error) {
	return p.cut(ctx, p.green, p.blue, p.cfg.ReverseName(), p.cfg.ForwardName(), restartForward, false, h)
}

// ResumeSwitchBack is ResumeSwitch for an interrupted switch-back.
func (p *myPair) ResumeSwitchBack(ctx context.Context, restartForward bool, h Hooks) (Switched, error) {
	return p.cut(ctx, p.green, p.blue, p.cfg.ReverseName(), p.cfg.ForwardName(), restartForward, true, h)
}

// cut moves the live side from old to nu: connection oldName on nu
// replicates old → nu now; newName on old is to replicate nu → old
// afterwards when startNew. resume: an interrupted cut with old frozen,
// taken up where the replica connections say.
func (p *myPair) cut(ctx context.Context, old, nu *myEnd, oldName, newName string, startNew, resume bool, h Hooks) (Switched, error) {
	return runCut(ctx, cutSteps{
		old: old.Name, nu: nu.Name, oldName: oldName, newName: newName, link: "replica connection",
		startNew: startNew, resume: resume, detachRestores: true,
		oldRuns: func(ctx context.Context) (bool, error) {
			_, ok, err := nu.replica(ctx, oldName)
			return ok, err
		},
		newRuns: func(ctx context.Context) (bool, error) {
			_, ok, err := old.replica(ctx, newName)
			return ok, err
		},
		freeze:      func(ctx context.Context) error { return p.freeze(ctx, old) },
		unfreezeOld: func(ctx context.Context) error { return p.unfreeze(ctx, old) },
		unfreezeNew: func(ctx context.Context) error { return p.unfreeze(ctx, nu) },
		drain: func(ctx context.Context, out *Switched) (string, error) {
			var err error
			out.Lag, err = myWaitCaughtUp(ctx, old, nu, oldName, p.cfg.catchUpTimeout())
			return fmt.Sprintf("%s applied %s's GTID position %s (replica connection %s)", nu.Name, old.Name, out.Lag.CurrentLSN, oldName), err
		},
		verify: func(ctx context.Context, out *Switched) (string, error) { return p.verify(ctx, old, nu, out) },
		detach: func(ctx context.Context, _ *Switched) (string, error) {
			return fmt.Sprintf("replica connection %s on %s stopped and removed", oldName, nu.Name), nu.removeReplica(ctx, oldName)
		},
		resumed: func(ctx context.Context, out *Switched) (err error) {
			out.ReplicaLSN, err = old.gtidVar(ctx, "gtid_slave_pos")
			return err
		},
		startReverse: func(ctx context.Context, out *Switched) (string, error) {
			var err error
			if out.ReplicaLSN, err = nu.gtidVar(ctx, "gtid_binlog_pos"); err != nil {
				return "", err
			}
			if err := p.startReplica(ctx, old, nu, newName, out.ReplicaLSN); err != nil {
				return "", err
			}
			if err := old.waitConnected(ctx, newName, 10*time.Second); err != nil {
				return "", err
			}
			return fmt.Sprintf("%s → %s started: replica connection %s on %s from GTID position %q", nu.Name, old.Name, newName, old.Name, out.ReplicaLSN), nil
		},
		syncCounters: func(ctx context.Context) ([]journal.SequenceSync, error) { return p.syncCounters(ctx, old, nu) },
		countersDetail: func(n, moved int) string {
			return fmt.Sprintf("%d AUTO_INCREMENT counters on %s, %d moved past the keys", n, nu.Name, moved)
		},
		restore: func(rctx context.Context, cause error, abort func(error) error) error {
			return p.restore(rctx, old, nu, oldName, newName, cause, abort)
		},
	}, h)
}

// verify compares every table on old and nu with engine/verify's
// comparison (counts, checksums, the differing keys), the one tightrope
// has for every engine.
func (p *myPair) verify(ctx context.Context, old, nu *myEnd, out *Switched) (string, error) {
	src, err := old.db(ctx)
	if err != nil {
		return "", err
	}
	dst, err := nu.db(ctx)
	if err != nil {
		return "", err
	}
	var bad []string
	for _, t := range p.tables {
		c, err := verify.Table(ctx, src, dst, t, runbooks.Step{})
		if err != nil {
			return "", err
		}
		ts := TableSum{Table: t, Rows: c.SourceRows, Sum: c.SourceChecksum,
			Equal: c.Mismatches == 0 && c.SourceRows == c.TargetRows && c.SourceChecksum == c.TargetChecksum}
		ts.Differ = c.MismatchKeys[:min(5, len(c.MismatchKeys))]
		out.Tables = append(out.Tables, ts)
		if !ts.Equal {
			bad = append(bad, fmt.Sprintf("%s (%s has %d rows, %s %d; differing keys %s)", t, old.Name, c.SourceRows, nu.Name, c.TargetRows, strings.Join(ts.Differ, " ")))
		}
	}
	return verdict(old.Name, nu.Name, out.Tables, bad)
}

// syncCounters brings nu's AUTO_INCREMENT counters past the largest key
// of each table (cutover.SyncSequences); the session has sql_log_bin = 0,
// so the ALTER TABLE stays on nu.
func (p *myPair) syncCounters(ctx context.Context, old, nu *myEnd) ([]journal.SequenceSync, error) {
	d, err := nu.db(ctx)
	if err != nil {
		return nil, err
	}
	from, err := old.db(ctx)
	if err != nil {
		return nil, err
	}
	sets, err := cutover.SyncSequencesFrom(ctx, d, from, p.tables)
	if err != nil {
		return sets, fmt.Errorf("AUTO_INCREMENT counters on %s: %w", nu.Name, err)
	}
	return sets, nil
}

// restore puts old → nu back after the cut removed it (both sides are
// frozen and were equal): the new direction removed, nu made old's
// replica again from old's gtid_binlog_pos; then abort unfreezes old.
func (p *myPair) restore(rctx context.Context, old, nu *myEnd, oldName, newName string, cause error, abort func(error) error) error {
	var errs []error
	if err := old.removeReplica(rctx, newName); err != nil {
		errs = append(errs, err)
	}
	if st, there, err := nu.replica(rctx, oldName); err != nil {
		errs = append(errs, err)
	} else if there && !st.running() {
		if _, err := nu.pool.ExecContext(rctx, "START SLAVE "+myLiteral(oldName)); err != nil {
			errs = append(errs, err)
		}
	} else if !there {
		pos, err := old.gtidVar(rctx, "gtid_binlog_pos")
		if err == nil {
			err = p.startReplica(rctx, nu, old, oldName, pos)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("switch failed: %w; replication %s → %s could NOT be restarted (%v): both sides are frozen and were equal", cause, old.Name, nu.Name, errors.Join(errs...))
	}
	return abort(cause)
}

func (p *myPair) freeze(ctx context.Context, e *myEnd) error {
	if p.cfg.Freezer == nil {
		return nil
	}
	return p.cfg.Freezer.Freeze(ctx, e.Side, p.cfg.Tables)
}

func (p *myPair) unfreeze(ctx context.Context, e *myEnd) error {
	if p.cfg.Freezer == nil {
		return nil
	}
	return p.cfg.Freezer.Unfreeze(ctx, e.Side, p.cfg.Tables)
}
