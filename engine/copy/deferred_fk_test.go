package copy_test

import (
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
)

// TestDeferredForeignKeyRefusesRows: a target whose foreign key is
// DEFERRABLE INITIALLY DEFERRED (checked only at COMMIT) refuses its
// orphans row by row, as an immediate key does: they are rejected as
// target_refused and every other row is written.
func TestDeferredForeignKeyRefusesRows(t *testing.T) {
	for _, to := range []string{db.SQLite, db.Postgres} {
		t.Run(to, func(t *testing.T) {
			src, dst := newDB(t, db.SQLite), newDB(t, to)
			mustExec(t, src, `CREATE TABLE kids (id INTEGER PRIMARY KEY, p INTEGER)`)
			var rows [][]any
			for i := int64(1); i <= 60; i++ {
				p := i%3 + 1
				if i%25 == 7 {
					p = 99 // no such parent
				}
				rows = append(rows, []any{i, p})
			}
			insertRows(t, src, "kids", []string{"id", "p"}, rows)
			mustExec(t, dst, `CREATE TABLE par (id INTEGER PRIMARY KEY)`, `INSERT INTO par VALUES (1), (2), (3)`,
				`CREATE TABLE kids (id INTEGER PRIMARY KEY, p INTEGER REFERENCES par (id) DEFERRABLE INITIALLY DEFERRED)`)
			sink := newSink()
			step := copyStep(20, "kids")
			c := copyTable(t, src, dst, "kids", step, sink)
			if n := count(t, dst, "kids"); n != c.Written || !c.Done {
				t.Errorf("the target holds %d rows; counters %+v", n, c)
			}
			rejects := sink.rejectList("kids")
			if c.Rejected != 3 || len(rejects) != 3 || c.Written != 57 {
				t.Fatalf("counters %+v, rejects %+v: want the 3 orphans rejected", c, rejects)
			}
			for _, r := range rejects {
				if id := keyOf(r.Key["id"]); r.Reason != convert.ReasonTargetRefused || !strings.Contains(strings.ToUpper(r.Detail), "FOREIGN KEY") ||
					(id != "7" && id != "32" && id != "57") {
					t.Errorf("reject %s: %s %s", id, r.Reason, r.Detail)
				}
			}
		})
	}
}
