package bluegreen

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// shape is what replication needs to be the same of a table on both
// sides: its columns (name, type, not null) and its primary key.
type shape struct {
	Columns []string // "name type [not null]", by name
	Names   []string // the columns' names, in the order of Columns
	Key     []string // primary key columns in key order
	Ident   string   // replica identity: d(efault), f(ull), i(ndex), n(othing)
}

func tableShape(ctx context.Context, e *end, t table) (shape, error) {
	var s shape
	var ok bool
	err := e.conn.QueryRow(ctx, `SELECT c.relreplident::text, true FROM pg_class c WHERE c.oid = to_regclass($1)`, t.ident()).Scan(&s.Ident, &ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("table %s is not on %s", t, e.Name)
	}
	if err != nil {
		return s, fmt.Errorf("table %s on %s: %w", t, e.Name, err)
	}
	rows, err := e.conn.Query(ctx, `SELECT a.attname::text, a.attname::text || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
		FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attname`, t.ident())
	if err != nil {
		return s, err
	}
	type col struct{ Name, Desc string }
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[col])
	if err != nil {
		return s, err
	}
	for _, c := range cols {
		s.Names = append(s.Names, c.Name)
		s.Columns = append(s.Columns, c.Desc)
	}
	rows, err = e.conn.Query(ctx, `SELECT a.attname::text FROM pg_index i
		CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, n)
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY k.n`, t.ident())
	if err != nil {
		return s, err
	}
	s.Key, err = pgx.CollectRows(rows, pgx.RowTo[string])
	return s, err
}

// replicable says why UPDATE and DELETE on the table could not be
// replicated from e, or nil: it needs a primary key (replica identity
// default), a replica identity index, or REPLICA IDENTITY FULL.
func replicable(e *end, t table, s shape) error {
	switch {
	case s.Ident == "f" || s.Ident == "i":
		return nil
	case s.Ident == "d" && len(s.Key) > 0:
		return nil
	case s.Ident == "n":
		return fmt.Errorf("table %s on %s has REPLICA IDENTITY NOTHING: its UPDATEs and DELETEs cannot be replicated; run ALTER TABLE %s REPLICA IDENTITY DEFAULT (with a primary key) or FULL",
			t, e.Name, t.ident())
	}
	return fmt.Errorf("table %s on %s has no primary key and REPLICA IDENTITY DEFAULT: its UPDATEs and DELETEs cannot be replicated; add a primary key, or run ALTER TABLE %s REPLICA IDENTITY FULL",
		t, e.Name, t.ident())
}

// checkShapes fails unless every table is on both sides with the same
// columns and key, and can be replicated from publisher.
func (p *pgPair) checkShapes(ctx context.Context, publisher *end) ([]shape, error) {
	out := make([]shape, len(p.tables))
	var errs []error
	for i, t := range p.tables {
		b, err := tableShape(ctx, p.blue, t)
		if err != nil {
			return nil, err
		}
		g, err := tableShape(ctx, p.green, t)
		if err != nil {
			return nil, err
		}
		out[i] = b
		if !slices.Equal(b.Columns, g.Columns) {
			errs = append(errs, fmt.Errorf("table %s differs: %s has columns (%s), %s has (%s)",
				t, p.blue.Name, strings.Join(b.Columns, ", "), p.green.Name, strings.Join(g.Columns, ", ")))
		}
		if !slices.Equal(b.Key, g.Key) {
			errs = append(errs, fmt.Errorf("table %s differs: %s's primary key is (%s), %s's is (%s)",
				t, p.blue.Name, strings.Join(b.Key, ", "), p.green.Name, strings.Join(g.Key, ", ")))
		}
		s := b
		if publisher == p.green {
			s = g
		}
		if err := replicable(publisher, t, s); err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}
