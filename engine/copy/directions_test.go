package copy_test

// Every direction among SQLite, PostgreSQL and MariaDB, same-engine
// included, copies a table with a representative mix of types exactly.

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
)

// mixCols are the columns of the typed-mix table, key first.
var mixCols = []string{"id", "qty", "amount", "code", "note", "at", "flag", "day"}

// createMixTable creates the typed-mix table in the driver's dialect.
func createMixTable(t *testing.T, d db.DB, table string) {
	t.Helper()
	createMixTableAs(t, d, table, true, 16)
}

// createMixTableAs creates the typed-mix table with or without its
// primary key (a target without one shows duplicates instead of refusing
// them) and with code as a varchar(codeLen).
func createMixTableAs(t *testing.T, d db.DB, table string, key bool, codeLen int) {
	t.Helper()
	var cols string
	switch d.Driver() {
	case db.Postgres:
		cols = "id bigint PRIMARY KEY, qty integer, amount numeric(12,4), code varchar(%d), note text, " +
			"at timestamp(6), flag boolean, day date"
	case db.MySQL:
		cols = "id bigint PRIMARY KEY, qty int, amount decimal(12,4), code varchar(%d), note text, " +
			"at datetime(6), flag boolean, day date"
	default:
		cols = "id INTEGER PRIMARY KEY, qty INT, amount NUMERIC(12,4), code VARCHAR(%d), note TEXT, " +
			"at TIMESTAMP, flag BOOLEAN, day DATE"
	}
	cols = fmt.Sprintf(cols, codeLen)
	if !key {
		cols = strings.Replace(cols, " PRIMARY KEY", " NOT NULL", 1)
	}
	stmt := "CREATE TABLE " + d.Quote(table) + " (" + cols + ")"
	if d.Driver() == db.MySQL {
		stmt += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	}
	mustExec(t, d, stmt)
}

// mixRows generates n rows of the typed mix in key order, with the edges
// of every type among them: extreme keys and integers, the widest
// decimals, 16 multibyte characters, NULLs in every nullable column,
// microseconds, leap days and the ends of the date ranges.
func mixRows(n int) [][]any {
	ids := []int64{-9223372036854775808, -1, 0, 9007199254740993, 9223372036854775807}
	for i := range n - len(ids) {
		ids = append(ids, int64(i)*7919+17)
	}
	codes := []string{"ÄÖÜßéèêëîïôöûüçñ", "🙂🙃😀😁", "O'Brien", `a\b"c`, "", "  padded  "}
	notes := []string{"line one\nline two\ttab", "ünïcødé ✓", strings.Repeat("long text ", 500), "''"}
	amounts := []string{"99999999.9999", "-99999999.9999", "0.0001", "-0.0001", "0.0000", "12.3400"}
	times := []string{"1970-01-01 00:00:00", "2038-01-19 03:14:08", "9999-12-31 23:59:59.999999", "1000-01-01 00:00:00"}
	days := []string{"2024-02-29", "1000-01-01", "9999-12-31", "1970-01-01"}
	qtys := []any{int64(-2147483648), int64(2147483647), int64(0)}
	rows := make([][]any, len(ids))
	for i, id := range ids {
		r := []any{id,
			int64(i*37%20001 - 10000),
			fmt.Sprintf("%d.%04d", i*131%99999999-5000000, i*7%10000),
			fmt.Sprintf("c%05d", i),
			fmt.Sprintf("note %d", i),
			fmt.Sprintf("2024-%02d-%02d %02d:%02d:%02d.%06d", i%12+1, i%28+1, i%24, i%60, i*7%60, i*7919%1000000),
			i%2 == 0,
			fmt.Sprintf("%04d-%02d-%02d", 1990+i%40, i%12+1, i%28+1),
		}
		switch i % 7 {
		case 1:
			r[1], r[4], r[6] = nil, nil, nil
		case 2:
			r[2], r[5], r[7] = nil, nil, nil
		case 3:
			r[1], r[2], r[3], r[4] = qtys[i%len(qtys)], amounts[i%len(amounts)], codes[i%len(codes)], notes[i%len(notes)]
		case 4:
			r[5], r[7] = times[i%len(times)], days[i%len(days)]
		case 5:
			r[3] = nil
		}
		rows[i] = r
	}
	return rows
}

// sourceArgs adapts generated rows to what a driver binds: SQLite stores
// booleans as 0 and 1.
func sourceArgs(driver string, rows [][]any) [][]any {
	if driver != db.SQLite {
		return rows
	}
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = append([]any(nil), r...)
		for j, v := range out[i] {
			if b, ok := v.(bool); ok {
				out[i][j] = int64(0)
				if b {
					out[i][j] = int64(1)
				}
			}
		}
	}
	return out
}

