package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/convert"
)

// LoadBatch inserts rows and upserts mark in one BEGIN IMMEDIATE
// transaction; on any error nothing of the batch and no marker is kept.
// Statements carry at most sqliteMaxVars placeholders; a larger batch is
// several statements in the same transaction.
func (d *sqliteDB) LoadBatch(ctx context.Context, t Table, cols []string, rows [][]any, mark Marker) (err error) {
	if len(cols) == 0 {
		return fmt.Errorf("sqlite: load %s: no columns", t.Name)
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: load %s: %w", t.Name, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = d.insertRows(ctx, tx, t, cols, rows); err != nil {
		return err
	}
	if err = d.putMarker(ctx, tx, t.Name, mark); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: load %s: commit: %w", t.Name, err)
	}
	return nil
}

// insertRows inserts rows in tx, in statements of at most sqliteMaxVars
// placeholders.
func (d *sqliteDB) insertRows(ctx context.Context, tx *sql.Tx, t Table, cols []string, rows [][]any) error {
	types := make([]convert.Type, len(cols))
	for i, c := range cols {
		col, _ := t.Column(c)
		types[i] = col.Type
	}
	perStmt := max(1, sqliteMaxVars/len(cols))
	var stmt *sql.Stmt // prepared for perStmt rows, reused for every full chunk
	for start := 0; start < len(rows); start += perStmt {
		chunk := rows[start:min(start+perStmt, len(rows))]
		args := make([]any, 0, len(chunk)*len(cols))
		for _, r := range chunk {
			if len(r) != len(cols) {
				return fmt.Errorf("sqlite: load %s: row has %d values for %d columns", t.Name, len(r), len(cols))
			}
			for i, v := range r {
				args = append(args, sqliteValue(v, types[i]))
			}
		}
		s := stmt
		if len(chunk) != perStmt || s == nil {
			var err error
			s, err = tx.PrepareContext(ctx, d.insertSQL(t.Name, cols, len(chunk)))
			if err != nil {
				return fmt.Errorf("sqlite: load %s: %w", t.Name, err)
			}
			defer s.Close()
			if len(chunk) == perStmt {
				stmt = s
			}
		}
		if _, err := s.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("sqlite: load %s: %w", t.Name, err)
		}
	}
	return nil
}

// insertSQL is INSERT INTO "t" ("a", "b") VALUES (?, ?), ... for n rows.
func (d *sqliteDB) insertSQL(table string, cols []string, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + d.Quote(table) + " (")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.Quote(c))
	}
	b.WriteString(") VALUES ")
	tuple := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
	return b.String()
}

// sqliteValue renders a time.Time as the text SQLite's date functions and
// the driver's reader understand, shaped by the column's kind; other values
// go to the driver as they are.
func sqliteValue(v any, t convert.Type) any {
	tm, ok := v.(time.Time)
	if !ok {
		return v
	}
	switch t.Kind {
	case convert.Date:
		return tm.Format(time.DateOnly)
	case convert.Time:
		return tm.Format("15:04:05.999999999")
	case convert.Timestamp:
		return tm.Format("2006-01-02 15:04:05.999999999")
	case convert.TimestampTZ:
		return tm.UTC().Format("2006-01-02 15:04:05.999999999Z")
	}
	return v // the driver writes "2006-01-02 15:04:05.999999999-07:00"
}

const sqliteProgressDDL = `CREATE TABLE IF NOT EXISTS "` + ProgressTable + `" (
	copy_id TEXT NOT NULL, tbl TEXT NOT NULL, last_key TEXT,
	read INTEGER NOT NULL, written INTEGER NOT NULL, rejected INTEGER NOT NULL,
	updated_at TEXT NOT NULL, PRIMARY KEY (copy_id, tbl))`

// putMarker upserts mark inside tx, creating ProgressTable if missing. The
// marker's table defaults to the loaded table.
func (d *sqliteDB) putMarker(ctx context.Context, tx *sql.Tx, table string, mark Marker) error {
	if mark.Table == "" {
		mark.Table = table
	}
	key, err := markerKeyJSON(mark.LastKey)
	if err != nil {
		return fmt.Errorf("sqlite: load %s: marker key: %w", table, err)
	}
	if _, err := tx.ExecContext(ctx, sqliteProgressDDL); err != nil {
		return fmt.Errorf("sqlite: load %s: create %s: %w", table, ProgressTable, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO "`+ProgressTable+`"
		(copy_id, tbl, last_key, read, written, rejected, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (copy_id, tbl) DO UPDATE SET last_key = excluded.last_key,
		read = excluded.read, written = excluded.written, rejected = excluded.rejected,
		updated_at = excluded.updated_at`,
		mark.CopyID, mark.Table, key, mark.Read, mark.Written, mark.Rejected,
		d.now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("sqlite: load %s: marker: %w", table, err)
	}
	return nil
}

// Progress reads a copy's marker back. JSON numbers in the last key come
// back as int64 when they are integers, float64 otherwise.
func (d *sqliteDB) Progress(ctx context.Context, copyID, table string) (Marker, bool, error) {
	var exists bool
	err := d.db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM sqlite_master
		WHERE type = 'table' AND name = ?`, ProgressTable).Scan(&exists)
	if err != nil {
		return Marker{}, false, fmt.Errorf("sqlite: progress %s: %w", table, err)
	}
	if !exists {
		return Marker{}, false, nil
	}
	m := Marker{CopyID: copyID, Table: table}
	var key sql.NullString
	err = d.db.QueryRowContext(ctx, `SELECT last_key, read, written, rejected FROM "`+ProgressTable+`"
		WHERE copy_id = ? AND tbl = ?`, copyID, table).Scan(&key, &m.Read, &m.Written, &m.Rejected)
	if errors.Is(err, sql.ErrNoRows) {
		return Marker{}, false, nil
	}
	if err != nil {
		return Marker{}, false, fmt.Errorf("sqlite: progress %s: %w", table, err)
	}
	if m.LastKey, err = markerKeyFromJSON(key.String); err != nil {
		return Marker{}, false, fmt.Errorf("sqlite: progress %s: last key %q: %w", table, key.String, err)
	}
	return m, true, nil
}
