package copy

import (
	"runtime"
	"sync"
	"time"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// When a copy step names no `batch`, the engine sizes each table's batches
// itself: by bytes (the first batch holds about autoStartBytes of source
// data, from a row width estimated from the schema and then measured) and
// by time (a batch whose slowest stage — read, convert or write — took
// under half the target time, Tuning.BatchTarget, grows, up to twice its
// size; one that took over twice the target shrinks), always within the memory bound (all the
// batches in flight hold at most autoBatchMemory) and at most a quarter of
// a key range, so every range is still a pipeline of several batches.
// When it names no `parallel`, the copy runs on one worker per core (at
// least two, for the waits on the servers; at most autoMaxWorkers; one
// into SQLite, which writes one transaction at a time), and never more
// than there are key ranges to share. Every choice and every
// resize reaches the sink (TuneSink) and so the journal. A restarted copy
// goes on with the batch size and row width in force before (TuneRecaller,
// from the journal). The checkpoint of a batch is its last key and its
// counters, never its size, so a resize — or a resumed run that picks
// other sizes — changes nothing in it.
const (
	autoStartBytes  = 256 << 10
	autoBatchMemory = 32 << 20
	autoMinRows     = 100
	autoMaxRows     = 100_000
	autoMaxWorkers  = 8
	// autoMinChange is the smallest resize worth making (and journaling).
	autoMinChange = 0.2
)

// Reasons of a Tune.
const (
	TuneChosen  = "chosen"  // the values a table starts with
	TuneResumed = "resumed" // the values a table starts with, taken over from before a restart
	TuneGrew    = "grew"    // a batch was fast: the next ones are larger
	TuneShrank  = "shrank"  // a batch was slow: the next ones are smaller
	TuneMemory  = "memory"  // rows turned out wider than estimated: smaller, to stay in the memory bound
)

// Tune is a table's batch size and parallelism: as chosen when the table
// starts, and after every resize.
type Tune struct {
	Table        string
	Batch        int  // rows per batch from now on
	Parallel     int  // workers that copy this table at once (at most its key ranges)
	Workers      int  // workers of the whole copy step
	AutoBatch    bool // the engine sizes the batches (the runbook names no batch)
	AutoParallel bool // the engine chose the workers (the runbook names no parallel)
	Reason       string
	RowBytes     int64         // source bytes per row, as estimated or measured
	Took         time.Duration // a resize: the batch that prompted it, its slowest stage
	Rows         int           // a resize: that batch's rows
	Target       time.Duration // the time an engine-sized batch aims at
}

// TuneSink is implemented by a Sink that records the batch sizes and
// parallelism (the conductor's journals them).
type TuneSink interface {
	Tuned(t Tune)
}

// TuneRecaller is implemented by a Sink that remembers the last Tune of
// a table in this copy step from before a restart (the conductor's, from
// the journal's fold). A table the engine sizes goes on with that batch
// size and row width instead of starting afresh from the schema, so a
// resumed copy runs at the size in force when its process stopped.
type TuneRecaller interface {
	LastTune(table string) (Tune, bool)
}

// workersFor is the number of workers of a copy step into dst, and
// whether the engine chose it. SQLite takes one writer at a time: more
// workers would only wait for each other's locks.
func workersFor(step runbooks.Step, dst db.DB) (int, bool) {
	switch {
	case step.Parallel > 0:
		return step.Parallel, false
	case dst.Driver() == db.SQLite:
		return 1, true
	}
	return min(max(runtime.NumCPU(), 2), autoMaxWorkers), true
}

// sizer decides the size of a table's batches; its key ranges share it.
type sizer struct {
	mu       sync.Mutex
	auto     bool
	rows     int           // the size of the next batch
	width    float64       // source bytes per row
	measured bool          // width comes from rows read, not the schema
	perRow   time.Duration // time per row of the full batches so far, smoothed
	cols     int
	workers  int // batches in flight are 3 per worker
	capRows  int // a quarter of a key range
	target   time.Duration
	tune     Tune // the last one reported
	sink     Sink
	// recalled is the tune in force before a restart (TuneRecaller), whose
	// batch size the table goes on with; zero when it starts afresh.
	recalled Tune
}

// newSizer sizes the batches of a table of total rows, as one range until
// setRanges says otherwise. A runbook's batch is kept as it is. The time a
// batch aims at is tn.BatchTarget, and stays far below the bound of one
// batch attempt (the stall timeout, tn.BatchTimeout).
func newSizer(p *Plan, step runbooks.Step, total int64, workers int, tn Tuning, sink Sink) *sizer {
	z := &sizer{auto: step.Batch <= 0, rows: step.Batch, cols: len(p.Cols), workers: max(workers, 1), sink: sink}
	z.width = schemaWidth(p.Types)
	z.target = min(tn.BatchTarget, tn.BatchTimeout/16)
	z.setRanges(total, 1)
	return z
}

// recall goes on with the batch size and row width in force before a
// restart (after setRanges, which sizes afresh). A runbook's batch is
// kept as it is; so is a recalled size the engine did not choose.
func (z *sizer) recall(t Tune) {
	if !z.auto || !t.AutoBatch || t.Batch <= 0 {
		return
	}
	z.recalled = t
	z.rows = min(max(t.Batch, autoMinRows), autoMaxRows)
	if t.RowBytes > 0 {
		z.width, z.measured = float64(t.RowBytes), true
	}
}

// setRanges bounds a batch to a quarter of a key range of a table of
// total rows cut into ranges.
func (z *sizer) setRanges(total int64, ranges int) {
	z.capRows = max(int(total/int64(max(ranges, 1))/4), autoMinRows)
	if z.auto {
		z.rows = z.clamp(int(autoStartBytes / z.width))
	}
}

// size is the number of rows the next batch reads.
func (z *sizer) size() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.rows
}

