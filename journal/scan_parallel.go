package journal

import (
	"context"
	"database/sql"
	"runtime"
	"sync"
)

// A long journal read from its file is read by scanReaders goroutines at
// once, each on its own read-only connection: reading SQLite rows is most
// of the cost of a scan (a 1M-event fold), and one reader cannot be sped
// up past one core. The events are cut into chunks of scanChunk seqs,
// dealt round-robin to the readers; each reads and parses (and decodes)
// its chunks, and the caller's goroutine takes them back in seq order.
// Every chunk lies below the last seq found when the scan began, and the
// journal is append-only, so each connection sees those rows as the
// others do. Memory stays bounded: a reader holds at most the chunk it
// builds and one waiting to be taken.
const (
	scanChunk   = 8 * scanBatch
	scanReaders = 2
)

// chunk is one reader's events of one chunk, in seq order, and the error
// that ended them (a row that does not parse, a failed read).
type chunk struct {
	batches [][]decoded
	err     error
}

// scanParallel is scanEvents over the whole journal of db (a pool of
// read-only connections) with readers goroutines reading chunks; it falls
// back to scanEvents for a journal too short to share.
func scanParallel(ctx context.Context, db *sql.DB, mode scanMode, readers int, fn func(decoded) error) error {
	var last sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(seq) FROM events`).Scan(&last); err != nil {
		return err
	}
	readers = min(readers, runtime.GOMAXPROCS(0))
	if readers < 2 || last.Int64 < int64(2*scanChunk) {
		return scanEvents(ctx, db, 0, last.Int64, mode, fn)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := (last.Int64 + scanChunk - 1) / scanChunk
	outs := make([]chan chunk, readers)
	var wg sync.WaitGroup
	for w := range readers {
		outs[w] = make(chan chunk, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(outs[w])
			for c := int64(w); c < chunks; c += int64(readers) {
				ch := readChunk(ctx, db, mode, c*scanChunk, min((c+1)*scanChunk, last.Int64))
				select {
				case outs[w] <- ch:
				case <-ctx.Done():
					return
				}
				if ch.err != nil {
					return
				}
			}
		}()
	}
	err := func() error {
		for c := range chunks {
			ch, ok := <-outs[c%int64(readers)]
			if !ok { // the reader stopped: the scan was cancelled
				return ctx.Err()
			}
			for _, b := range ch.batches {
				for _, d := range b {
					if err := fn(d); err != nil {
						return err
					}
				}
			}
			if ch.err != nil {
				return ch.err
			}
		}
		return nil
	}()
	cancel()
	for _, out := range outs { // let a reader blocked on a send see ctx and end
		for range out {
		}
	}
	wg.Wait()
	return err
}

// readChunk reads, parses and (unless mode says not) decodes the events
// with after < seq <= upTo.
func readChunk(ctx context.Context, db *sql.DB, mode scanMode, after, upTo int64) chunk {
	raws := make(chan []rawEvent, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(raws)
		readErr <- readPacked(ctx, db, scanQuery(mode), []any{after, upTo}, raws)
	}()
	var ch chunk
	for rs := range raws {
		if ch.err != nil {
			continue // drain, so the reader ends
		}
		batch := make([]decoded, 0, len(rs))
		for _, r := range rs {
			ev, err := r.event()
			if err != nil {
				ch.err = err
				break
			}
			d := decoded{ev: ev}
			if mode != scanEventsOnly {
				d.payload, d.err = Decode(ev)
			}
			batch = append(batch, d)
		}
		ch.batches = append(ch.batches, batch)
	}
	if err := <-readErr; ch.err == nil && err != nil && err != errStopScan {
		ch.err = err
	} else if ch.err == nil && err == errStopScan {
		ch.err = ctx.Err()
	}
	return ch
}
