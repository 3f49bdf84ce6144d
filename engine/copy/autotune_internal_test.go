package copy

import (
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/runbooks"
)

// tuneRecorder is a Sink that keeps the tunes it is given.
type tuneRecorder struct {
	Sink
	tunes []Tune
}

func (r *tuneRecorder) Tuned(t Tune) { r.tunes = append(r.tunes, t) }

// testSizer sizes a table of two 8-byte columns and a text column.
func testSizer(step runbooks.Step, total int64, timeout time.Duration) (*sizer, *tuneRecorder) {
	p := &Plan{Name: "t", Cols: []string{"id", "n", "s"},
		Types: []convert.Type{{Kind: convert.Integer}, {Kind: convert.Integer}, {Kind: convert.Text}}}
	rec := &tuneRecorder{}
	z := newSizer(p, step, total, 2, Tuning{BatchTimeout: timeout, BatchTarget: DefaultTuning.BatchTarget}, rec)
	z.started(Tune{Table: "t", Workers: 2, Parallel: 1})
	return z, rec
}

func TestSizerSizesByBytesAndTime(t *testing.T) {
	z, rec := testSizer(runbooks.Step{}, 10_000_000, 2*time.Minute)
	start := z.size()
	if want := (256 << 10) / 80; start != want { // 8 + 8 + 64 bytes a row, from the schema
		t.Fatalf("first batch %d rows, want %d", start, want)
	}
	// Fast: grows, at most twice the batch it learnt from.
	z.observe(start, start, int64(start)*20, 10*time.Millisecond)
	if got := z.size(); got != 2*start {
		t.Errorf("after a fast batch: %d rows, want %d", got, 2*start)
	}
	// Within the window (125 ms .. 500 ms): no change, no tune.
	n := len(rec.tunes)
	z.observe(z.size(), z.size(), int64(z.size())*20, 300*time.Millisecond)
	if len(rec.tunes) != n {
		t.Errorf("a batch within the window resized: %+v", rec.tunes[n:])
	}
	// Slow: shrinks towards the target, never below a quarter at once.
	before := z.size()
	z.observe(before, before, int64(before)*20, 4*time.Second)
	if got := z.size(); got >= before || got < before/4 {
		t.Errorf("after a slow batch: %d rows (was %d)", got, before)
	}
	last := rec.tunes[len(rec.tunes)-1]
	if last.Reason != TuneShrank || last.Took != 4*time.Second || last.Rows != before || last.Batch != z.size() || last.RowBytes != 20 {
		t.Errorf("the shrink reported %+v", last)
	}
	// A short batch (the end of a range) does not resize by time.
	n = len(rec.tunes)
	z.observe(z.size(), 10, 200, time.Microsecond)
	if len(rec.tunes) != n {
		t.Errorf("a short batch resized: %+v", rec.tunes[n:])
	}
}

func TestSizerStaysWithinTheMemoryBound(t *testing.T) {
	z, rec := testSizer(runbooks.Step{}, 10_000_000, 2*time.Minute)
	// Rows far wider than the schema said: the batch shrinks to fit the
	// memory bound whatever its time.
	rows := z.size()
	z.observe(rows, rows, int64(rows)*20_000, 300*time.Millisecond)
	limit := autoBatchMemory / (3 * 2) / (20_000 + 40*3 + 32)
	if got := z.size(); got > max(limit, autoMinRows) {
		t.Errorf("%d rows of 20 kB each with 2 workers: over the memory bound of %d rows", got, limit)
	}
	if last := rec.tunes[len(rec.tunes)-1]; last.Reason != TuneMemory {
		t.Errorf("last tune %+v, want the memory bound", last)
	}
	// Fast batches never grow past it.
	for range 10 {
		z.observe(z.size(), z.size(), int64(z.size())*20_000, time.Millisecond)
	}
	if got := z.size(); got > max(limit, autoMinRows) {
		t.Errorf("grew to %d rows, over the memory bound of %d", got, limit)
	}
}

func TestSizerAimsFarBelowTheStallTimeout(t *testing.T) {
	z, _ := testSizer(runbooks.Step{}, 10_000_000, 800*time.Millisecond)
	if z.target != 50*time.Millisecond {
		t.Fatalf("target %s with a stall timeout of 800ms, want 50ms", z.target)
	}
	rows := z.size()
	z.observe(rows, rows, int64(rows)*20, 150*time.Millisecond) // 3x the target
	if got := z.size(); got >= rows {
		t.Errorf("a batch of 150ms under an 800ms stall timeout did not shrink the next (%d rows)", got)
	}
}

func TestSizerKeepsTheRunbooksBatch(t *testing.T) {
	z, rec := testSizer(runbooks.Step{Batch: 777}, 10_000_000, 2*time.Minute)
	for _, took := range []time.Duration{time.Millisecond, 10 * time.Second} {
		z.observe(777, 777, 777*20_000, took)
	}
	if z.size() != 777 || len(rec.tunes) != 1 || rec.tunes[0].AutoBatch || rec.tunes[0].Batch != 777 {
		t.Errorf("size %d, tunes %+v: want 777 throughout, one tune", z.size(), rec.tunes)
	}
}

