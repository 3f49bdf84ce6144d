package copy

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// Counters are one table's numbers after a committed batch. The invariant
// Read == Written + Rejected holds at every commit.
type Counters struct {
	Table      string
	Read       int64
	Written    int64
	Rejected   int64
	Bytes      int64
	Total      int64 // rows in the source when the table started
	TotalExact bool
	Elapsed    time.Duration
	Done       bool
	Resumed    bool // the copy continued from a checkpoint
}

// Rejected is a source row that did not fit the target, with the reason.
type Rejected struct {
	Key    map[string]any // key column → value (JSON-able)
	Row    map[string]any // the whole source row (JSON-able, exact)
	Column string
	Reason string // a convert.Reason code
	Detail string // a human sentence
}

// Sink receives what a copy produces. It must be safe for concurrent use
// when tables are copied in parallel.
type Sink interface {
	// Rejects stores rejected rows durably. It is called before the batch
	// they belong to is committed, and must be idempotent per key, since a
	// batch is re-read after a crash between the two.
	Rejects(ctx context.Context, table string, rows []Rejected) error
	// Cast reports that a runbook cast rule replaced n values.
	Cast(table, column, from, to string, n int64)
	// Progress is called after every committed batch. It may block (the run
	// holds while a trigger waits for a decision); an error stops the copy.
	Progress(ctx context.Context, c Counters) error
	// Created reports a target table created from the source's shape, with
	// the type mapping of every column.
	Created(table string, maps []db.Mapping)
	// Retry reports a lost connection about to be retried after wait.
	Retry(table string, attempt int, wait time.Duration, err error)
}

// Run copies the tables of a copy step with step.Parallel workers (the
// engine chooses when it is 0; see autotune.go), in batches of step.Batch
// rows (sized and resized by the engine when 0). A large table with a
// single integer key is split into key ranges so the workers share it;
// every range keeps its own checkpoint. copyID identifies the checkpoints
// of this copy in the target. The counters returned are per table, in the
// order of tables.
func Run(ctx context.Context, src, dst db.DB, tables []string, step runbooks.Step, copyID string, sink Sink) ([]Counters, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parallel, autoParallel := workersFor(step, dst)
	runs := make([]*tableRun, len(tables))
	var units []unit
	for i, name := range tables {
		tr, us, err := prepare(ctx, src, dst, name, step, copyID, parallel, sink)
		if err != nil {
			return nil, err
		}
		runs[i] = tr
		units = append(units, us...)
	}
	if h, ok := sink.(Holder); ok {
		h.Committed(tallyOf(runs))
	}
	workers := min(parallel, len(units))
	for _, tr := range runs {
		tr.sizer.started(Tune{Table: tr.name, Parallel: min(workers, len(tr.units)), Workers: workers, AutoParallel: autoParallel})
	}
	work := make(chan unit)
	errs := make(chan error, len(units))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				if err := copyUnit(ctx, src, dst, u, copyID, sink); err != nil {
					errs <- err
					cancel()
				}
			}
		}()
	}
feed:
	for _, u := range units {
		select {
		case work <- u:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != context.Canceled {
			return counters(runs), err
		}
	}
	if err := ctx.Err(); err != nil {
		return counters(runs), err
	}
	for _, tr := range runs {
		if err := tr.finish(ctx, sink); err != nil {
			return counters(runs), err
		}
	}
	return counters(runs), nil
}

// Table copies one table, resuming from its checkpoints when there are any.
func Table(ctx context.Context, src, dst db.DB, name string, step runbooks.Step, copyID string, sink Sink) (Counters, error) {
	out, err := Run(ctx, src, dst, []string{name}, step, copyID, sink)
	if len(out) == 0 {
		return Counters{Table: name}, err
	}
	return out[0], err
}

