package bluegreen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// Prepare starts replication blue → green: checks both servers and every
// table's shape, freezes green (read_only through the Freezer: the
// application must not write to a replica), sets green's gtid_slave_pos to
// the GTID position green's rows are from — with CopyData, the position
// of the consistent snapshot it copies blue's tables from into an empty
// green; else StartGTID — creates the replica connection tr_<name>_fwd on
// green (MASTER_USE_GTID = slave_pos, only the pair's tables), starts it
// and waits until green has blue's position at the end. A forward
// connection already there (a resumed step) is continued.
func (p *myPair) Prepare(ctx context.Context) (Prepared, error) {
	start := time.Now()
	var out Prepared
	if err := p.checkShapes(ctx); err != nil {
		return out, err
	}
	if p.blue.serverID == p.green.serverID {
		return out, fmt.Errorf("%s and %s have the same server_id %d: a replica ignores its own server id's events; give them different ones", p.blue.Name, p.green.Name, p.blue.serverID)
	}
	if _, err := p.blue.binlogReady(ctx); err != nil {
		return out, err
	}
	fwd := p.cfg.ForwardName()
	st, there, err := p.green.replica(ctx, fwd)
	if err != nil {
		return out, err
	}
	if !there && !p.cfg.CopyData && p.cfg.StartGTID == "" {
		return out, fmt.Errorf("%s holds blue's rows (copy: false) but from which GTID position is not known: copy them after a cdc-start on %s (its consistent snapshot's GTID position), or let the replicate step copy them (copy: true)", p.green.Name, p.blue.Name)
	}
	if p.cfg.Freezer != nil {
		if err := p.cfg.Freezer.Freeze(ctx, p.green.Side, p.cfg.Tables); err != nil {
			return out, fmt.Errorf("freeze %s (the replica): %w", p.green.Name, err)
		}
	}
	if there {
		out.SlotLSN = st.GtidIOPos
		if !st.running() && st.failure() == nil {
			if _, err := p.green.pool.ExecContext(ctx, "START SLAVE "+myLiteral(fwd)); err != nil {
				return out, fmt.Errorf("start replica connection %s on %s: %w", fwd, p.green.Name, err)
			}
		}
	} else {
		if err := strictSafe(ctx, p.blue, p.green); err != nil {
			return out, err
		}
		pos := p.cfg.StartGTID
		if p.cfg.CopyData {
			if pos, err = p.copyFromSnapshot(ctx); err != nil {
				return out, err
			}
		}
		if _, err := parseGTIDPos(pos); err != nil {
			return out, fmt.Errorf("start position: %w", err)
		}
		if err := p.startReplica(ctx, p.green, p.blue, fwd, pos); err != nil {
			return out, err
		}
		out.SlotLSN, out.SlotCreated = pos, true
	}
	if err := p.green.waitConnected(ctx, fwd, p.cfg.syncTimeout()); err != nil {
		return out, err
	}
	if _, err := myWaitCaughtUp(ctx, p.blue, p.green, fwd, p.cfg.syncTimeout()); err != nil {
		return out, err
	}
	out.Tables = len(p.tables)
	out.Took = time.Since(start)
	return out, nil
}

// copyFromSnapshot copies every table from one consistent snapshot of
// blue (START TRANSACTION WITH CONSISTENT SNAPSHOT) into green, which must
// be empty, and returns the snapshot's GTID position (BINLOG_GTID_POS of
// its binlog coordinates, read in the same transaction): green holds
// exactly blue's transactions up to it. The copy writes with sql_log_bin
// = 0, so none of it reaches green's binlog.
func (p *myPair) copyFromSnapshot(ctx context.Context) (string, error) {
	for _, t := range p.tables {
		var one int
		err := p.green.pool.QueryRowContext(ctx, "SELECT 1 FROM "+myTable(t)+" LIMIT 1").Scan(&one)
		if err == nil {
			return "", fmt.Errorf("table %s on %s has rows: copying blue's rows into it would collide; empty it, or copy it yourself and replicate without copying", t, p.green.Name)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("table %s on %s: %w", t, p.green.Name, err)
		}
	}
	src, err := p.blue.db(ctx)
	if err != nil {
		return "", err
	}
	dst, err := p.green.db(ctx)
	if err != nil {
		return "", err
	}
	snap, err := db.BeginMySQLSnapshot(ctx, src)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p.blue.Name, err)
	}
	defer snap.Release()
	if snap.BinlogFile == "" {
		return "", fmt.Errorf("%s reported no binlog coordinates for the snapshot (is log_bin on?)", p.blue.Name)
	}
	var pos sql.NullString
	if err := snap.QueryRow(ctx, []any{&pos}, "SELECT BINLOG_GTID_POS(?, ?)", snap.BinlogFile, snap.BinlogPos); err != nil {
		return "", fmt.Errorf("BINLOG_GTID_POS on %s: %w", p.blue.Name, err)
	}
	if !pos.Valid {
		return "", fmt.Errorf("BINLOG_GTID_POS(%s, %d) on %s is NULL: the server cannot map the snapshot to a GTID position", snap.BinlogFile, snap.BinlogPos, p.blue.Name)
	}
	if _, err := copyengine.Run(ctx, snap.Reader(src), dst, p.tables, runbooks.Step{}, "bluegreen_"+p.cfg.Name, strictSink{}); err != nil {
		return "", fmt.Errorf("copy %s → %s: %w", p.blue.Name, p.green.Name, err)
	}
	return pos.String, nil
}

// strictSink is the blue-green copy's sink: the two sides have one shape,
// so a row that does not fit is an error, never a reject.
type strictSink struct{}

func (strictSink) Rejects(_ context.Context, table string, rows []copyengine.Rejected) error {
	return fmt.Errorf("%d rows of %s do not fit the same table on the other side (first: %s): the two sides differ", len(rows), table, rows[0].Detail)
}
func (strictSink) Cast(string, string, string, string, int64)          {}
func (strictSink) Progress(context.Context, copyengine.Counters) error { return nil }
func (strictSink) Created(string, []db.Mapping)                        {}
func (strictSink) Retry(string, int, time.Duration, error)             {}
