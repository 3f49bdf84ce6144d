package copy

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// DefaultBatch is the batch size when the runbook gives none.
const DefaultBatch = 1000

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

// Run copies the tables of a copy step, at most step.Parallel at once.
// copyID identifies the checkpoints of this copy in the target.
func Run(ctx context.Context, src, dst db.DB, tables []string, step runbooks.Step, copyID string, sink Sink) ([]Counters, error) {
	parallel := max(step.Parallel, 1)
	out := make([]Counters, len(tables))
	errs := make([]error, len(tables))
	sem := make(chan struct{}, parallel)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i, name := range tables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			out[i], errs[i] = Table(ctx, src, dst, name, step, copyID, sink)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && err != context.Canceled {
			return out, err
		}
	}
	return out, ctx.Err()
}

// Table copies one table, resuming from its checkpoint when there is one.
func Table(ctx context.Context, src, dst db.DB, name string, step runbooks.Step, copyID string, sink Sink) (Counters, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
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
	p, err := MakePlan(ctx, src, dst, name, step, create)
	if err != nil {
		return Counters{Table: name}, err
	}
	total, err := src.Count(ctx, name)
	if err != nil {
		return Counters{Table: name}, fmt.Errorf("counting %s: %w", name, err)
	}
	c := Counters{Table: name, Total: total, TotalExact: true}
	var after []any
	var mark db.Marker
	var found bool
	err = retry(ctx, sink, name, "reading the checkpoint", func() (err error) {
		mark, found, err = dst.Progress(ctx, copyID, name)
		return err
	})
	if err != nil {
		return c, fmt.Errorf("reading the checkpoint of %s: %w", name, err)
	}
	if found {
		after, c.Read, c.Written, c.Rejected, c.Resumed = mark.LastKey, mark.Read, mark.Written, mark.Rejected, true
	}
	batch := step.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	start := time.Now()
	batches, readErr := readAhead(ctx, src, sink, p, after, batch)
	cv := newConverter(p)
	for rows := range batches {
		good, rejected := cv.convertBatch(rows)
		if len(rejected) > 0 {
			if err := sink.Rejects(ctx, name, rejected); err != nil {
				return c, fmt.Errorf("recording rejects of %s: %w", name, err)
			}
		}
		last := rows[len(rows)-1][:p.KeyCount]
		next := c
		next.Read += int64(len(rows))
		next.Written += int64(len(good))
		next.Rejected += int64(len(rejected))
		next.Bytes += cv.bytes
		cv.bytes = 0
		m := db.Marker{CopyID: copyID, Table: name, LastKey: last, Read: next.Read, Written: next.Written, Rejected: next.Rejected}
		if err := load(ctx, dst, sink, p, good, m); err != nil {
			return c, fmt.Errorf("writing a batch of %s after key %v: %w", name, keyText(after), err)
		}
		c, after = next, last
		for _, cs := range cv.takeCasts() {
			sink.Cast(name, cs.column, cs.from, cs.to, cs.n)
		}
		c.Elapsed = time.Since(start)
		if err := sink.Progress(ctx, c); err != nil {
			return c, err
		}
	}
	if err := <-readErr; err != nil {
		return c, fmt.Errorf("reading %s: %w", name, err)
	}
	if c.Read != c.Written+c.Rejected {
		return c, fmt.Errorf("table %s: read %d rows but wrote %d and rejected %d", name, c.Read, c.Written, c.Rejected)
	}
	c.Done, c.Elapsed = true, time.Since(start)
	return c, sink.Progress(ctx, c)
}

// readAhead reads batches on its own goroutine so reading and writing
// overlap; at most two batches wait in memory.
func readAhead(ctx context.Context, src db.DB, sink Sink, p *Plan, after []any, batch int) (<-chan [][]any, <-chan error) {
	out := make(chan [][]any, 2)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		for {
			var rows [][]any
			err := retry(ctx, sink, p.Name, "reading a batch", func() (err error) {
				rows, err = src.ReadBatch(ctx, p.Source, p.Cols, after, batch)
				return err
			})
			if err != nil {
				errc <- err
				return
			}
			if len(rows) == 0 {
				errc <- nil
				return
			}
			select {
			case out <- rows:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
			if len(rows) < batch {
				errc <- nil
				return
			}
			after = rows[len(rows)-1][:p.KeyCount]
		}
	}()
	return out, errc
}

func keyText(k []any) string {
	if k == nil {
		return "(start)"
	}
	return fmt.Sprint(k...)
}
