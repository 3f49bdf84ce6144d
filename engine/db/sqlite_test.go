package db

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/convert"
)

func TestSQLiteOpenMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.db")
	_, err := openSQLite(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "no such database file") {
		t.Fatalf("err = %v, want no such database file", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("open created the file: %v", err)
	}

	notDB := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o644)
	if _, err := openSQLite(context.Background(), notDB); err == nil {
		t.Fatal("opening a text file as a database succeeded")
	}
}

func TestSQLiteOpenDescribe(t *testing.T) {
	path := newSQLiteFile(t)
	weird := filepath.Join(filepath.Dir(path), "shop #1?v=2 100%.db")
	if err := os.Rename(path, weird); err != nil {
		t.Fatal(err)
	}
	d := openTestSQLite(t, weird)
	if got := d.Describe(); got != "sqlite:shop #1?v=2 100%.db" {
		t.Fatalf("Describe = %q", got)
	}
	if d.Driver() != SQLite {
		t.Fatalf("Driver = %q", d.Driver())
	}
	var fk int
	d.SQL().QueryRow("PRAGMA foreign_keys").Scan(&fk)
	if fk != 1 {
		t.Fatalf("foreign_keys = %d, want 1", fk)
	}
}

func TestSQLiteQuoting(t *testing.T) {
	names := []string{"Order Items", "select", `we"ird`}
	var ddl []string
	d0 := &sqliteDB{}
	for _, n := range names {
		ddl = append(ddl, fmt.Sprintf(`CREATE TABLE %s (%s INTEGER PRIMARY KEY, %s TEXT)`,
			d0.Quote(n), d0.Quote("order"), d0.Quote(`na"me`)))
	}
	ddl = append(ddl, `CREATE VIEW v AS SELECT 1`, `CREATE INDEX i ON "select"("na""me")`, `ANALYZE`)
	d := openTestSQLite(t, newSQLiteFile(t, ddl...))
	ctx := context.Background()

	if got, want := d.Quote(`we"ird`), `"we""ird"`; got != want {
		t.Fatalf("Quote = %s, want %s", got, want)
	}
	for _, n := range names {
		tb, err := d.Table(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(tb.Key, []string{"order"}) || len(tb.Columns) != 2 || tb.Columns[1].Name != `na"me` {
			t.Fatalf("%s: table = %+v", n, tb)
		}
		cols := []string{"order", `na"me`}
		rows := [][]any{{int64(1), "a"}, {int64(2), "b"}}
		if err := d.LoadBatch(ctx, tb, cols, rows, Marker{CopyID: "c", LastKey: []any{int64(2)}, Read: 2, Written: 2}); err != nil {
			t.Fatal(err)
		}
		if n, err := d.Count(ctx, n); err != nil || n != 2 {
			t.Fatalf("Count = %d, %v", n, err)
		}
		got, err := d.ReadBatch(ctx, tb, cols, []any{int64(1)}, 10)
		if err != nil || !reflect.DeepEqual(got, rows[1:]) {
			t.Fatalf("ReadBatch = %v, %v", got, err)
		}
	}
	tables, err := d.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Order Items", "select", `we"ird`}; !reflect.DeepEqual(tables, want) {
		t.Fatalf("Tables = %q, want %q (no views, no sqlite_%%, no %s)", tables, want, ProgressTable)
	}
	if _, err := d.Table(ctx, "nope"); err == nil {
		t.Fatal("Table of a missing table succeeded")
	}
	if tb, err := d.Table(ctx, "ORDER ITEMS"); err != nil || tb.Name != "Order Items" {
		t.Fatalf("Table is not case-insensitive like SQLite: %+v, %v", tb, err)
	}
}

func TestSQLiteTableShape(t *testing.T) {
	d := openTestSQLite(t, newSQLiteFile(t,
		`CREATE TABLE lines (note TEXT, qty INTEGER NOT NULL, order_id INTEGER, line VARCHAR(8),
			twice AS (qty * 2), PRIMARY KEY (order_id, line))`,
		`CREATE TABLE log (at TEXT, msg TEXT)`,
		`CREATE TABLE ids (id INTEGER PRIMARY KEY, v)`,
		`CREATE TABLE wr (a TEXT, b TEXT, PRIMARY KEY (b, a)) WITHOUT ROWID`,
	))
	ctx := context.Background()
	tb, err := d.Table(ctx, "lines")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tb.Key, []string{"order_id", "line"}) {
		t.Fatalf("Key = %q", tb.Key)
	}
	var names []string
	for _, c := range tb.Columns {
		names = append(names, c.Name)
	}
	if !reflect.DeepEqual(names, []string{"note", "qty", "order_id", "line"}) {
		t.Fatalf("columns = %q (generated column must be skipped)", names)
	}
	if c, _ := tb.Column("qty"); !c.Type.NotNull || c.Type.Decl != "INTEGER" {
		t.Fatalf("qty type = %+v", c.Type)
	}
	if c, _ := tb.Column("line"); c.Type.NotNull || c.Type.Decl != "VARCHAR(8)" {
		t.Fatalf("line type = %+v", c.Type)
	}
	if tb, _ := d.Table(ctx, "log"); tb.Key != nil || len(tb.Columns) != 2 {
		t.Fatalf("rowid table without key = %+v", tb)
	}
	if tb, _ := d.Table(ctx, "ids"); !tb.Columns[0].Type.NotNull || tb.Columns[1].Type.NotNull {
		t.Fatalf("INTEGER PRIMARY KEY must be NOT NULL: %+v", tb)
	}
	if tb, _ := d.Table(ctx, "wr"); !reflect.DeepEqual(tb.Key, []string{"b", "a"}) || !tb.Columns[0].Type.NotNull {
		t.Fatalf("WITHOUT ROWID = %+v", tb)
	}
	if _, err := d.ReadBatch(ctx, Table{Name: "log"}, []string{"msg"}, nil, 10); err == nil {
		t.Fatal("ReadBatch without a key succeeded")
	}
}

func TestSQLiteReadBatchKeysetComposite(t *testing.T) {
	stmts := []string{`CREATE TABLE m (k1 TEXT, k2 INTEGER, v TEXT, PRIMARY KEY (k1, k2))`}
	var want [][]any
	for _, k1 := range []string{"a", "b", "b b", "c"} { // inserted out of order below
		for k2 := int64(-2); k2 <= 3; k2++ {
			want = append(want, []any{k1, k2, fmt.Sprintf("%s/%d", k1, k2)})
		}
	}
	for i := len(want) - 1; i >= 0; i-- {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO m VALUES ('%s', %d, '%s')`, want[i][0], want[i][1], want[i][2]))
	}
	d := openTestSQLite(t, newSQLiteFile(t, stmts...))
	ctx := context.Background()
	tb, err := d.Table(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	cols := []string{"k1", "k2", "v"}
	for _, size := range []int{1, 3, 1000} {
		var got [][]any
		var after []any
		for calls := 0; ; calls++ {
			if calls > len(want)+1 {
				t.Fatalf("batch %d: paging does not end", size)
			}
			b, err := d.ReadBatch(ctx, tb, cols, after, size)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > size {
				t.Fatalf("batch %d: got %d rows", size, len(b))
			}
			if len(b) == 0 {
				break
			}
			got = append(got, b...)
			last := b[len(b)-1]
			after = last[:len(tb.Key)]
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("batch %d: got %v\nwant %v", size, got, want)
		}
	}
}

