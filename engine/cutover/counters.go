package cutover

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tightrope/tightrope/engine/db"
)

// MissingCounters lists, as table.column, the columns of tables that
// take their values from a counter on from (a PostgreSQL sequence —
// serial or identity — or a MySQL AUTO_INCREMENT) and from none on to:
// after a switch to to, an insert that leaves such a column to the
// database fails (a copy that created the table made it a plain column).
// A to on SQLite is not judged (a rowid key numbers itself).
func MissingCounters(ctx context.Context, to, from DB, tables []string) ([]string, error) {
	if to.Driver() == db.SQLite || from.Driver() == db.SQLite {
		return nil, nil
	}
	var out []string
	for _, t := range tables {
		had, err := counterList(ctx, from, t)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t, err)
		}
		if len(had) == 0 {
			continue
		}
		has, err := counterColumns(ctx, to, t)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t, err)
		}
		for _, c := range had {
			if !has[c] {
				out = append(out, t+"."+c)
			}
		}
	}
	return out, nil
}

// counterColumns is counterList as a set.
func counterColumns(ctx context.Context, d DB, table string) (map[string]bool, error) {
	cols, err := counterList(ctx, d, table)
	set := make(map[string]bool, len(cols))
	for _, c := range cols {
		set[c] = true
	}
	return set, err
}

// counterList are the table's columns filled from a counter, in column
// order.
func counterList(ctx context.Context, d DB, table string) ([]string, error) {
	var rows *sql.Rows
	var err error
	switch d.Driver() {
	case db.Postgres:
		rows, err = d.SQL().QueryContext(ctx, `SELECT a.attname::text FROM pg_attribute a
			WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
			  AND pg_get_serial_sequence($2, a.attname) IS NOT NULL ORDER BY a.attnum`, quoted(d, table), quoted(d, table))
	case db.MySQL:
		schema, name, qualified := strings.Cut(table, ".")
		if !qualified {
			schema, name = "", table
		}
		rows, err = d.SQL().QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.COLUMNS
			WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ? AND EXTRA LIKE '%auto_increment%'
			ORDER BY ORDINAL_POSITION`, schema, name)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
