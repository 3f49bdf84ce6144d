package copy_test

// The batch sizes and parallelism the engine chooses when the runbook
// names none: reported to the sink, grown on fast batches, shrunk on slow
// ones (a target behind a throttled proxy), never in the way of exactness
// (read = written + rejected, every row once), and the runbook's own
// values kept as they are.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

func (s *memSink) Tuned(t copyengine.Tune) {
	s.mu.Lock()
	s.tunes = append(s.tunes, t)
	hook := s.onTuned
	s.mu.Unlock()
	if hook != nil {
		hook(t)
	}
}

// tuneList returns the tunes reported so far.
func (s *memSink) tuneList() []copyengine.Tune {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]copyengine.Tune(nil), s.tunes...)
}

// batchSizes are the rows of each batch as the progress reports show
// them: every report follows one committed batch of one range, so the
// growth of the table's read count between two reports is that batch.
func (s *memSink) batchSizes() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int64
	var last int64
	for _, c := range s.progress {
		if c.Done {
			continue
		}
		out = append(out, c.Read-last)
		last = c.Read
	}
	return out
}

// timedSink is a memSink whose batch attempts time out after timeout (the
// stall timeout) and whose batches aim at target: far from the times a
// busy test machine shows, so that fast and slow do not depend on its load.
type timedSink struct {
	*memSink
	timeout, target time.Duration
}

func (s timedSink) Tuning() copyengine.Tuning {
	t := s.memSink.Tuning()
	t.BatchTimeout, t.BatchTarget = s.timeout, s.target
	return t
}

// slow limits every connection through the proxy to the server to p.rate
// bytes a second: a write's time grows with its batch.
func (p *proxy) slow(n int) {
	p.mu.Lock()
	rate := p.rate
	p.mu.Unlock()
	if rate > 0 && n > 0 {
		time.Sleep(time.Duration(int64(n) * int64(time.Second) / rate))
	}
}

// throttle sets the proxy's rate to the server (bytes a second per connection).
func (p *proxy) throttle(rate int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = rate
}

// tunedCols are the columns of the tuned table: two text columns the
// schema cannot bound (so the first batch is sized from a width guessed
// wide, 136 bytes, and then measured much narrower) and a quantity kept as
// text in the source, one row in 250 of which is not a number.
var tunedCols = []string{"id", "a", "b", "qty"}

const tunedRejectEvery = 250

// createTunedTables makes the tuned table in src (n rows, keys with gaps)
// and in dst (qty an integer). It returns how many rows must be rejected.
func createTunedTables(t *testing.T, src, dst db.DB, table string, n int, noteLen int) int {
	t.Helper()
	mustExec(t, src, "CREATE TABLE "+src.Quote(table)+" (id BIGINT PRIMARY KEY, a TEXT, b TEXT, qty VARCHAR(10))")
	mustExec(t, dst, "CREATE TABLE "+dst.Quote(table)+" (id BIGINT PRIMARY KEY, a TEXT, b TEXT, qty INTEGER)")
	rows := make([][]any, n)
	rejected := 0
	pad := fmt.Sprintf("%0*d", noteLen, 0)
	for i := range rows {
		qty := fmt.Sprint(i % 1000)
		if i%tunedRejectEvery == 3 {
			qty, rejected = "N/A", rejected+1
		}
		var b any = fmt.Sprintf("b%d", i)
		if i%5 == 0 {
			b = nil
		}
		rows[i] = []any{int64(i*3 + 1), fmt.Sprintf("a%d %s", i, pad), b, qty}
	}
	insertRows(t, src, table, tunedCols, rows)
	return rejected
}

// autoStep is a copy step that names neither batch nor parallel.
func autoStep(table string) runbooks.Step {
	return runbooks.Step{ID: "copy", Kind: runbooks.KindCopy, Tables: []string{table}}
}

// checkTunedCopy asserts an exact copy of the tuned table.
func checkTunedCopy(t *testing.T, src, dst db.DB, table string, n, rejected int, c copyengine.Counters, sink *memSink) {
	t.Helper()
	checkCopied(t, src, dst, table, autoStep(table), c, sink)
	if c.Read != int64(n) || c.Rejected != int64(rejected) || c.Written != int64(n-rejected) {
		t.Errorf("read %d written %d rejected %d, want %d, %d, %d", c.Read, c.Written, c.Rejected, n, n-rejected, rejected)
	}
	checkNoDuplicates(t, dst, table, "id")
}