func TestSQLiteReadBatchValues(t *testing.T) {
	d := openTestSQLite(t, newSQLiteFile(t,
		`CREATE TABLE v (id INTEGER PRIMARY KEY, n INTEGER, r REAL, d DATE, dt DATETIME, b BLOB, x)`,
		`INSERT INTO v VALUES (1, 'N/A', 1.5, '2024-03-01', '2024-03-01 10:20:30.5', x'00ff', NULL)`,
		`INSERT INTO v VALUES (2, 42, '2.5', '2024-02-30', '2024-03-01T10:20:30+02:00', 'text', 7)`,
		`INSERT INTO v VALUES (3, '', 3, 20240301, 'soon', NULL, 1e100)`,
	))
	ctx := context.Background()
	tb, err := d.Table(ctx, "v")
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.ReadBatch(ctx, tb, []string{"id", "n", "r", "d", "dt", "b", "x"}, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	plus2 := time.FixedZone("", 2*3600)
	want := [][]any{
		{int64(1), "N/A", 1.5, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 10, 20, 30, 5e8, time.UTC), []byte{0, 0xff}, nil},
		{int64(2), int64(42), 2.5, "2024-02-30", time.Date(2024, 3, 1, 10, 20, 30, 0, plus2), "text", int64(7)},
		{int64(3), "", 3.0, int64(20240301), "soon", nil, 1e100},
	}
	for i := range want {
		for j := range want[i] {
			g, w := got[i][j], want[i][j]
			if gt, ok := g.(time.Time); ok {
				if wt, ok := w.(time.Time); !ok || !gt.Equal(wt) {
					t.Errorf("row %d col %d = %v, want %v", i, j, g, w)
				}
				continue
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("row %d col %d = %T(%v), want %T(%v)", i, j, g, g, w, w)
			}
		}
	}
}

