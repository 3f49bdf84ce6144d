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
	if len(after) > 0 {
		b.WriteString(" WHERE (")
		for i, k := range t.Key {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(k))
		}
		b.WriteString(") > (")
		for i := range t.Key {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(ph(i + 1))
		}
		b.WriteString(")")
		args = append(args, after...)
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
