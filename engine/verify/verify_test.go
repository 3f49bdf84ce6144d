package verify

// Verify on real databases: after a clean copy it finds nothing; after
// targeted changes on either side it names exactly the changed keys with
// the right kind, by key ranges (integer key) and by buckets (text and
// composite keys); casts and rejects of the copy are honoured; and a table
// without differences is read exactly once on each side.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// fixture is a table, its rows, and the edits after a clean copy with the
// keys verify must then name.
type fixture struct {
	table  string
	ddl    map[string]string // columns per driver
	cols   []string
	rows   [][]any
	edits  func(t *testing.T, src, dst db.DB)
	want   []string
	ranges bool // chunks are key ranges, not buckets
}

// itemsFixture has a single integer key: chunks are key ranges. Its ids
// are even, so odd ones can be inserted between them.
func itemsFixture() fixture {
	var rows [][]any
	for i := range 300 {
		amount := fmt.Sprintf("%d.%04d", i*131%99999-50000, i*7%10000)
		if i%3 == 0 {
			amount = fmt.Sprintf("%d.5", i) // a REAL in a SQLite NUMERIC column
		}
		var note any = fmt.Sprintf("note %d ✓", i)
		if i%5 == 0 {
			note = nil
		}
		rows = append(rows, []any{int64(2*i - 20), int64(i*37%1000 - 500), amount, fmt.Sprintf("c%05d", i), note,
			fmt.Sprintf("2024-%02d-%02d %02d:%02d:%02d.%06d", i%12+1, i%28+1, i%24, i%60, i*7%60, i*7919%1000000)})
	}
	return fixture{
		table: "items",
		ddl: map[string]string{
			db.Postgres: "id bigint PRIMARY KEY, qty integer, amount numeric(12,4), code varchar(16), note text, at timestamp(6)",
			db.MySQL:    "id bigint PRIMARY KEY, qty int, amount decimal(12,4), code varchar(16), note text, at datetime(6)",
			db.SQLite:   "id INTEGER PRIMARY KEY, qty INT, amount NUMERIC(12,4), code VARCHAR(16), note TEXT, at TIMESTAMP",
		},
		cols: []string{"id", "qty", "amount", "code", "note", "at"},
		rows: rows,
		edits: func(t *testing.T, src, dst db.DB) {
			mustExec(t, dst, "UPDATE items SET code = 'changed' WHERE id = 14",
				"DELETE FROM items WHERE id = 64",
				"UPDATE items SET note = NULL WHERE id = 578") // the very last row
			insertRows(t, dst, "items", []string{"id", "qty", "code"}, [][]any{{int64(51), int64(1), "odd"}, {int64(100001), int64(2), "after"}})
			mustExec(t, src, "UPDATE items SET qty = qty + 1 WHERE id = 220")
		},
		want: []string{"14 (values differ)", "64 (missing in target)", "578 (values differ)",
			"51 (extra in target)", "100001 (extra in target)", "220 (values differ)"},
		ranges: true,
	}
}

// tagsFixture has a text key: chunks are buckets.
func tagsFixture() fixture {
	var rows [][]any
	for i := range 300 {
		rows = append(rows, []any{fmt.Sprintf("k-%04d", i), fmt.Sprintf("label %d", i), int64(i)})
	}
	rows = append(rows, []any{"Ärger, groß", "comma and umlaut", int64(-1)}, []any{"Zebra", "upper", int64(-2)}, []any{"_under", "underscore", nil})
	return fixture{
		table: "tags",
		ddl: map[string]string{
			db.Postgres: "code varchar(20) PRIMARY KEY, label text, n integer",
			db.MySQL:    "code varchar(20) PRIMARY KEY, label text, n int",
			db.SQLite:   "code VARCHAR(20) PRIMARY KEY, label TEXT, n INT",
		},
		cols: []string{"code", "label", "n"},
		rows: rows,
		edits: func(t *testing.T, src, dst db.DB) {
			mustExec(t, dst, "UPDATE tags SET label = 'changed' WHERE code = 'k-0017'",
				"DELETE FROM tags WHERE code = 'Ärger, groß'")
			insertRows(t, dst, "tags", []string{"code", "n"}, [][]any{{"k-0017b", int64(1)}})
			mustExec(t, src, "UPDATE tags SET n = 7 WHERE code = '_under'")
		},
		want: []string{"k-0017 (values differ)", "Ärger, groß (missing in target)", "k-0017b (extra in target)", "_under (values differ)"},
	}
}

