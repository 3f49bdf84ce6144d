package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// newSQLiteFile creates a database file in a temp dir with the given
// statements run in order, and returns its path.
func newSQLiteFile(t *testing.T, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, s := range append([]string{"PRAGMA user_version = 1"}, stmts...) {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}

// openTestSQLite opens path with the adapter and closes it at the end.
func openTestSQLite(t *testing.T, path string) *sqliteDB {
	t.Helper()
	d, err := openSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d.(*sqliteDB)
}

// sqliteExec runs statements on the adapter's pool.
func sqliteExec(t *testing.T, d *sqliteDB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := d.SQL().Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// sqliteDump renders the whole database, schema and rows (with their
// storage classes), as sorted lines, so two databases compare as strings.
func sqliteDump(t *testing.T, d *sqliteDB) string {
	t.Helper()
	var lines []string
	q := func(query string, each func(vals []any)) {
		rows, err := d.SQL().Query(query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			each(vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	var tables []string
	q(`SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master`, func(v []any) {
		lines = append(lines, fmt.Sprintf("schema %v %v %v %v", v...))
		if v[0] == "table" {
			tables = append(tables, v[1].(string))
		}
	})
	for _, tb := range tables {
		q(`SELECT * FROM `+d.Quote(tb), func(v []any) {
			var b strings.Builder
			for _, x := range v {
				if bs, ok := x.([]byte); ok {
					x = fmt.Sprintf("sha256:%x", sha256.Sum256(bs))
				}
				fmt.Fprintf(&b, " %T(%v)", x, x)
			}
			lines = append(lines, "row "+tb+b.String())
		})
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
