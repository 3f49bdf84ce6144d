package copy_test

// Every reject reason on every target: a lax SQLite source (TEXT columns
// hold anything) with one bad value per row; each bad row must be rejected
// whole with the exact reason and column, and the good rows must arrive
// exactly. A cast rule turns a would-be reject into a NULL.

import (
	"testing"

	"github.com/tightrope/tightrope/engine/convert"
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// dirtyCols are the columns of the dirty table, key first.
var dirtyCols = []string{"id", "n_int", "n_small", "code", "amount", "day", "must", "flag", "doc"}

// dirtyGood is a row that fits every target; bad rows differ in one value.
var dirtyGood = []any{nil, "42", "7", "abc", "12.50", "2024-02-29", "x", "1", `{"a": 1}`}

// badValue is one value that does not fit, and the reason it must get.
type badValue struct {
	id     int64
	column string
	value  any
	reason string
}

// badValues are the bad rows, one reason each; mysqlReason overrides the
// reason where MySQL's types differ (its BOOLEAN is a tinyint(1)).
func badValues(target string) []badValue {
	bad := []badValue{
		{1, "n_int", "N/A", convert.ReasonNotInteger},
		{2, "n_int", "", convert.ReasonNotInteger},
		{3, "n_int", "1.5", convert.ReasonNotInteger},
		{4, "n_int", "2147483648", convert.ReasonOutOfRange},
		{5, "n_small", "40000", convert.ReasonOutOfRange},
		{6, "n_small", "-32769", convert.ReasonOutOfRange},
		{7, "code", "abcdef", convert.ReasonTooLong},
		{8, "code", "éééééé", convert.ReasonTooLong}, // 6 characters, 12 bytes
		{9, "amount", "1.005", convert.ReasonPrecisionLoss},
		{10, "amount", "123456789.00", convert.ReasonOutOfRange},
		{11, "day", "2024-02-30", convert.ReasonInvalidDate},
		{12, "day", "0000-00-00", convert.ReasonInvalidDate},
		{13, "must", nil, convert.ReasonNullViolation},
		{14, "flag", "maybe", convert.ReasonNotBoolean},
		{15, "doc", "{bad", convert.ReasonInvalidJSON},
		{16, "n_int", "N/A", convert.ReasonNotInteger}, // a second N/A, for the cast count
	}
	if target == db.MySQL {
		bad[13].reason = convert.ReasonNotInteger
	}
	return bad
}

// goodDirtyRows are rows every target takes; 101 holds a multibyte code
// of exactly the column's length in characters (but twice it in bytes).
func goodDirtyRows() [][]any {
	edge := []any{int64(101), "-2147483648", "-32768", "ééééé", "-99999999.99", "1000-01-01", "", "0", `[1,2,{"b":"ü"}]`}
	nulls := []any{int64(102), nil, nil, nil, nil, nil, "y", nil, nil}
	plain := append([]any(nil), dirtyGood...)
	plain[0] = int64(100)
	return [][]any{plain, edge, nulls}
}

// createDirtySource creates the lax source and fills it with the bad rows
// and the good rows; it returns the good rows.
func createDirtySource(t *testing.T, src db.DB, table, target string) [][]any {
	t.Helper()
	mustExec(t, src, "CREATE TABLE "+src.Quote(table)+" (id INTEGER PRIMARY KEY, n_int TEXT, n_small TEXT, "+
		"code TEXT, amount TEXT, day TEXT, must TEXT, flag TEXT, doc TEXT)")
	var rows [][]any
	for _, b := range badValues(target) {
		r := append([]any(nil), dirtyGood...)
		r[0] = b.id
		r[indexOf(dirtyCols, b.column)] = b.value
		rows = append(rows, r)
	}
	good := goodDirtyRows()
	insertRows(t, src, table, dirtyCols, append(rows, good...))
	return good
}

// createDirtyTarget creates the strict target table.
func createDirtyTarget(t *testing.T, d db.DB, table string) {
	t.Helper()
	cols := map[string]string{
		db.Postgres: "id bigint PRIMARY KEY, n_int integer, n_small smallint, code varchar(5), amount numeric(10,2), " +
			"day date, must text NOT NULL, flag boolean, doc json",
		db.MySQL: "id bigint PRIMARY KEY, n_int int, n_small smallint, code varchar(5), amount decimal(10,2), " +
			"day date, must text NOT NULL, flag boolean, doc json",
		db.SQLite: "id INTEGER PRIMARY KEY, n_int INT4, n_small SMALLINT, code VARCHAR(5), amount NUMERIC(10,2), " +
			"day DATE, must TEXT NOT NULL, flag BOOLEAN, doc JSON",
	}[d.Driver()]
	stmt := "CREATE TABLE " + d.Quote(table) + " (" + cols + ")"
	if d.Driver() == db.MySQL {
		stmt += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	}
	mustExec(t, d, stmt)
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func TestEveryRejectReasonOnEveryTarget(t *testing.T) {
	for _, to := range drivers {
		t.Run(to, func(t *testing.T) {
			src, dst := newDB(t, db.SQLite), newDB(t, to)
			const table = "dirty"
			good := createDirtySource(t, src, table, to)
			createDirtyTarget(t, dst, table)
			step := copyStep(4, table) // bad rows spread over several batches
			sink := newSink()
			c := copyTable(t, src, dst, table, step, sink)
			checkCopied(t, src, dst, table, step, c, sink)
			checkRejects(t, sink, table, badValues(to))
			checkValues(t, dst, table, dirtyCols, good)
			if len(sink.casts) != 0 {
				t.Errorf("casts reported without a cast rule: %+v", sink.casts)
			}
		})
	}
}

// checkRejects asserts that exactly the bad rows were rejected, each with
// its reason and column, the whole source row and its key kept exactly.
func checkRejects(t *testing.T, sink *memSink, table string, bad []badValue) {
	t.Helper()
	got := map[string]copyengine.Rejected{}
	for _, r := range sink.rejectList(table) {
		got[keyOf(r.Key["id"])] = r
	}
	for _, b := range bad {
		r, ok := sink.rejects[rejectKey(table, map[string]any{"id": b.id})]
		delete(got, keyOf(b.id))
		switch {
		case !ok:
			t.Errorf("row %d (%s = %q) was not rejected; want %s", b.id, b.column, b.value, b.reason)
		case r.Reason != b.reason || r.Column != b.column:
			t.Errorf("row %d (%s = %q): rejected for %s on %s (%s); want %s on %s",
				b.id, b.column, b.value, r.Reason, r.Column, r.Detail, b.reason, b.column)
		case r.Row[b.column] != b.value || r.Row["id"] != b.id || len(r.Row) != len(dirtyCols):
			t.Errorf("row %d: the reject keeps %v, want the whole source row with %s = %q", b.id, r.Row, b.column, b.value)
		case r.Detail == "":
			t.Errorf("row %d: reject without a detail", b.id)
		}
	}
	for k, r := range got {
		t.Errorf("row %s was rejected but is good: %+v", k, r)
	}
}

func TestCastRuleTurnsARejectIntoNull(t *testing.T) {
	for _, to := range drivers {
		t.Run(to, func(t *testing.T) {
			src, dst := newDB(t, db.SQLite), newDB(t, to)
			const table = "dirty"
			good := createDirtySource(t, src, table, to)
			createDirtyTarget(t, dst, table)
			step := copyStep(4, table)
			step.Casts = []runbooks.Cast{{Table: table, Column: "n_int", Map: map[string]*string{"N/A": nil}}}
			sink := newSink()
			c := copyTable(t, src, dst, table, step, sink)
			checkCopied(t, src, dst, table, step, c, sink)

			var bad []badValue
			for _, b := range badValues(to) {
				if b.value == "N/A" {
					r := append([]any(nil), dirtyGood...)
					r[0], r[1] = b.id, nil
					good = append(good, r)
					continue
				}
				bad = append(bad, b)
			}
			checkRejects(t, sink, table, bad)
			checkValues(t, dst, table, dirtyCols, sortByIntKey(good))
			var n int64
			for _, cs := range sink.casts {
				if cs.table != table || cs.column != "n_int" || cs.from != "N/A" || cs.to != "NULL" {
					t.Errorf("unexpected cast report %+v", cs)
				}
				n += cs.n
			}
			if n != 2 {
				t.Errorf("casts reported %d values replaced, want 2: %+v", n, sink.casts)
			}
		})
	}
}