// pairsFixture has a composite key: buckets again.
func pairsFixture() fixture {
	var rows [][]any
	for i := range 200 {
		rows = append(rows, []any{int64(i / 3), fmt.Sprintf("b%d", i%3), fmt.Sprintf("v%d", i)})
	}
	return fixture{
		table: "pairs",
		ddl: map[string]string{
			db.Postgres: "a integer, b varchar(10), v text, PRIMARY KEY (a, b)",
			db.MySQL:    "a int, b varchar(10), v text, PRIMARY KEY (a, b)",
			db.SQLite:   "a INT, b VARCHAR(10), v TEXT, PRIMARY KEY (a, b)",
		},
		cols: []string{"a", "b", "v"},
		rows: rows,
		edits: func(t *testing.T, src, dst db.DB) {
			mustExec(t, dst, "DELETE FROM pairs WHERE a = 10 AND b = 'b1'")
			mustExec(t, src, "UPDATE pairs SET v = 'new' WHERE a = 20 AND b = 'b2'")
		},
		want: []string{"10,b1 (missing in target)", "20,b2 (values differ)"},
	}
}

// run copies the fixture's table, expects a clean verify, applies the
// edits and expects exactly the fixture's keys.
func (f fixture) run(t *testing.T, sizes Sizes, src, dst db.DB) {
	t.Helper()
	createTable(t, src, f.table, f.ddl)
	createTable(t, dst, f.table, f.ddl)
	insertRows(t, src, f.table, f.cols, f.rows)
	c := copyTable(t, src, dst, f.table, runbooks.Step{})
	if c.Rejected != 0 || c.Written != int64(len(f.rows)) {
		t.Fatalf("copy: %+v", c)
	}
	check := verifyTable(t, sizes, src, dst, f.table, runbooks.Step{})
	if check.Mismatches != 0 || check.SourceChecksum != check.TargetChecksum ||
		check.SourceRows != int64(len(f.rows)) || check.TargetRows != int64(len(f.rows)) || check.Rejected != 0 {
		t.Fatalf("after a clean copy: %+v", check)
	}
	f.edits(t, src, dst)
	check = verifyTable(t, sizes, src, dst, f.table, runbooks.Step{})
	if check.Mismatches != int64(len(f.want)) || !sameKeys(check.MismatchKeys, f.want) {
		t.Errorf("after the edits: %d mismatches, keys %q\nwant %d, keys %q", check.Mismatches, check.MismatchKeys, len(f.want), f.want)
	}
	if check.SourceChecksum == check.TargetChecksum {
		t.Errorf("after the edits the table checksums are equal: %+v", check)
	}
	p, err := copyengine.MakePlan(testCtx(t), src, dst, f.table, runbooks.Step{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := newRun(src, dst, p, nil, sizes); r.firstPass(testCtx(t)) != nil || r.ranges != f.ranges {
		t.Errorf("chunked by ranges: %v, want %v", r.ranges, f.ranges)
	}
}

func verifyTable(t *testing.T, sizes Sizes, src, dst db.DB, name string, step runbooks.Step) journal.TableCheck {
	t.Helper()
	check, err := TableWith(testCtx(t), src, dst, name, step, sizes)
	if err != nil {
		t.Fatalf("verify %s (%s → %s): %v", name, src.Driver(), dst.Driver(), err)
	}
	return check
}

// sameKeys compares listed keys as sets.
func sameKeys(got, want []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
}

// directions are the pairs of engines verified; SQLite to SQLite always
// runs, the others need the servers.
var directions = [][2]string{{db.SQLite, db.SQLite}, {db.MySQL, db.Postgres}, {db.Postgres, db.MySQL}, {db.SQLite, db.Postgres}}

func TestVerifyNamesDifferences(t *testing.T) {
	for _, dir := range directions {
		for _, f := range []fixture{itemsFixture(), tagsFixture(), pairsFixture()} {
			t.Run(dir[0]+"_to_"+dir[1]+"/"+f.table, func(t *testing.T) {
				f.run(t, manySizes, newDB(t, dir[0]), newDB(t, dir[1]))
			})
		}
	}
}

// With the real sizes the same tables fit in one chunk, one batch: the
// descent still names the keys.
func TestVerifyDefaultSizes(t *testing.T) {
	for _, f := range []fixture{itemsFixture(), tagsFixture()} {
		t.Run(f.table, func(t *testing.T) {
			f.run(t, Sizes{}, newDB(t, db.SQLite), newDB(t, db.SQLite))
		})
	}
}

// readingsDDL: a lax SQLite source column (TEXT holds anything) and a
// numeric target column.
var readingsDDL = map[string]string{
	db.Postgres: "id bigint PRIMARY KEY, val numeric(10,2)",
	db.MySQL:    "id bigint PRIMARY KEY, val decimal(10,2)",
	db.SQLite:   "id INTEGER PRIMARY KEY, val NUMERIC(10,2)",
}

func TestVerifyHonoursCastsAndRejects(t *testing.T) {
	for _, to := range []string{db.SQLite, db.Postgres, db.MySQL} {
		t.Run("sqlite_to_"+to, func(t *testing.T) {
			sizes := Sizes{ReadBatch: 3, ChunkRows: 2, Buckets: 4, HeldRows: 3}
			src, dst := newDB(t, db.SQLite), newDB(t, to)
			createTable(t, src, "readings", map[string]string{db.SQLite: "id INTEGER PRIMARY KEY, val TEXT"})
			createTable(t, dst, "readings", readingsDDL)
			insertRows(t, src, "readings", []string{"id", "val"}, [][]any{
				{int64(1), "1.5"}, {int64(2), "N/A"}, {int64(3), "2"}, {int64(4), "oops"}, {int64(5), "12.30"}, {int64(6), nil}})
			step := runbooks.Step{Casts: []runbooks.Cast{{Table: "readings", Column: "val", Map: map[string]*string{"N/A": nil}}}}
			c := copyTable(t, src, dst, "readings", step)
			if c.Written != 5 || c.Rejected != 1 {
				t.Fatalf("copy: %+v", c)
			}
			check := verifyTable(t, sizes, src, dst, "readings", step)
			if check.Mismatches != 0 || check.Rejected != 1 || check.SourceRows != 6 || check.TargetRows != 5 ||
				check.SourceChecksum != check.TargetChecksum {
				t.Errorf("with the cast rule: %+v", check)
			}
			// Without the rule, N/A does not convert: expected missing, but
			// the target holds it (as NULL).
			check = verifyTable(t, sizes, src, dst, "readings", runbooks.Step{})
			if check.Mismatches != 1 || check.Rejected != 2 || !sameKeys(check.MismatchKeys, []string{"2 (extra in target)"}) {
				t.Errorf("without the cast rule: %+v", check)
			}
		})
	}
}

func TestVerifyReadsEachSideOnce(t *testing.T) {
	for _, f := range []fixture{itemsFixture(), tagsFixture()} {
		t.Run(f.table, func(t *testing.T) {
			sizes := manySizes
			sizes.HeldRows = 1000 // one descent round
			s, d := newDB(t, db.SQLite), newDB(t, db.SQLite)
			createTable(t, s, f.table, f.ddl)
			createTable(t, d, f.table, f.ddl)
			insertRows(t, s, f.table, f.cols, f.rows)
			copyTable(t, s, d, f.table, runbooks.Step{})
			src, dst := &countingDB{DB: s}, &countingDB{DB: d}
			if check := verifyTable(t, sizes, src, dst, f.table, runbooks.Step{}); check.Mismatches != 0 {
				t.Fatalf("clean: %+v", check)
			}
			n := len(f.rows)
			for side, c := range map[string]*countingDB{"source": src, "target": dst} {
				if calls, rows := c.reads(); calls != n/sizes.ReadBatch+1 || rows != n {
					t.Errorf("%s: %d reads of %d rows, want one pass: %d reads of %d rows", side, calls, rows, n/sizes.ReadBatch+1, n)
				}
			}
			// One changed row: ranges re-read one chunk, buckets one more pass.
			mustExec(t, d, "UPDATE "+f.table+" SET "+f.cols[2]+" = NULL WHERE "+f.cols[0]+" = "+sqlLiteral(f.rows[40][0]))
			src.reset()
			dst.reset()
			check := verifyTable(t, sizes, src, dst, f.table, runbooks.Step{})
			if check.Mismatches != 1 {
				t.Fatalf("one change: %+v", check)
			}
			want := 2 * n // buckets: a second full read
			if f.table == "items" {
				want = n + sizes.ChunkRows
			}
			if _, rows := src.reads(); rows != want {
				t.Errorf("one change: the source gave %d rows, want %d", rows, want)
			}
		})
	}
}

// sqlLiteral renders a test key as SQL.
func sqlLiteral(v any) string {
	if s, ok := v.(string); ok {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return fmt.Sprint(v)
}
