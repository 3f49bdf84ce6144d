package db

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The batchTx of each engine, for LoadRefusing.

// LoadRefusing implements DB.
func (p *pgDB) LoadRefusing(ctx context.Context, t Table, cols []string, rows [][]any, settle func([]Refusal) (Marker, error)) error {
	return loadRefusing(ctx, p, t, cols, rows, settle)
}

// LoadRefusing implements DB.
func (m *myDB) LoadRefusing(ctx context.Context, t Table, cols []string, rows [][]any, settle func([]Refusal) (Marker, error)) error {
	return loadRefusing(ctx, m, t, cols, rows, settle)
}

// LoadRefusing implements DB.
func (d *sqliteDB) LoadRefusing(ctx context.Context, t Table, cols []string, rows [][]any, settle func([]Refusal) (Marker, error)) error {
	return loadRefusing(ctx, d, t, cols, rows, settle)
}

type pgBatchTx struct {
	p    *pgDB
	tx   pgx.Tx
	t    Table
	cols []string
}

// beginBatch opens a transaction in which deferred constraints are checked
// at once, so a refused row fails its own insert rather than the commit.
func (p *pgDB) beginBatch(ctx context.Context, t Table, cols []string) (batchTx, error) {
	if err := p.ensureProgress(ctx); err != nil {
		return nil, err
	}
	tx, err := pgBeginBatch(ctx, p.pool)
	if err != nil {
		return nil, fmt.Errorf("postgres: load %s: begin: %w", t.Name, err)
	}
	if _, err := tx.Exec(ctx, "SET CONSTRAINTS ALL IMMEDIATE"); err != nil {
		tx.Rollback(ctx) //nolint:errcheck // the error above is the one to report
		return nil, fmt.Errorf("postgres: load %s: %w", t.Name, err)
	}
	return &pgBatchTx{p: p, tx: tx, t: t, cols: cols}, nil
}

func (b *pgBatchTx) insert(ctx context.Context, rows [][]any) error {
	n, err := b.p.copyRows(ctx, b.tx.Conn(), b.t, b.cols, rows)
	if err != nil {
		return fmt.Errorf("postgres: load %s: copy: %w", b.t.Name, err)
	}
	if n != int64(len(rows)) {
		return fmt.Errorf("postgres: load %s: copy wrote %d of %d rows", b.t.Name, n, len(rows))
	}
	return nil
}

func (b *pgBatchTx) exec(ctx context.Context, sql string) error {
	if _, err := b.tx.Exec(ctx, sql); err != nil {
		return fmt.Errorf("postgres: load %s: %s: %w", b.t.Name, sql, err)
	}
	return nil
}

func (b *pgBatchTx) mark(ctx context.Context, m Marker) error {
	key, err := markerKeyJSON(m.LastKey)
	if err != nil {
		return fmt.Errorf("postgres: load %s: marker key: %w", b.t.Name, err)
	}
	return b.p.putMarker(ctx, b.tx, b.t.Name, key, m)
}

func (b *pgBatchTx) commit(ctx context.Context) error {
	if err := b.tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: load %s: commit: %w", b.t.Name, err)
	}
	return nil
}

func (b *pgBatchTx) rollback(ctx context.Context) { b.tx.Rollback(ctx) } //nolint:errcheck // a no-op after Commit

// sqlBatchTx is the batchTx of the database/sql engines (MySQL, SQLite).
type sqlBatchTx struct {
	driver string
	tx     *sql.Tx
	table  string
	ins    func(ctx context.Context, tx *sql.Tx, rows [][]any) error
	put    func(ctx context.Context, tx *sql.Tx, m Marker) error
}

func (m *myDB) beginBatch(ctx context.Context, t Table, cols []string) (batchTx, error) {
	if err := m.loadReady(ctx, t.Name); err != nil {
		return nil, err
	}
	tx, err := m.beginLoad(ctx, t.Name, "")
	if err != nil {
		return nil, err
	}
	ins := func(ctx context.Context, tx *sql.Tx, rows [][]any) error {
		per := m.chunkRows(cols, rows)
		args := make([]any, 0, per*len(cols))
		for start := 0; start < len(rows); start += per {
			chunk := rows[start:min(start+per, len(rows))]
			args = args[:0]
			for _, r := range chunk {
				args = append(args, r...)
			}
			if _, err := tx.ExecContext(ctx, m.insertSQL(t.Name, cols, len(chunk)), args...); err != nil {
				return fmt.Errorf("mysql: load %s: insert: %w", t.Name, err)
			}
		}
		return nil
	}
	put := func(ctx context.Context, tx *sql.Tx, mk Marker) error {
		key, err := markerKeyJSON(mk.LastKey)
		if err != nil {
			return fmt.Errorf("mysql: load %s: marker key: %w", t.Name, err)
		}
		return m.putMarker(ctx, tx, t.Name, key, mk)
	}
	return &sqlBatchTx{driver: "mysql", tx: tx, table: t.Name, ins: ins, put: put}, nil
}

func (d *sqliteDB) beginBatch(ctx context.Context, t Table, cols []string) (batchTx, error) {
	if len(cols) == 0 {
		return nil, fmt.Errorf("sqlite: load %s: no columns", t.Name)
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: load %s: %w", t.Name, err)
	}
	deferred, err := sqliteDeferredFK(ctx, tx, t.Name)
	if err != nil {
		tx.Rollback() //nolint:errcheck // the error above is the one to report
		return nil, fmt.Errorf("sqlite: load %s: %w", t.Name, err)
	}
	ins := func(ctx context.Context, tx *sql.Tx, rows [][]any) error {
		if err := d.insertRows(ctx, tx, t, cols, rows); err != nil || !deferred {
			return err
		}
		return d.checkDeferredFK(ctx, tx, t.Name)
	}
	put := func(ctx context.Context, tx *sql.Tx, m Marker) error { return d.putMarker(ctx, tx, t.Name, m) }
	return &sqlBatchTx{driver: "sqlite", tx: tx, table: t.Name, ins: ins, put: put}, nil
}

func (b *sqlBatchTx) insert(ctx context.Context, rows [][]any) error { return b.ins(ctx, b.tx, rows) }

func (b *sqlBatchTx) exec(ctx context.Context, sql string) error {
	if _, err := b.tx.ExecContext(ctx, sql); err != nil {
		return fmt.Errorf("%s: load %s: %s: %w", b.driver, b.table, sql, err)
	}
	return nil
}

func (b *sqlBatchTx) mark(ctx context.Context, m Marker) error { return b.put(ctx, b.tx, m) }

func (b *sqlBatchTx) commit(context.Context) error {
	if err := b.tx.Commit(); err != nil {
		return fmt.Errorf("%s: load %s: commit: %w", b.driver, b.table, err)
	}
	return nil
}

func (b *sqlBatchTx) rollback(context.Context) { b.tx.Rollback() } //nolint:errcheck // a no-op after Commit

// LoadRefusing implements DB: a snapshot view is read-only.
func (v *pgTxView) LoadRefusing(context.Context, Table, []string, [][]any, func([]Refusal) (Marker, error)) error {
	return errReadOnlyView
}

// LoadRefusing implements DB: a snapshot view is read-only.
func (v *mySnapView) LoadRefusing(context.Context, Table, []string, [][]any, func([]Refusal) (Marker, error)) error {
	return errReadOnlyView
}
