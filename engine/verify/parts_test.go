package verify

// The parts: bounds shared between the two readers, the choice between
// ranges and buckets (and the fall back from one to the other), keys as
// people read them, a table that changes between the two reads, and
// snapshot checksums.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/convert"
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

func TestAssignerWaitsForTheSource(t *testing.T) {
	b := newBounds()
	go func() {
		defer b.finish()
		for k := int64(10); k <= 100; k += 10 {
			time.Sleep(time.Millisecond)
			b.add(k)
		}
	}()
	a := assigner{b: b}
	for _, k := range []int64{-5, 1, 10, 11, 20, 55, 99, 100, 101, 1 << 40, 3} {
		i, err := a.chunk(context.Background(), k)
		want := 10 // the tail
		if k <= 100 {
			want = max(int(k-1)/10, 0)
		}
		if err != nil || i != want {
			t.Errorf("key %d: chunk %d (%v), want %d", k, i, err, want)
		}
	}
}

func TestAssignerStopsWhenCancelled(t *testing.T) {
	b := newBounds()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		a := assigner{b: b}
		_, err := a.chunk(ctx, 5)
		done <- err
	}()
	cancel()
	b.finish() // the source always finishes, also when cancelled
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestChunkerRefusesUnorderedKeys(t *testing.T) {
	c := chunker{b: newBounds(), rows: 10}
	for _, k := range []int64{1, 2, 5} {
		if err := c.add(k, [32]byte{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.add(5, [32]byte{}); !errors.Is(err, errUnordered) {
		t.Errorf("a repeated key: %v, want errUnordered", err)
	}
}

func TestRangeableKeys(t *testing.T) {
	i64 := convert.Type{Kind: convert.Integer}
	text := convert.Type{Kind: convert.Text}
	cast := []runbooks.Cast{{Table: "T", Column: "id", Map: map[string]*string{"N/A": nil}}}
	for _, c := range []struct {
		name     string
		src, dst convert.Type
		keys     int
		casts    []runbooks.Cast
		want     bool
	}{
		{"integer", i64, i64, 1, nil, true},
		{"composite", i64, i64, 2, nil, false},
		{"text target", i64, text, 1, nil, false},
		{"text source", text, i64, 1, nil, false},
		{"cast on the key", i64, i64, 1, cast, false},
	} {
		if got := rangeable(c.src, c.dst, c.keys, "id", "t", c.casts); got != c.want {
			t.Errorf("%s: rangeable %v, want %v", c.name, got, c.want)
		}
	}
}

func TestShowKey(t *testing.T) {
	types := []convert.Type{{Kind: convert.Integer}, {Kind: convert.Text}, {Kind: convert.Text}}
	enc := appendKey(nil, []any{int64(-7), "a,b", nil}, types)
	if got := showKey(string(enc)); got != "-7,a,b,NULL" {
		t.Errorf("showKey = %q", got)
	}
	enc = appendKey(nil, []any{"abc"}, types[:1]) // not an integer
	if got := showKey(string(enc)); got != "abc" {
		t.Errorf("showKey of an invalid value = %q", got)
	}
}

// A single-column INT key that is not SQLite's rowid may hold text. The
// pass by ranges meets it in the target and the table is verified by
// buckets instead, naming the stray key.
func TestVerifyFallsBackToBuckets(t *testing.T) {
	sizes := Sizes{ReadBatch: 3, ChunkRows: 4, Buckets: 4, HeldRows: 100}
	src, dst := newDB(t, db.SQLite), newDB(t, db.SQLite)
	mustExec(t, src, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
	mustExec(t, dst, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
	var rows [][]any
	for i := range 20 {
		rows = append(rows, []any{int64(i), "v"})
	}
	insertRows(t, src, "t", []string{"id", "v"}, rows)
	copyTable(t, src, dst, "t", runbooks.Step{})
	mustExec(t, dst, "INSERT INTO t VALUES ('abc', 'v')")
	p, err := copyengine.MakePlan(testCtx(t), src, dst, "t", runbooks.Step{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := newRun(src, dst, p, nil, sizes)
	if err := r.firstPass(testCtx(t)); !r.ranges || !errors.Is(err, errUnordered) {
		t.Fatalf("first pass by ranges: ranges %v, %v; want errUnordered", r.ranges, err)
	}
	check := verifyTable(t, sizes, src, dst, "t", runbooks.Step{})
	if check.Mismatches != 1 || !sameKeys(check.MismatchKeys, []string{"abc (extra in target)"}) {
		t.Errorf("%+v", check)
	}
}

// alteringDB changes one value in the first batch it returns: the table
// seems to change between verify's two reads.
type alteringDB struct {
	db.DB
	once sync.Once
}

func (a *alteringDB) ReadBatch(ctx context.Context, t db.Table, cols []string, after []any, limit int) ([][]any, error) {
	rows, err := a.DB.ReadBatch(ctx, t, cols, after, limit)
	if len(rows) > 0 {
		a.once.Do(func() { rows[0][len(cols)-1] = "changed" })
	}
	return rows, err
}

func TestVerifyNoticesATableChangingBetweenReads(t *testing.T) {
	f := itemsFixture()
	src, dst := newDB(t, db.SQLite), newDB(t, db.SQLite)
	createTable(t, src, f.table, f.ddl)
	createTable(t, dst, f.table, f.ddl)
	insertRows(t, src, f.table, f.cols, f.rows)
	copyTable(t, src, dst, f.table, runbooks.Step{})
	_, err := Table(testCtx(t), src, &alteringDB{DB: dst}, f.table, runbooks.Step{})
	if err == nil || !strings.Contains(err.Error(), "being written") {
		t.Errorf("got %v, want an error asking whether the table is being written", err)
	}
}

// Checksums hash the raw values, which canonical forms convert first: the
// same sums as converting every value before hashing (as snapshots
// recorded before).
func TestChecksumsHashConvertedValues(t *testing.T) {
	d := newDB(t, db.SQLite)
	f := itemsFixture()
	createTable(t, d, f.table, f.ddl)
	insertRows(t, d, f.table, f.cols, f.rows)
	got, err := Checksums(testCtx(t), d, []string{f.table})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := d.Table(testCtx(t), f.table)
	if err != nil {
		t.Fatal(err)
	}
	types := make([]convert.Type, len(f.cols))
	for i, c := range f.cols {
		col, _ := tb.Column(c)
		types[i] = col.Type
	}
	rows, err := d.ReadBatch(testCtx(t), tb, f.cols, nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var want convert.Checksum
	for _, row := range rows {
		vals := make([]any, len(row))
		for i, v := range row {
			if vals[i], _ = convert.Convert(v, types[i]); vals[i] == nil {
				vals[i] = v
			}
		}
		want.Add(convert.RowHash(vals, types))
	}
	if len(got) != 1 || got[0].Rows != int64(len(f.rows)) || got[0].Checksum != want.Hex() {
		t.Errorf("Checksums = %+v, want %d rows, %s", got, len(f.rows), want.Hex())
	}
}

// failingDB fails its read number failAt (1-based) with errBoom.
type failingDB struct {
	db.DB
	mu     sync.Mutex
	calls  int
	failAt int
}

var errBoom = errors.New("boom")

func (f *failingDB) ReadBatch(ctx context.Context, t db.Table, cols []string, after []any, limit int) ([][]any, error) {
	f.mu.Lock()
	f.calls++
	fail := f.calls == f.failAt
	f.mu.Unlock()
	if fail {
		return nil, errBoom
	}
	return f.DB.ReadBatch(ctx, t, cols, after, limit)
}

// A read that fails on either side, in the first pass or in the descent,
// ends the verify with that error (not with the other side's
// cancellation), and nothing hangs.
func TestVerifyReportsReadErrors(t *testing.T) {
	sizes := manySizes
	for _, f := range []fixture{itemsFixture(), tagsFixture()} {
		s, d := newDB(t, db.SQLite), newDB(t, db.SQLite)
		createTable(t, s, f.table, f.ddl)
		createTable(t, d, f.table, f.ddl)
		insertRows(t, s, f.table, f.cols, f.rows)
		copyTable(t, s, d, f.table, runbooks.Step{})
		f.edits(t, s, d)
		onePass := len(f.rows)/sizes.ReadBatch + 1
		for _, c := range []struct {
			name     string
			side     string
			failAt   int
			whichErr string
		}{
			{"source, first pass", "source", 3, "reading the source"},
			{"target, first pass", "target", 3, "reading the target"},
			{"source, descent", "source", onePass + 2, "reading the source"},
			{"target, descent", "target", onePass + 2, "reading the target"},
		} {
			var src, dst db.DB = s, d
			if c.side == "source" {
				src = &failingDB{DB: s, failAt: c.failAt}
			} else {
				dst = &failingDB{DB: d, failAt: c.failAt}
			}
			_, err := TableWith(testCtx(t), src, dst, f.table, runbooks.Step{}, sizes)
			if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), c.whichErr) {
				t.Errorf("%s, %s: got %v, want boom while %s", f.table, c.name, err, c.whichErr)
			}
		}
	}
}