func TestSizerLeavesSeveralBatchesPerRange(t *testing.T) {
	z, _ := testSizer(runbooks.Step{}, 4000, 2*time.Minute)
	z.setRanges(4000, 2)
	for range 10 {
		z.observe(z.size(), z.size(), int64(z.size())*20, time.Millisecond)
	}
	if got := z.size(); got > 500 {
		t.Errorf("batches of %d rows in ranges of 2000 rows, want at most a quarter", got)
	}
}

// A restarted copy goes on with the batch size and row width in force
// before (TuneRecaller), reported as resumed; with another number of
// workers it is held to their memory bound; a runbook's batch, or a size
// the engine did not choose, is never taken over.
func TestSizerRecallsTheBatchInForce(t *testing.T) {
	p := &Plan{Name: "t", Cols: []string{"id", "n", "s"},
		Types: []convert.Type{{Kind: convert.Integer}, {Kind: convert.Integer}, {Kind: convert.Text}}}
	tn := Tuning{BatchTimeout: 2 * time.Minute, BatchTarget: DefaultTuning.BatchTarget}
	start := func(step runbooks.Step, prev Tune, workers int) (*sizer, *tuneRecorder) {
		rec := &tuneRecorder{}
		z := newSizer(p, step, 10_000_000, workers, tn, rec)
		z.setRanges(10_000_000, 1)
		z.recall(prev)
		z.started(Tune{Table: "t", Workers: workers, Parallel: 1})
		return z, rec
	}
	// 7,777 rows of 20 bytes: not what the schema's 80 bytes a row gives.
	prev := Tune{Table: "t", Batch: 7777, Workers: 2, AutoBatch: true, Reason: TuneGrew, RowBytes: 20}
	z, rec := start(runbooks.Step{}, prev, 2)
	if z.size() != 7777 || len(rec.tunes) != 1 || rec.tunes[0].Reason != TuneResumed || rec.tunes[0].Batch != 7777 || rec.tunes[0].RowBytes != 20 {
		t.Errorf("recalled 7,777 rows: size %d, tunes %+v", z.size(), rec.tunes)
	}
	// It adapts from there as before.
	z.observe(7777, 7777, 7777*20, 10*time.Millisecond)
	if z.size() != 2*7777 {
		t.Errorf("a fast batch after the recall: %d rows, want %d", z.size(), 2*7777)
	}

	// Wide rows recalled with 2 workers, resumed with 8: within the bound of 8.
	wide := Tune{Table: "t", Batch: 1000, Workers: 2, AutoBatch: true, Reason: TuneMemory, RowBytes: 5000}
	z, rec = start(runbooks.Step{}, wide, 8)
	limit := autoBatchMemory / (3 * 8) / (5000 + 40*3 + 32)
	if z.size() > limit || rec.tunes[0].Reason != TuneResumed {
		t.Errorf("recalled 1,000 rows of 5 kB under 8 workers: %d rows (bound %d), tunes %+v", z.size(), limit, rec.tunes)
	}

	// The runbook's batch wins; a recalled size the runbook named is not the engine's.
	z, rec = start(runbooks.Step{Batch: 500}, prev, 2)
	if z.size() != 500 || rec.tunes[0].Reason != TuneChosen {
		t.Errorf("runbook batch 500 with a recalled tune: size %d, tunes %+v", z.size(), rec.tunes)
	}
	named := prev
	named.AutoBatch = false
	z, rec = start(runbooks.Step{}, named, 2)
	if z.size() == 7777 || rec.tunes[0].Reason != TuneChosen {
		t.Errorf("a recalled runbook size taken over by the engine: size %d, tunes %+v", z.size(), rec.tunes)
	}
}

// However slow or fast the batches, the size stays within its bounds: at
// least autoMinRows, at most the memory bound (narrow rows, a huge table).
func TestSizerIsBounded(t *testing.T) {
	z, _ := testSizer(runbooks.Step{}, 1_000_000_000, 2*time.Minute)
	for range 40 {
		z.observe(z.size(), z.size(), int64(z.size())*8, time.Microsecond)
	}
	limit := min(autoBatchMemory/(3*2)/(8+40*3+32), autoMaxRows) // 8-byte rows, 3 columns, 2 workers
	if got := z.size(); got != limit {
		t.Errorf("after 40 fast batches: %d rows, want the bound %d", got, limit)
	}
	for range 40 {
		z.observe(z.size(), z.size(), int64(z.size())*8, time.Minute)
	}
	if got := z.size(); got != autoMinRows {
		t.Errorf("after 40 slow batches: %d rows, want the bound %d", got, autoMinRows)
	}
}
