package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ReadingSnapshot returns d reading as of an exported snapshot: every read
// (Tables, Table, Count, ReadBatch) runs in its own REPEATABLE READ
// transaction that first imports the snapshot (SET TRANSACTION SNAPSHOT),
// so parallel readers all see the same moment. Writes go to d unchanged.
// A change stream's slot exports such a snapshot: a copy that reads through
// it meets the stream with no gap and no overlap. The snapshot must stay
// exported (its exporting session open and idle) while reads run; a read
// after that fails, it never silently reads the live tables. Only
// PostgreSQL exports snapshots.
func ReadingSnapshot(d DB, snapshot string) (DB, error) {
	p, ok := d.(*pgDB)
	if !ok {
		return nil, fmt.Errorf("%s: reading an exported snapshot needs PostgreSQL", d.Describe())
	}
	if snapshot == "" || strings.ContainsAny(snapshot, "'\\\x00") {
		return nil, fmt.Errorf("postgres: invalid snapshot name %q", snapshot)
	}
	return &pgSnapshotReader{pgDB: p, snapshot: snapshot}, nil
}

// pgSnapshotReader is ReadingSnapshot's DB. Close leaves the pool open:
// it belongs to the DB it was made from.
type pgSnapshotReader struct {
	*pgDB
	snapshot string
}

// in runs fn in a REPEATABLE READ, read-only transaction on the snapshot.
func (r *pgSnapshotReader) in(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: begin a snapshot read: %w", err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT '"+r.snapshot+"'"); err != nil {
		return fmt.Errorf("postgres: import snapshot %s (the stream's exported snapshot is gone?): %w", r.snapshot, err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func (r *pgSnapshotReader) Describe() string {
	return r.pgDB.Describe() + " (snapshot " + r.snapshot + ")"
}

// Close does nothing: the pool is the original DB's.
func (r *pgSnapshotReader) Close() error { return nil }

func (r *pgSnapshotReader) Tables(ctx context.Context) (out []string, err error) {
	err = r.in(ctx, func(tx pgx.Tx) error { out, err = pgTables(ctx, tx); return err })
	return out, err
}

func (r *pgSnapshotReader) Table(ctx context.Context, name string) (t Table, err error) {
	err = r.in(ctx, func(tx pgx.Tx) error { t, err = pgTable(ctx, tx, r.quoteTable, name); return err })
	return t, err
}

func (r *pgSnapshotReader) Count(ctx context.Context, table string) (n int64, err error) {
	err = r.in(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+r.quoteTable(table)).Scan(&n); err != nil {
			return fmt.Errorf("postgres: count %s: %w", table, err)
		}
		return nil
	})
	return n, err
}

func (r *pgSnapshotReader) ReadBatch(ctx context.Context, t Table, cols []string, after []any, limit int) (rows [][]any, err error) {
	err = r.in(ctx, func(tx pgx.Tx) error { rows, err = r.readBatch(ctx, tx, t, cols, after, limit); return err })
	return rows, err
}