func TestSQLiteReadBatchDateKey(t *testing.T) {
	// Mixed spellings: a re-rendered time.Time would compare wrongly with
	// the stored text, so date keys must come back exactly as stored.
	d := openTestSQLite(t, newSQLiteFile(t,
		`CREATE TABLE sales (day DATE, store INTEGER, at DATETIME, PRIMARY KEY (day, store))`,
		`INSERT INTO sales VALUES ('2024-01-01', 1, '2024-01-01 09:00:00'), ('2024-01-01', 2, NULL),
			('2024-01-01T00:00:00', 1, NULL), ('2024-01-02', 1, NULL), ('2024-01-02', 3, NULL)`,
	))
	ctx := context.Background()
	tb, err := d.Table(ctx, "sales")
	if err != nil {
		t.Fatal(err)
	}
	var got [][]any
	var after []any
	for range 10 {
		b, err := d.ReadBatch(ctx, tb, []string{"day", "store", "at"}, after, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			break
		}
		got = append(got, b...)
		after = b[0][:2]
	}
	if len(got) != 5 {
		t.Fatalf("read %d rows, want 5: %v", len(got), got)
	}
	wantDays := []any{"2024-01-01", "2024-01-01", "2024-01-01T00:00:00", "2024-01-02", "2024-01-02"}
	for i, r := range got {
		if r[0] != wantDays[i] {
			t.Fatalf("row %d day = %T(%v), want %v", i, r[0], r[0], wantDays[i])
		}
	}
	if _, ok := got[0][2].(time.Time); !ok {
		t.Fatalf("non-key DATETIME column = %T, want time.Time", got[0][2])
	}
}

func TestSQLiteLoadBatchProgress(t *testing.T) {
	d := openTestSQLite(t, newSQLiteFile(t,
		`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, day DATE, at TIMESTAMP)`))
	ctx := context.Background()
	d.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

	if _, ok, err := d.Progress(ctx, "run1/copy", "t"); ok || err != nil {
		t.Fatalf("Progress without table = %v, %v", ok, err)
	}
	tb := Table{Name: "t", Key: []string{"id"}, Columns: []Column{
		{Name: "id", Type: convert.Type{Kind: convert.Integer}},
		{Name: "name", Type: convert.Type{Kind: convert.Text}},
		{Name: "day", Type: convert.Type{Kind: convert.Date}},
		{Name: "at", Type: convert.Type{Kind: convert.Timestamp}},
	}}
	cols := []string{"id", "name", "day", "at"}
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	rows := [][]any{{int64(1), "a", at, at}, {int64(2), nil, nil, nil}}
	mark := Marker{CopyID: "run1/copy", Table: "t", LastKey: []any{int64(2), "x", 1.5, int64(1) << 60}, Read: 3, Written: 2, Rejected: 1}
	if err := d.LoadBatch(ctx, tb, cols, rows, mark); err != nil {
		t.Fatal(err)
	}
	got, ok, err := d.Progress(ctx, "run1/copy", "t")
	if err != nil || !ok || !reflect.DeepEqual(got, mark) {
		t.Fatalf("Progress = %#v, %v, %v\nwant %#v", got, ok, err, mark)
	}
	var day, ts, updated string
	d.SQL().QueryRow(`SELECT CAST(day AS TEXT), CAST("at" AS TEXT) FROM t WHERE id = 1`).Scan(&day, &ts)
	if day != "2024-05-06" || ts != "2024-05-06 07:08:09" {
		t.Fatalf("times stored as %q, %q", day, ts)
	}

	mark2 := Marker{CopyID: "run1/copy", Table: "t", LastKey: []any{int64(3)}, Read: 4, Written: 3, Rejected: 1}
	if err := d.LoadBatch(ctx, tb, cols, [][]any{{int64(3), "c", nil, nil}}, mark2); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := d.Progress(ctx, "run1/copy", "t"); !reflect.DeepEqual(got, mark2) {
		t.Fatalf("Progress after second batch = %#v", got)
	}
	d.SQL().QueryRow(`SELECT updated_at FROM ` + d.Quote(ProgressTable)).Scan(&updated)
	if updated != "2026-01-02T03:04:05Z" {
		t.Fatalf("updated_at = %q", updated)
	}
	if _, ok, _ := d.Progress(ctx, "run2/copy", "t"); ok {
		t.Fatal("Progress of another copy found")
	}
	if n, _ := d.Count(ctx, "t"); n != 3 {
		t.Fatalf("Count = %d", n)
	}
}

