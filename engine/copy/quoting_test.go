package copy_test

// Identifiers that need quoting on every engine — a table name with a
// space, a reserved word as a table name, mixed case, columns named order,
// select and Group — survive a copy between engines, rejects included.

import (
	"fmt"
	"testing"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
)

// quotedCols are the columns of the quoted tables, key first.
var quotedCols = []string{"order", "Group", "select", "Mixed Case"}

// createQuotedTable creates a table whose name and columns need quoting;
// "Mixed Case" is a bigint in a source and an integer in a target.
func createQuotedTable(t *testing.T, d db.DB, name string, target bool) {
	t.Helper()
	q := d.Quote
	wide := "BIGINT"
	if target {
		wide = "INTEGER"
	}
	stmt := fmt.Sprintf("CREATE TABLE %s (%s BIGINT NOT NULL PRIMARY KEY, %s VARCHAR(20), %s TEXT, %s %s)",
		q(name), q("order"), q("Group"), q("select"), q("Mixed Case"), wide)
	mustExec(t, d, stmt)
}

// quotedRows are n rows; every 50th holds a value too wide for the
// target's integer column.
func quotedRows(n int) (rows [][]any, rejected []int64) {
	for i := range n {
		r := []any{int64(i + 1), fmt.Sprintf("grp %d", i%7), fmt.Sprintf("select * from \"x\" where `y` = '%d'", i), int64(i * 3)}
		if i%5 == 0 {
			r[2] = nil
		}
		if i%50 == 49 {
			r[3] = int64(1) << 40
			rejected = append(rejected, int64(i+1))
		}
		rows = append(rows, r)
	}
	return rows, rejected
}

func TestCopyQuotedNames(t *testing.T) {
	pairs := [][2]string{{db.Postgres, db.MySQL}, {db.MySQL, db.Postgres}, {db.SQLite, db.Postgres}}
	for _, pair := range pairs {
		for _, name := range []string{"Order Items", "Select"} {
			t.Run(pair[0]+"_to_"+pair[1]+"/"+name, func(t *testing.T) {
				src, dst := newDB(t, pair[0]), newDB(t, pair[1])
				createQuotedTable(t, src, name, false)
				createQuotedTable(t, dst, name, true)
				rows, rejected := quotedRows(300)
				insertRows(t, src, name, quotedCols, rows)
				step := copyStep(40, name)
				sink := newSink()
				c := copyTable(t, src, dst, name, step, sink)
				checkCopied(t, src, dst, name, step, c, sink)
				if c.Rejected != int64(len(rejected)) {
					t.Errorf("rejected %d rows, want %d", c.Rejected, len(rejected))
				}
				for _, id := range rejected {
					r, ok := sink.rejects[rejectKey(name, map[string]any{"order": id})]
					if !ok || r.Column != "Mixed Case" || r.Reason != convert.ReasonOutOfRange {
						t.Errorf("row %d: reject %+v (found %v), want out_of_range on \"Mixed Case\"", id, r, ok)
					}
				}
				var want [][]any
				for _, r := range rows {
					if r[3] != int64(1)<<40 {
						want = append(want, r)
					}
				}
				checkValues(t, dst, name, quotedCols, want)
			})
		}
	}
}