// prepare plans a table (creating it in the target when the step says so),
// counts its rows and cuts it into units with their checkpoints.
func prepare(ctx context.Context, src, dst db.DB, name string, step runbooks.Step, copyID string, parallel int, sink Sink) (*tableRun, []unit, error) {
	var create func(db.Table) error
	if step.Create {
		create = func(t db.Table) error {
			maps, err := db.CreateTable(ctx, dst, t)
			if err == nil {
				sink.Created(name, maps)
			}
			return err
		}
	}
	// Every read of a table's start is retried like a batch: a connection
	// dropped while the catalogs are read (or just before, noticed only
	// now) is no reason to fail the copy.
	var p *Plan
	err := retry(ctx, sink, name, "reading the catalogs", func(ctx context.Context) (err error) {
		p, err = MakePlan(ctx, src, dst, name, step, create)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	var total int64
	err = retryLong(ctx, sink, name, "counting the source rows", func(ctx context.Context) (err error) {
		total, err = src.Count(ctx, name)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("counting %s: %w", name, err)
	}
	z := newSizer(p, step, total, parallel, tuningOf(sink), sink)
	ranges, err := split(ctx, src, dst, p, copyID, total, z.size(), parallel, sink)
	if err != nil {
		return nil, nil, err
	}
	z.setRanges(total, len(ranges))
	if r, ok := sink.(TuneRecaller); ok {
		if t, ok := r.LastTune(name); ok {
			z.recall(t)
		}
	}
	tr := &tableRun{name: name, total: total, start: time.Now(), units: make([]Counters, len(ranges)), sizer: z}
	tr.committed.units = make([]Counters, len(ranges))
	resumed := false
	units := make([]unit, len(ranges))
	for i, r := range ranges {
		up := *p
		up.Source.Upper = r.upper
		units[i] = unit{run: tr, index: i, plan: &up, marker: r.marker, after: r.after}
		var mark db.Marker
		var found bool
		err := retry(ctx, sink, name, "reading the checkpoint", func(ctx context.Context) (err error) {
			mark, found, err = dst.Progress(ctx, copyID, r.marker)
			return err
		})
		if err != nil {
			return nil, nil, fmt.Errorf("reading the checkpoint of %s: %w", r.marker, err)
		}
		if found {
			units[i].after = mark.LastKey
			tr.units[i] = Counters{Read: mark.Read, Written: mark.Written, Rejected: mark.Rejected, Resumed: true}
			tr.committed.units[i] = tr.units[i]
			resumed = true
		}
	}
	if !resumed {
		// A fresh copy into a table that already holds rows would fail on
		// the first duplicate key, or worse, mix two copies: say so first.
		var n int64
		err := retryLong(ctx, sink, name, "counting the target rows", func(ctx context.Context) (err error) {
			n, err = dst.Count(ctx, name)
			return err
		})
		if err != nil {
			return nil, nil, fmt.Errorf("counting %s in the target: %w", name, err)
		}
		if n > 0 {
			return nil, nil, fmt.Errorf("table %s in the target already holds %d rows and this copy has no checkpoint for it: empty it first (or resume the run that filled it)", name, n)
		}
	}
	return tr, units, nil
}

// unit is one key range of one table, copied by one worker.
type unit struct {
	run    *tableRun
	index  int
	plan   *Plan // Source.Upper bounds the range
	marker string
	after  []any // exclusive lower bound (nil: from the start)
}

// copyUnit copies one key range batch by batch, each batch committed with
// the range's checkpoint. Reading, converting and writing run on their own
// goroutines (see pipeline.go), so a batch is converted while the previous
// one is being written. The table's sizer learns the time of every batch
// and sizes the next ones.
func copyUnit(ctx context.Context, src, dst db.DB, u unit, copyID string, sink Sink) error {
	p, name := u.plan, u.plan.Name
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	read, readErr := readAhead(ctx, src, sink, p, u.after, u.run.sizer)
	converted := convertAhead(ctx, p, read)
	c := u.run.unitCounters(u.index)
	after := u.after
	for b := range converted {
		var err error
		var took time.Duration
		if c, took, err = commitBatch(ctx, dst, sink, u, copyID, c, b); err != nil {
			return fmt.Errorf("writing a batch of %s after key %v: %w", name, keyText(after), err)
		}
		u.run.sizer.observe(b.asked, b.read, b.bytes, max(took, b.readTook, b.convertTook))
		after = b.last
		for _, cs := range b.casts {
			sink.Cast(name, cs.column, cs.from, cs.to, cs.n)
		}
		if err := u.run.report(ctx, sink, u.index, c); err != nil {
			return err
		}
	}
	if err := <-readErr; err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return ctx.Err()
}

// commitBatch records a batch's rejects and writes its rows with the
// unit's checkpoint, in one section a Holder can wait for, and returns the
// unit's counters as committed and how long the write took (the wait for
// the Holder and the rejects are not the batch's time).
func commitBatch(ctx context.Context, dst db.DB, sink Sink, u unit, copyID string, c Counters, b batch) (Counters, time.Duration, error) {
	release := hold(sink)
	defer release()
	if len(b.rejected) > 0 {
		if err := sink.Rejects(ctx, u.plan.Name, b.rejected); err != nil {
			return c, 0, fmt.Errorf("recording its rejects: %w", err)
		}
	}
	c.Read += int64(b.read)
	c.Written += int64(len(b.rows))
	c.Rejected += int64(len(b.rejected))
	c.Bytes += b.bytes
	m := db.Marker{CopyID: copyID, Table: u.marker, LastKey: b.last, Read: c.Read, Written: c.Written, Rejected: c.Rejected}
	start := time.Now()
	refused, err := write(ctx, dst, sink, u.plan, b.rows, m)
	took := time.Since(start)
	if err != nil {
		return c, took, err
	}
	c.Written -= int64(refused)
	c.Rejected += int64(refused)
	u.run.committed.set(u.index, c)
	return c, took, nil
}

func keyText(k []any) string {
	if k == nil {
		return "(start)"
	}
	return fmt.Sprint(k...)
}