// maxRows is the largest batch the memory bound and the range allow.
func (z *sizer) maxRows() int {
	// A value in memory is its bytes, an interface and the box behind it
	// or a string header; the row is a slice.
	inMemory := z.width + float64(40*z.cols+32)
	byMemory := int(float64(autoBatchMemory) / float64(3*z.workers) / inMemory)
	return max(min(byMemory, z.capRows, autoMaxRows), autoMinRows)
}

func (z *sizer) clamp(n int) int { return min(max(n, autoMinRows), z.maxRows()) }

// observe adapts the size to a batch that asked for `asked` rows, got
// `got`, holding `bytes` of source data, whose slowest stage took `took`.
// A short batch (the end of a range) only refines the row width.
func (z *sizer) observe(asked, got int, bytes int64, took time.Duration) {
	if !z.auto || got == 0 {
		return
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	w := float64(bytes) / float64(got)
	if z.measured {
		w = 0.7*z.width + 0.3*w
	}
	z.width, z.measured = max(w, 1), true
	next, reason := z.rows, ""
	if got < asked { // the end of a range: its time says little
		took = 0
	}
	// The size aimed at comes from the time per row smoothed over the
	// batches (one slow batch on a busy server does not halve the next
	// ones); whether to resize at all, from this batch's own time.
	if per := took / time.Duration(got); took > 0 && z.perRow > 0 {
		z.perRow = (z.perRow + per) / 2
	} else if took > 0 {
		z.perRow = per
	}
	want := int(float64(z.target) / float64(max(z.perRow, time.Nanosecond)))
	switch {
	case took == 0:
	case took > 2*z.target:
		next, reason = min(max(want, z.rows/4), z.rows), TuneShrank
	case took < z.target/2:
		next, reason = max(min(want, 2*asked), z.rows), TuneGrew
	}
	if limit := z.maxRows(); next > limit {
		next = limit
		if reason == "" {
			reason = TuneMemory
		}
	}
	next = max(next, autoMinRows)
	if reason == "" || abs(next-z.rows) < int(autoMinChange*float64(z.rows)) {
		return
	}
	z.rows = next
	t := z.tune
	t.Batch, t.Reason, t.RowBytes, t.Took, t.Rows, t.Target = next, reason, int64(z.width+0.5), took, got, z.target
	z.report(t)
}

// started reports the values a table starts with, copied by workers
// (the memory bound is shared by the batches of all of them).
func (z *sizer) started(t Tune) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.workers = max(t.Workers, 1)
	t.Reason = TuneChosen
	switch {
	case z.auto && z.recalled.Batch > 0 && z.recalled.Workers == z.workers:
		// The size in force before the restart, exactly: it was within the
		// bounds of the same number of workers.
		t.Reason = TuneResumed
	case z.auto && z.recalled.Batch > 0:
		t.Reason, z.rows = TuneResumed, z.clamp(z.rows)
	case z.auto:
		z.rows = z.clamp(z.rows)
	}
	t.Batch, t.AutoBatch, t.RowBytes = z.rows, z.auto, int64(z.width+0.5)
	if z.auto {
		t.Target = z.target
	}
	z.report(t)
}

// report hands a tune to the sink; the caller holds mu, so a table's
// tunes arrive in the order they were made.
func (z *sizer) report(t Tune) {
	z.tune = t
	if ts, ok := z.sink.(TuneSink); ok {
		ts.Tuned(t)
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// schemaWidth estimates the source bytes of a row (as the converter counts
// them, valueSize) from the column types, before any row was read.
func schemaWidth(types []convert.Type) float64 {
	w := 0
	for _, t := range types {
		switch t.Kind {
		case convert.Integer, convert.Float, convert.Bool, convert.Date, convert.Timestamp, convert.TimestampTZ, convert.Time:
			w += 8
		case convert.Decimal:
			w += 12
		case convert.UUID:
			w += 36
		default:
			if t.Length > 0 {
				w += min(t.Length/2+1, 256)
			} else {
				w += 64
			}
		}
	}
	return float64(max(w, 8))
}