func TestAutoBatchGrowsOnFastBatches(t *testing.T) {
	for _, pair := range [][2]string{{db.SQLite, db.SQLite}, {db.MySQL, db.Postgres}, {db.Postgres, db.MySQL}} {
		t.Run(pair[0]+"_to_"+pair[1], func(t *testing.T) {
			src, dst := newDB(t, pair[0]), newDB(t, pair[1])
			const n = 30000
			rejected := createTunedTables(t, src, dst, "tuned", n, 4)
			sink := timedSink{newSink(), 2 * time.Minute, 2 * time.Second} // fast: under a second
			c, err := copyengine.Table(testCtx(t), src, dst, "tuned", autoStep("tuned"), "test/copy", sink)
			if err != nil {
				t.Fatal(err)
			}
			checkTunedCopy(t, src, dst, "tuned", n, rejected, c, sink.memSink)

			tunes := sink.tuneList()
			if len(tunes) < 2 {
				t.Fatalf("tunes %+v: want the chosen values and at least one resize", tunes)
			}
			first := tunes[0]
			workers := min(max(runtime.NumCPU(), 2), 8)
			if pair[1] == db.SQLite {
				workers = 1 // one writer at a time
			}
			if first.Reason != copyengine.TuneChosen || !first.AutoBatch || !first.AutoParallel || first.Workers != workers || first.Parallel != workers {
				t.Errorf("first tune %+v: want the chosen values, auto, %d workers on the table", first, workers)
			}
			grew, largest := false, first.Batch
			for i, tu := range tunes[1:] {
				if tu.Reason == copyengine.TuneGrew {
					grew = true
					if prev := tunes[i].Batch; tu.Batch <= prev || tu.Took >= time.Second {
						t.Errorf("grew from %d to %d rows after a batch of %d took %s", prev, tu.Batch, tu.Rows, tu.Took)
					}
				}
				largest = max(largest, tu.Batch)
			}
			if !grew {
				t.Errorf("no batch grew: %+v", tunes)
			}
			sizes := sink.batchSizes()
			biggest := int64(0)
			for _, s := range sizes {
				biggest = max(biggest, s)
				if s > int64(largest) {
					t.Errorf("a batch of %d rows, above the largest size reported (%d)", s, largest)
				}
			}
			if biggest <= int64(first.Batch) {
				t.Errorf("no batch was larger than the first size %d: %v", first.Batch, sizes)
			}
			t.Logf("tunes %+v; batch sizes %v", tunes, sizes)
		})
	}
}

func TestAutoBatchShrinksOnSlowBatches(t *testing.T) {
	for _, to := range []string{db.Postgres, db.MySQL} {
		t.Run("sqlite_to_"+to, func(t *testing.T) {
			src, dst := newDB(t, db.SQLite), newDB(t, to)
			const n = 20000
			rejected := createTunedTables(t, src, dst, "tuned", n, 40)
			p := startProxy(t, dst.addr)
			p.throttle(400 << 10)
			sink := timedSink{newSink(), 10 * time.Second, 50 * time.Millisecond} // slow: over 100 ms
			c, err := copyengine.Table(testCtx(t), src, dst.reopenAt(t, p.addr()), "tuned", autoStep("tuned"), "test/copy", sink)
			if err != nil {
				t.Fatal(err)
			}
			checkTunedCopy(t, src, dst, "tuned", n, rejected, c, sink.memSink)
			tunes := sink.tuneList()
			var shrank []copyengine.Tune
			for _, tu := range tunes {
				if tu.Reason == copyengine.TuneShrank {
					shrank = append(shrank, tu)
				}
			}
			if len(shrank) == 0 {
				t.Fatalf("no batch shrank behind a throttled target: %+v", tunes)
			}
			if s := shrank[0]; s.Took <= 100*time.Millisecond || s.Batch >= tunes[0].Batch {
				t.Errorf("shrank to %d rows after a batch of %d took %s; the first size was %d", s.Batch, s.Rows, s.Took, tunes[0].Batch)
			}
			if sink.retryCount() > 0 {
				t.Errorf("%d batches timed out: the sizes did not stay within the stall timeout", sink.retryCount())
			}
			t.Logf("tunes %+v; batch sizes %v", tunes, sink.batchSizes())
		})
	}
}

func TestExplicitBatchAndParallelAreKept(t *testing.T) {
	for _, pair := range [][2]string{{db.SQLite, db.SQLite}, {db.Postgres, db.MySQL}} {
		t.Run(pair[0]+"_to_"+pair[1], func(t *testing.T) {
			src, dst := newDB(t, pair[0]), newDB(t, pair[1])
			const n = 6000
			rejected := createTunedTables(t, src, dst, "tuned", n, 4)
			sink := newSink()
			step := runbooks.Step{ID: "copy", Kind: runbooks.KindCopy, Tables: []string{"tuned"}, Batch: 300, Parallel: 3}
			c := copyTable(t, src, dst, "tuned", step, sink)
			checkTunedCopy(t, src, dst, "tuned", n, rejected, c, sink)
			tunes := sink.tuneList()
			want := copyengine.Tune{Table: "tuned", Batch: 300, Parallel: 3, Workers: 3, Reason: copyengine.TuneChosen}
			if len(tunes) != 1 || tunes[0].Batch != want.Batch || tunes[0].Parallel != 3 || tunes[0].Workers != 3 ||
				tunes[0].AutoBatch || tunes[0].AutoParallel || tunes[0].Reason != want.Reason {
				t.Errorf("tunes %+v, want only %+v", tunes, want)
			}
			full := 0
			for _, s := range sink.batchSizes() {
				if s > 300 {
					t.Errorf("a batch of %d rows with batch: 300", s)
				}
				if s == 300 {
					full++
				}
			}
			if full < n/300-3 {
				t.Errorf("%d full batches of 300, want at least %d", full, n/300-3)
			}

			// The batch named, the workers chosen: the batch stays.
			dst2 := newDB(t, pair[1])
			mustExec(t, dst2, "CREATE TABLE "+dst2.Quote("tuned")+" (id BIGINT PRIMARY KEY, a TEXT, b TEXT, qty INTEGER)")
			sink2 := newSink()
			step.Parallel = 0
			c = copyTable(t, src, dst2, "tuned", step, sink2)
			checkTunedCopy(t, src, dst2, "tuned", n, rejected, c, sink2)
			if tunes := sink2.tuneList(); len(tunes) != 1 || tunes[0].Batch != 300 || tunes[0].AutoBatch || !tunes[0].AutoParallel {
				t.Errorf("batch 300 with parallel chosen: tunes %+v", tunes)
			}
		})
	}
}

