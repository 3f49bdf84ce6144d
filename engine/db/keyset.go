package db

import "strings"

// selectAfter builds a keyset-paginated SELECT: rows of cols whose key is
// greater than after, in key order, at most limit. ph returns the
// placeholder for the i-th argument (1-based). Every identifier is quoted.
func selectAfter(quote func(string) string, ph func(int) string, t Table, cols []string, after []any, limit int) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(c))
	}
	b.WriteString(" FROM ")
	b.WriteString(quote(t.Name))
	var args []any
	var where []string
	if len(after) > 0 {
		var c strings.Builder
		c.WriteString("(")
		for i, k := range t.Key {
			if i > 0 {
				c.WriteString(", ")
			}
			c.WriteString(quote(k))
		}
		c.WriteString(") > (")
		for i := range t.Key {
			if i > 0 {
				c.WriteString(", ")
			}
			c.WriteString(ph(i + 1))
		}
		c.WriteString(")")
		where = append(where, c.String())
		args = append(args, after...)
	}
	if t.Upper != nil && len(t.Key) == 1 {
		args = append(args, t.Upper)
		where = append(where, quote(t.Key[0])+" <= "+ph(len(args)))
	}
	if len(where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(where, " AND "))
	}
	b.WriteString(" ORDER BY ")
	for i, k := range t.Key {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(k))
	}
	b.WriteString(" LIMIT ")
	b.WriteString(ph(len(args) + 1))
	args = append(args, limit)
	return b.String(), args
}

// questionMark is the placeholder style of SQLite and MySQL.
func questionMark(int) string { return "?" }
