package copy_test

import (
	"errors"
	"fmt"
	"testing"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// TestSplitCopyResumesExactly copies a table cut into key ranges by three
// workers, stops it abruptly after a few batches (as a crash would), and
// copies again: every row must arrive exactly once, in the ranges recorded
// the first time.
func TestSplitCopyResumesExactly(t *testing.T) {
	for _, pair := range [][2]string{{db.SQLite, db.SQLite}, {db.Postgres, db.MySQL}, {db.MySQL, db.Postgres}} {
		t.Run(pair[0]+"_to_"+pair[1], func(t *testing.T) {
			src, dst := newDB(t, pair[0]), newDB(t, pair[1])
			const n = 3000
			for _, d := range []db.DB{src, dst} {
				mustExec(t, d, "CREATE TABLE "+d.Quote("wide")+" (id BIGINT PRIMARY KEY, v VARCHAR(20))")
			}
			rows := make([][]any, n)
			for i := range rows {
				rows[i] = []any{int64(i*7 + 1), fmt.Sprintf("row %d", i)} // gaps in the keys
			}
			insertRows(t, src, "wide", []string{"id", "v"}, rows)
			step := runbooks.Step{ID: "copy", Kind: runbooks.KindCopy, Batch: 100, Parallel: 3}

			crash := errors.New("the process died")
			first := newSink()
			calls := 0
			first.onProgress = func(c copyengine.Counters) error {
				if calls++; calls == 7 {
					return crash
				}
				return nil
			}
			if _, err := copyengine.Table(testCtx(t), src, dst, "wide", step, "run-1", first); !errors.Is(err, crash) {
				t.Fatalf("first copy: %v, want the simulated crash", err)
			}
			partial := count(t, dst, "wide")
			if partial == 0 || partial >= n {
				t.Fatalf("after the crash the target holds %d rows; the test wants a partial copy", partial)
			}

			second := newSink()
			c, err := copyengine.Table(testCtx(t), src, dst, "wide", step, "run-1", second)
			if err != nil {
				t.Fatal(err)
			}
			if c.Read != n || c.Written != n || c.Rejected != 0 || !c.Done || !c.Resumed {
				t.Errorf("counters after resume: %+v", c)
			}
			if got := count(t, dst, "wide"); got != n {
				t.Errorf("target holds %d rows, want %d", got, n)
			}
			var ranges int
			q := "SELECT count(*) FROM " + dst.Quote(db.ProgressTable) + " WHERE " + dst.Quote("tbl") + " LIKE 'wide#_/3'"
			if err := dst.SQL().QueryRow(q).Scan(&ranges); err != nil {
				t.Fatal(err)
			}
			if ranges != 3 {
				t.Errorf("%d range checkpoints, want 3", ranges)
			}
			checkCopied(t, src, dst, "wide", step, c, second)
		})
	}
}