// canonicalRows renders rows value by value under the given types.
func canonicalRows(rows [][]any, types []convert.Type) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for j, v := range r {
			out[i][j] = convert.Canonical(v, types[j])
		}
	}
	return out
}

// readTable reads every row of cols in key order; a table without a
// primary key is read in the order of its first column.
func readTable(t *testing.T, d db.DB, name string, cols []string) ([][]any, []convert.Type) {
	t.Helper()
	tb, err := d.Table(testCtx(t), name)
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Key) == 0 {
		tb.Key = cols[:1]
	}
	types := make([]convert.Type, len(cols))
	for i, c := range cols {
		col, ok := tb.Column(c)
		if !ok {
			t.Fatalf("%s has no column %q", name, c)
		}
		types[i] = col.Type
	}
	rows, err := d.ReadBatch(testCtx(t), tb, cols, nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return rows, types
}

// checkValues compares the target's rows with the rows the test meant to
// write, canonically under the target's types: independent of the source
// adapter and of verify.
func checkValues(t *testing.T, dst db.DB, name string, cols []string, want [][]any) {
	t.Helper()
	got, types := readTable(t, dst, name, cols)
	g, w := canonicalRows(got, types), canonicalRows(want, types)
	if len(g) != len(w) {
		t.Fatalf("%s: the target holds %d rows, want %d", name, len(g), len(w))
	}
	bad := 0
	for i := range w {
		if !reflect.DeepEqual(g[i], w[i]) {
			if bad++; bad <= 5 {
				t.Errorf("%s row %d:\n got  %q\n want %q", name, i, g[i], w[i])
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d rows differ in all", name, bad)
	}
}

// sortByIntKey orders rows by their first column, an int64.
func sortByIntKey(rows [][]any) [][]any {
	out := append([][]any(nil), rows...)
	for i := 1; i < len(out); i++ { // insertion sort: the input is almost sorted
		for j := i; j > 0 && out[j][0].(int64) < out[j-1][0].(int64); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestCopyEveryDirection(t *testing.T) {
	rows := mixRows(1500)
	want := sortByIntKey(rows)
	for _, from := range drivers {
		for _, to := range drivers {
			t.Run(from+"_to_"+to, func(t *testing.T) {
				src, dst := newDB(t, from), newDB(t, to)
				const table = "mix"
				createMixTable(t, src, table)
				createMixTable(t, dst, table)
				insertRows(t, src, table, mixCols, sourceArgs(from, rows))
				step := copyStep(97, table)
				sink := newSink()
				c := copyTable(t, src, dst, table, step, sink)
				if c.Read != int64(len(rows)) || c.Rejected != 0 {
					t.Errorf("read %d rejected %d, want %d and 0; rejects: %+v", c.Read, c.Rejected, len(rows), sink.rejectList(table))
				}
				checkCopied(t, src, dst, table, step, c, sink)
				checkValues(t, dst, table, mixCols, want)
			})
		}
	}
}

// exactCase is a table whose rows must arrive exactly, none rejected, in
// every direction among the three engines.
type exactCase struct {
	table  string
	cols   []string                                  // id first
	create func(t *testing.T, d db.DB, table string) // the table in d's dialect
	rows   [][]any                                   // the values, as they must read back
	args   func(driver string, rows [][]any) [][]any // rows as the source's driver binds them; nil: as they are
	batch  int
}

// copiesExactlyEverywhere copies c's rows from every engine to every
// engine and requires each to arrive, unrejected, with its value, and
// verify to agree.
func copiesExactlyEverywhere(t *testing.T, c exactCase) {
	t.Helper()
	for _, from := range drivers {
		for _, to := range drivers {
			t.Run(from+"_to_"+to, func(t *testing.T) {
				src, dst := newDB(t, from), newDB(t, to)
				c.create(t, src, c.table)
				c.create(t, dst, c.table)
				args := c.rows
				if c.args != nil {
					args = c.args(from, c.rows)
				}
				insertRows(t, src, c.table, c.cols, args)
				checkValues(t, src, c.table, c.cols, c.rows) // the source holds them, the test's premise
				step := copyStep(c.batch, c.table)
				sink := newSink()
				n := copyTable(t, src, dst, c.table, step, sink)
				if n.Rejected != 0 {
					t.Errorf("rejected %d: %+v", n.Rejected, sink.rejectList(c.table))
				}
				checkCopied(t, src, dst, c.table, step, n, sink)
				checkValues(t, dst, c.table, c.cols, c.rows)
			})
		}
	}
}
