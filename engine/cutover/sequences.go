package cutover

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

// SyncSequences brings the counters of tables on d past their largest
// key, so the next insert on the new side does not collide with a copied
// row: PostgreSQL serial and identity columns get setval(sequence,
// max(column)); MySQL AUTO_INCREMENT columns get ALTER TABLE …
// AUTO_INCREMENT = max+1. A counter already past the largest key is left
// alone (never moved back). SQLite needs nothing: a rowid or AUTOINCREMENT
// key continues from the largest key by itself. Running it again changes
// nothing more.
func SyncSequences(ctx context.Context, d DB, tables []string) ([]journal.SequenceSync, error) {
	return SyncSequencesFrom(ctx, d, nil, tables)
}

// SyncSequencesFrom is SyncSequences on d that also brings each PostgreSQL
// sequence past what the same sequence on from has handed out: the
// blue-green switch, where the side going live must not hand out a value
// the old side gave to a row deleted since (its max would not show it).
// from nil, or not PostgreSQL, is SyncSequences.
func SyncSequencesFrom(ctx context.Context, d, from DB, tables []string) ([]journal.SequenceSync, error) {
	if from != nil && (from.Driver() != db.Postgres || d.Driver() != db.Postgres) {
		from = nil
	}
	var out []journal.SequenceSync
	for _, t := range tables {
		var sets []journal.SequenceSync
		var err error
		switch d.Driver() {
		case db.Postgres:
			sets, err = pgSyncTable(ctx, d, from, t)
		case db.MySQL:
			sets, err = mySyncTable(ctx, d, t)
		}
		if err != nil {
			return out, fmt.Errorf("table %s: %w", t, err)
		}
		out = append(out, sets...)
	}
	return out, nil
}

// pgSyncTable syncs every sequence a column of table owns, past from's
// counter of the same name too when from is not nil.
func pgSyncTable(ctx context.Context, d, from DB, table string) ([]journal.SequenceSync, error) {
	rows, err := d.SQL().QueryContext(ctx, `SELECT a.attname, s.seq FROM pg_attribute a,
			LATERAL (SELECT pg_get_serial_sequence($1, a.attname) AS seq) s
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND s.seq IS NOT NULL
		ORDER BY a.attnum`, quoted(d, table))
	if err != nil {
		return nil, err
	}
	type owned struct{ col, seq string }
	var cols []owned
	for rows.Next() {
		var o owned
		if err := rows.Scan(&o.col, &o.seq); err != nil {
			rows.Close()
			return nil, err
		}
		cols = append(cols, o)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	var out []journal.SequenceSync
	for _, o := range cols {
		s := journal.SequenceSync{Table: table, Column: o.col, Sequence: o.seq}
		var mx sql.NullInt64
		if err := d.SQL().QueryRowContext(ctx, "SELECT max("+d.Quote(o.col)+")::bigint FROM "+quoted(d, table)).Scan(&mx); err != nil {
			return nil, err
		}
		// pg_get_serial_sequence returns the name quoted as needed.
		next, err := pgNext(ctx, d, o.seq)
		if err != nil {
			return nil, err
		}
		s.Next, s.NextAfter = next, next
		want := next
		if mx.Valid {
			v := mx.Int64
			s.Max = &v
			want = max(want, v+1)
		}
		if from != nil {
			other, err := pgNext(ctx, from, o.seq)
			if err != nil {
				return nil, fmt.Errorf("sequence %s on the other side: %w", o.seq, err)
			}
			s.Other = &other
			want = max(want, other)
		}
		if want > s.Next {
			if _, err := d.SQL().ExecContext(ctx, "SELECT setval($1::regclass, $2, true)", o.seq, want-1); err != nil {
				return nil, err
			}
			s.NextAfter = want
		}
		out = append(out, s)
	}
	return out, nil
}

// pgNext is the value the sequence hands out next.
func pgNext(ctx context.Context, d DB, seq string) (int64, error) {
	var last int64
	var called bool
	if err := d.SQL().QueryRowContext(ctx, "SELECT last_value, is_called FROM "+seq).Scan(&last, &called); err != nil {
		return 0, err
	}
	if called {
		return last + 1, nil
	}
	return last, nil
}

// mySyncTable syncs the table's AUTO_INCREMENT column, if it has one.
func mySyncTable(ctx context.Context, d DB, table string) ([]journal.SequenceSync, error) {
	schema, name, qualified := strings.Cut(table, ".")
	if !qualified {
		schema, name = "", table
	}
	var col string
	err := d.SQL().QueryRowContext(ctx, `SELECT COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ? AND EXTRA LIKE '%auto_increment%'`, schema, name).Scan(&col)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s := journal.SequenceSync{Table: table, Column: col}
	var mx sql.NullInt64
	if err := d.SQL().QueryRowContext(ctx, "SELECT CAST(MAX("+d.Quote(col)+") AS SIGNED) FROM "+quoted(d, table)).Scan(&mx); err != nil {
		return nil, err
	}
	next, err := myAutoIncrement(ctx, d, schema, name)
	if err != nil {
		return nil, err
	}
	s.Next, s.NextAfter = next, next
	if mx.Valid {
		v := mx.Int64
		s.Max = &v
		if v >= s.Next {
			if _, err := d.SQL().ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s AUTO_INCREMENT = %d", quoted(d, table), v+1)); err != nil {
				return nil, err
			}
			if s.NextAfter, err = myAutoIncrement(ctx, d, schema, name); err != nil {
				return nil, err
			}
		}
	}
	return []journal.SequenceSync{s}, nil
}

// myAutoIncrement reads the table's next AUTO_INCREMENT value from SHOW
// CREATE TABLE (information_schema may serve a cached figure on MySQL 8).
// A table without the clause starts at 1.
func myAutoIncrement(ctx context.Context, d DB, schema, name string) (int64, error) {
	table := d.Quote(name)
	if schema != "" {
		table = d.Quote(schema) + "." + table
	}
	var n, ddl string
	if err := d.SQL().QueryRowContext(ctx, "SHOW CREATE TABLE "+table).Scan(&n, &ddl); err != nil {
		return 0, err
	}
	// The clause is among the table options, on the line that closes the
	// column list, before COMMENT: a comment (the table's or a column's)
	// may say "AUTO_INCREMENT=" too, but SHOW CREATE TABLE escapes the
	// newlines in quoted text, so only the options line starts with ")".
	opts := ddl
	if i := strings.LastIndex(ddl, "\n)"); i >= 0 {
		opts = ddl[i+2:]
	}
	if i := strings.IndexByte(opts, '\n'); i >= 0 {
		opts = opts[:i]
	}
	if i := strings.Index(opts, " COMMENT="); i >= 0 {
		opts = opts[:i]
	}
	const key = " AUTO_INCREMENT="
	i := strings.Index(opts, key)
	if i < 0 {
		return 1, nil
	}
	var v int64
	if _, err := fmt.Sscanf(opts[i+len(key):], "%d", &v); err != nil {
		return 0, fmt.Errorf("reading AUTO_INCREMENT of %s: %w", name, err)
	}
	return v, nil
}
