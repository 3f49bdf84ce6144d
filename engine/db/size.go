package db

import (
	"context"
	"fmt"
	"os"
)

// Size estimates the bytes a connection's data takes: a SQLite file's
// size; the tables and indexes of PostgreSQL's current schema; the data
// and indexes of MySQL's schema. Pre-flight weighs it against the free
// space a journal's rejects and a snapshot's artefact will need.
func Size(ctx context.Context, d DB) (int64, error) {
	var n int64
	var err error
	switch d := d.(type) {
	case *sqliteDB:
		var fi os.FileInfo
		if fi, err = os.Stat(d.path); err == nil {
			n = fi.Size()
		}
	case *pgDB:
		err = d.sqldb.QueryRowContext(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'm')`).Scan(&n)
	case *myDB:
		n, err = d.size(ctx)
	case *mySnapDB:
		n, err = d.size(ctx)
	default:
		return 0, fmt.Errorf("%s: cannot tell the size of the data", d.Driver())
	}
	if err != nil {
		return 0, fmt.Errorf("reading the size of %s: %w", d.Describe(), err)
	}
	return n, nil
}

func (m *myDB) size(ctx context.Context) (int64, error) {
	var n int64
	err := m.db.QueryRowContext(ctx, `SELECT CAST(coalesce(sum(data_length + index_length), 0) AS SIGNED)
		FROM information_schema.tables WHERE table_schema = DATABASE()`).Scan(&n)
	return n, err
}
