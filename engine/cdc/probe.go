package cdc

import (
	"context"
	"fmt"
)

// Prober is an applier that can prove, before it is needed, that it can
// write its position on its target: one row of PositionTable written in a
// transaction that is then rolled back (a read_only server, a revoked
// privilege or a missing table fail it). A switch proves its reverse path
// with it while both sides are frozen.
type Prober interface {
	Probe(ctx context.Context) error
}

// probeStream is the row a probe writes and rolls back: no stream is named so.
const probeStream = "tightrope probe (rolled back)"

// Probe writes the position row in a rolled-back transaction.
func (a *PGApplier) Probe(ctx context.Context) error {
	conn, err := pgOpen(ctx, a.DSN)
	if err != nil {
		return fmt.Errorf("cdc: target: %w", err)
	}
	defer conn.Close(context.Background())
	if err := ensurePositionTable(ctx, conn); err != nil {
		return err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `INSERT INTO `+PositionTable+` (stream, journal_seq, position) VALUES ($1, 0, '')`, probeStream); err != nil {
		return fmt.Errorf("cdc: write %s: %w", PositionTable, err)
	}
	return nil
}

// Probe writes the position row in a rolled-back transaction.
func (a *MyApplier) Probe(ctx context.Context) error {
	conn, _, closeAll, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+PositionTable+" (stream, journal_seq, position, applied_at) VALUES (?, 0, '', UTC_TIMESTAMP(6))", probeStream); err != nil {
		return fmt.Errorf("cdc: write %s: %w", PositionTable, err)
	}
	return nil
}