// TestResumeAcrossBatchSizes stops a copy the moment its batch is resized
// — the batches read at the old size still in the pipeline — and resumes
// it with other sizes and another parallelism: the split of the first run
// is kept, every row arrives once. And the other way round: a copy begun
// whole by one worker, resumed by three, stays whole.
func TestResumeAcrossBatchSizes(t *testing.T) {
	for _, pair := range [][2]string{{db.SQLite, db.Postgres}, {db.MySQL, db.SQLite}, {db.Postgres, db.MySQL}} {
		t.Run(pair[0]+"_to_"+pair[1], func(t *testing.T) {
			src, dst := newDB(t, pair[0]), newDB(t, pair[1])
			const n = 30000
			rejected := createTunedTables(t, src, dst, "tuned", n, 4)
			sink := newSink()
			ctx, cancel := context.WithCancel(testCtx(t))
			grows := timedSink{sink, 2 * time.Minute, 2 * time.Second} // fast: under a second
			defer cancel()
			resized := 0
			sink.onTuned = func(tu copyengine.Tune) {
				if tu.Reason != copyengine.TuneChosen {
					resized++
					cancel() // the process dies as the batch is resized
				}
			}
			_, err := copyengine.Table(ctx, src, dst, "tuned", autoStep("tuned"), "run-1", grows)
			if !errors.Is(err, context.Canceled) || resized == 0 {
				t.Fatalf("first copy: %v after %d resizes; want it stopped at a resize", err, resized)
			}
			partial := count(t, dst, "tuned")
			if partial == 0 || partial >= int64(n-rejected) {
				t.Fatalf("the target holds %d rows after the stop; the test wants a partial copy", partial)
			}
			sink.onTuned = nil
			step := runbooks.Step{ID: "copy", Kind: runbooks.KindCopy, Tables: []string{"tuned"}, Batch: 777, Parallel: 1}
			c, err := copyengine.Table(testCtx(t), src, dst, "tuned", step, "run-1", sink)
			if err != nil {
				t.Fatalf("resumed with batch 777: %v", err)
			}
			if !c.Resumed {
				t.Error("the second copy did not resume")
			}
			checkTunedCopy(t, src, dst, "tuned", n, rejected, c, sink)
			t.Logf("stopped at %d of %d rows, resumed with batch 777 × 1", partial, n)

			// Whole first, split offered on resume.
			dst2 := newDB(t, pair[1])
			mustExec(t, dst2, "CREATE TABLE "+dst2.Quote("tuned")+" (id BIGINT PRIMARY KEY, a TEXT, b TEXT, qty INTEGER)")
			sink2 := newSink()
			calls := 0
			crash := errors.New("the process died")
			sink2.onProgress = func(copyengine.Counters) error {
				if calls++; calls == 5 {
					return crash
				}
				return nil
			}
			one := runbooks.Step{ID: "copy", Kind: runbooks.KindCopy, Tables: []string{"tuned"}, Batch: 100, Parallel: 1}
			if _, err := copyengine.Table(testCtx(t), src, dst2, "tuned", one, "run-2", sink2); !errors.Is(err, crash) {
				t.Fatalf("first copy: %v, want the simulated crash", err)
			}
			sink2.onProgress = nil
			three := runbooks.Step{ID: "copy", Kind: runbooks.KindCopy, Tables: []string{"tuned"}, Batch: 100, Parallel: 3}
			c, err = copyengine.Table(testCtx(t), src, dst2, "tuned", three, "run-2", sink2)
			if err != nil {
				t.Fatalf("resumed by three workers: %v", err)
			}
			checkTunedCopy(t, src, dst2, "tuned", n, rejected, c, sink2)
			if tunes := sink2.tuneList(); tunes[len(tunes)-1].Parallel != 1 {
				t.Errorf("a table begun whole was copied by %d workers on resume", tunes[len(tunes)-1].Parallel)
			}
		})
	}
}
