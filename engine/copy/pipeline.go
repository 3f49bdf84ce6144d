package copy

import (
	"context"
	"time"

	"github.com/tightrope/tightrope/engine/db"
)

// batch is one page of source rows on its way through a unit's pipeline:
// read, then converted, then written.
type batch struct {
	// rows are the source rows as read; after conversion, the good rows,
	// converted in place (in the same backing array).
	rows  [][]any
	asked int // rows the read asked for
	// last is the key of the last row read, copied out before the rows are
	// converted: it is the next page's lower bound and the checkpoint's
	// key, both in the source's own values.
	last []any
	// Filled by the converter:
	read     int        // rows read
	rejected []Rejected // rows that did not fit, with their source values
	bytes    int64      // source bytes read
	casts    []castCount
	// How long reading and converting the batch took.
	readTook, convertTook time.Duration
}

// readAhead reads batches of the sizes z gives on its own goroutine so
// reading overlaps converting and writing. The channels are unbuffered, so
// a unit holds at most three batches, one per stage, which bounds memory.
func readAhead(ctx context.Context, src db.DB, sink Sink, p *Plan, after []any, z *sizer) (<-chan batch, <-chan error) {
	out := make(chan batch)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		for {
			var rows [][]any
			size, start := z.size(), time.Now()
			err := retry(ctx, sink, p.Name, "reading a batch", func(ctx context.Context) (err error) {
				rows, err = src.ReadBatch(ctx, p.Source, p.Cols, after, size)
				return err
			})
			took := time.Since(start)
			if err != nil {
				errc <- err
				return
			}
			if len(rows) == 0 {
				errc <- nil
				return
			}
			after = append([]any(nil), rows[len(rows)-1][:p.KeyCount]...)
			select {
			case out <- batch{rows: rows, asked: size, last: after, readTook: took}:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
			if len(rows) < size {
				errc <- nil
				return
			}
		}
	}()
	return out, errc
}

// convertAhead converts the batches of in on its own goroutine, in order,
// so converting overlaps writing. It stops when in is closed or ctx is
// done.
func convertAhead(ctx context.Context, p *Plan, in <-chan batch) <-chan batch {
	out := make(chan batch)
	go func() {
		defer close(out)
		cv := newConverter(p)
		for b := range in {
			start := time.Now()
			b.read = len(b.rows)
			b.rows, b.rejected = cv.convertBatch(b.rows)
			b.bytes, cv.bytes = cv.bytes, 0
			b.casts = cv.takeCasts()
			b.convertTook = time.Since(start)
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
