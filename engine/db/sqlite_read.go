package db

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// ReadBatch reads one keyset page; see sqliteDB for the values returned.
// It reads on a connection of its own (sqliteRaw) unless a key value has
// no binding there. Either way, the text of columns declared DATE,
// DATETIME or TIMESTAMP is turned into time.Time here, by the driver's
// own rules (sqliteTime), except for key columns.
func (d *sqliteDB) ReadBatch(ctx context.Context, t Table, cols []string, after []any, limit int) ([][]any, error) {
	if len(t.Key) == 0 {
		return nil, fmt.Errorf("sqlite: read %s: table has no key", t.Name)
	}
	q, args := selectAfter(d.Quote, questionMark, t, cols, after, limit)
	if rawArgs(args) {
		rows, err := d.readRaw(ctx, t, cols, q, args, limit)
		if err != nil {
			return nil, fmt.Errorf("sqlite: read %s: %w", t.Name, err)
		}
		return rows, nil
	}
	rows, err := d.readDriver(ctx, t, cols, q, args, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read %s: %w", t.Name, err)
	}
	return rows, nil
}

// readDriver is ReadBatch through the driver. Time-declared columns are
// read as stored (rawTimeColumns, rawTimeKeys) and parsed by sqliteTime.
func (d *sqliteDB) readDriver(ctx context.Context, t Table, cols []string, q string, args []any, limit int) ([][]any, error) {
	q, parse := d.rawTimeColumns(t, cols, q)
	q = d.rawTimeKeys(t, cols, q)
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	alloc := newRowAlloc(len(cols), limit)
	out := make([][]any, 0, min(limit, 4096))
	ptrs := make([]any, len(cols))
	var box boxes
	for rows.Next() {
		row := alloc.row()
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range row {
			if b, ok := v.([]byte); ok && b == nil { // an empty BLOB, not NULL (as readRaw)
				row[i] = []byte{}
			}
		}
		for _, i := range parse {
			if s, ok := row[i].(string); ok {
				row[i] = sqliteTime(s, &box)
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// readRaw is ReadBatch on a sqliteRaw connection: the same values.
func (d *sqliteDB) readRaw(ctx context.Context, t Table, cols []string, q string, args []any, limit int) ([][]any, error) {
	c, err := d.raw.get(d.path)
	if err != nil {
		return nil, err
	}
	defer d.raw.put(c)
	alloc := newRowAlloc(len(cols), limit)
	var mem batchMem
	out := make([][]any, 0, min(limit, 4096))
	var parse []bool
	decl := func(decls []string) {
		parse = make([]bool, len(decls))
		for i, dt := range decls {
			parse[i] = i < len(cols) && sqliteTimeDecl(dt) && !slices.Contains(t.Key, cols[i])
		}
	}
	err = c.query(ctx, q, args, decl, func(stmt uintptr) error {
		if len(parse) != len(cols) {
			return fmt.Errorf("%d result columns for %d names", len(parse), len(cols))
		}
		row := alloc.row()
		for i := range row {
			v := c.value(stmt, int32(i), &mem)
			if s, ok := v.(string); ok && parse[i] {
				v = sqliteTime(s, &mem.box)
			}
			row[i] = v
		}
		out = append(out, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// rawTimeColumns rewrites q's select list so that every non-key column
// declared DATE, DATETIME or TIMESTAMP is read as +"col" AS "col": the
// same value, but the driver no longer sees the declared type and hands
// out the stored text instead of trying its time formats on it. It returns
// the positions of those columns, for sqliteTime. q is returned unchanged
// (and no positions) when it does not start as selectAfter writes it.
func (d *sqliteDB) rawTimeColumns(t Table, cols []string, q string) (string, []int) {
	var parse []int
	list := make([]string, len(cols))
	for i, c := range cols {
		list[i] = d.Quote(c)
		if col, ok := t.Column(c); ok && sqliteTimeDecl(col.Type.Decl) && !slices.Contains(t.Key, c) {
			parse = append(parse, i)
		}
	}
	prefix := "SELECT " + strings.Join(list, ", ") + " FROM "
	if len(parse) == 0 || !strings.HasPrefix(q, prefix) {
		return q, nil
	}
	for _, i := range parse {
		list[i] = "+" + list[i] + " AS " + list[i]
	}
	return "SELECT " + strings.Join(list, ", ") + " FROM " + q[len(prefix):], parse
}

// rawTimeKeys wraps q when a key column is declared DATE, DATETIME or
// TIMESTAMP, so that column reaches the driver as an expression (+"col": the
// unary plus is a no-op on the value but hides the declared type) and comes
// back exactly as stored. Other columns keep their declared type through the
// subquery. The outer ORDER BY sorts at most limit rows.
func (d *sqliteDB) rawTimeKeys(t Table, cols []string, q string) string {
	raw := map[string]bool{}
	for _, k := range t.Key {
		if c, ok := t.Column(k); ok && sqliteTimeDecl(c.Type.Decl) {
			raw[k] = true
		}
	}
	if len(raw) == 0 {
		return q
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		if raw[c] {
			b.WriteString("+")
		}
		b.WriteString(d.Quote(c))
	}
	b.WriteString(" FROM (" + q + ") ORDER BY ")
	for i, k := range t.Key {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.Quote(k))
	}
	return b.String()
}

// sqliteTimeDecl reports whether modernc turns TEXT values of a column with
// this declared type into time.Time.
func sqliteTimeDecl(decl string) bool {
	switch strings.ToUpper(decl) {
	case "DATE", "DATETIME", "TIMESTAMP":
		return true
	}
	return false
}