func TestSQLiteLoadBatchAtomic(t *testing.T) {
	d := openTestSQLite(t, newSQLiteFile(t, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`))
	ctx := context.Background()
	tb := Table{Name: "t", Key: []string{"id"}, Columns: []Column{{Name: "id"}, {Name: "v"}}}
	cols := []string{"id", "v"}

	dup := [][]any{{int64(1), "a"}, {int64(2), "b"}, {int64(1), "again"}}
	if err := d.LoadBatch(ctx, tb, cols, dup, Marker{CopyID: "c", LastKey: []any{int64(2)}, Read: 3, Written: 3}); err == nil {
		t.Fatal("duplicate key batch succeeded")
	}
	if n, _ := d.Count(ctx, "t"); n != 0 {
		t.Fatalf("failed batch left %d rows", n)
	}
	if _, ok, err := d.Progress(ctx, "c", "t"); ok || err != nil {
		t.Fatalf("failed batch left a marker: %v, %v", ok, err)
	}

	// A good batch, then a failing one spread over several statements: the
	// first marker stays, no row of the second batch is kept.
	good := Marker{CopyID: "c", LastKey: []any{int64(1)}, Read: 1, Written: 1}
	if err := d.LoadBatch(ctx, tb, cols, [][]any{{int64(1), "a"}}, good); err != nil {
		t.Fatal(err)
	}
	var big [][]any
	for i := int64(2); i < 40000; i++ {
		big = append(big, []any{i, "x"})
	}
	big = append(big, []any{int64(1), "dup"})
	if err := d.LoadBatch(ctx, tb, cols, big, Marker{CopyID: "c", LastKey: []any{int64(39999)}}); err == nil {
		t.Fatal("late duplicate key batch succeeded")
	}
	if n, _ := d.Count(ctx, "t"); n != 1 {
		t.Fatalf("failed batch left rows: count %d", n)
	}
	if got, _, _ := d.Progress(ctx, "c", "t"); !reflect.DeepEqual(got.LastKey, []any{int64(1)}) || got.Written != 1 {
		t.Fatalf("marker changed by a failed batch: %+v", got)
	}
}

func TestSQLiteLoadBatchManyVariables(t *testing.T) {
	d := openTestSQLite(t, newSQLiteFile(t, `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b REAL)`))
	ctx := context.Background()
	tb, _ := d.Table(ctx, "t")
	var rows [][]any
	for i := range int64(25000) { // 75,000 variables: three full statements and a partial one
		rows = append(rows, []any{i, fmt.Sprint(i), float64(i) / 2})
	}
	if err := d.LoadBatch(ctx, tb, []string{"id", "a", "b"}, rows, Marker{CopyID: "c", LastKey: []any{int64(24999)}}); err != nil {
		t.Fatal(err)
	}
	var n, sum int64
	d.SQL().QueryRow(`SELECT count(*), sum(id) FROM t WHERE a = CAST(id AS TEXT) AND b = id / 2.0`).Scan(&n, &sum)
	if n != 25000 || sum != 25000*24999/2 {
		t.Fatalf("count %d sum %d", n, sum)
	}
}
