package bluegreen

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// TableSum is one table compared on both sides.
type TableSum struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"` // on the side compared from
	Sum   string `json:"sum"`  // md5 over every row's md5, in key order
	// Differ lists keys of rows that differ (at most 5), when the sums do.
	Differ []string `json:"differ,omitempty"`
	Equal  bool     `json:"equal"`
}

// Compare compares every table row by row on both sides: a count and an
// md5 over each row's text in key order, then, where they differ, the keys
// of the rows that differ.
func (p *pgPair) Compare(ctx context.Context) ([]TableSum, error) {
	return p.compare(ctx, p.blue, p.green)
}

func (p *pgPair) compare(ctx context.Context, a, b *end) ([]TableSum, error) {
	var out []TableSum
	for _, t := range p.tables {
		s, err := tableShape(ctx, a, t)
		if err != nil {
			return out, err
		}
		cols, key := rowExprs(s)
		q := fmt.Sprintf("SELECT count(*), coalesce(md5(string_agg(md5(%s), '' ORDER BY %s)), '') FROM %s", cols, key, t.ident())
		ts := TableSum{Table: t.String()}
		var bRows int64
		var bSum string
		// both sides at once: the switch's downtime includes this
		var bErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			bErr = b.conn.QueryRow(ctx, q).Scan(&bRows, &bSum)
		}()
		aErr := a.conn.QueryRow(ctx, q).Scan(&ts.Rows, &ts.Sum)
		<-done
		if aErr != nil {
			return out, fmt.Errorf("compare %s on %s: %w", t, a.Name, aErr)
		}
		if bErr != nil {
			return out, fmt.Errorf("compare %s on %s: %w", t, b.Name, bErr)
		}
		ts.Equal = ts.Rows == bRows && ts.Sum == bSum
		if !ts.Equal {
			if ts.Differ, err = differingKeys(ctx, a, b, t, cols, key); err != nil {
				return out, err
			}
		}
		out = append(out, ts)
	}
	return out, nil
}

// rowExprs is a row's text (its columns by name) and its order: the
// primary key, or every column.
func rowExprs(s shape) (row, order string) {
	names := make([]string, len(s.Names))
	for i, c := range s.Names {
		names[i] = ident(c) // never cut from Columns: a name may hold a space
	}
	row = "ROW(" + strings.Join(names, ", ") + ")::text"
	if len(s.Key) == 0 {
		return row, row
	}
	keys := make([]string, len(s.Key))
	for i, k := range s.Key {
		keys[i] = ident(k)
	}
	return row, strings.Join(keys, ", ")
}

// differingKeys names up to 5 rows that are on one side only or differ.
func differingKeys(ctx context.Context, a, b *end, t table, row, key string) ([]string, error) {
	q := fmt.Sprintf("SELECT ROW(%s)::text, md5(%s) FROM %s", key, row, t.ident())
	read := func(e *end) (map[string]string, error) {
		rows, err := e.conn.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("compare %s on %s: %w", t, e.Name, err)
		}
		defer rows.Close()
		m := map[string]string{}
		for rows.Next() {
			var k, h string
			if err := rows.Scan(&k, &h); err != nil {
				return nil, err
			}
			m[k] = h
		}
		return m, rows.Err()
	}
	ma, err := read(a)
	if err != nil {
		return nil, err
	}
	mb, err := read(b)
	if err != nil {
		return nil, err
	}
	var diff []string
	for k, h := range ma {
		if mb[k] != h {
			diff = append(diff, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			diff = append(diff, k)
		}
	}
	slices.Sort(diff)
	if len(diff) > 5 {
		diff = diff[:5]
	}
	return diff, nil
}
