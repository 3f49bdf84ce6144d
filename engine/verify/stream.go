package verify

import (
	"context"

	"github.com/tightrope/tightrope/engine/db"
)

// stream reads t in key order, batch rows a read, starting after the key
// after (nil: from the start) and up to t.Upper when it is set, and hands every batch to fn
// on the calling goroutine while a reader goroutine already fetches the
// next one (two batches at most are held ahead). fn must not modify the
// rows. An error from fn stops the reader and is returned.
func stream(ctx context.Context, d db.DB, t db.Table, cols []string, keyCount int, after []any, batch int, fn func(rows [][]any) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan [][]any, 2)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		for {
			rows, err := d.ReadBatch(ctx, t, cols, after, batch)
			if err != nil {
				readErr <- err
				return
			}
			if len(rows) > 0 {
				select {
				case batches <- rows:
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
			}
			if len(rows) < batch {
				readErr <- nil
				return
			}
			after = rows[len(rows)-1][:keyCount]
		}
	}()
	for rows := range batches {
		if err := fn(rows); err != nil {
			cancel()
			for range batches { // let the reader see the cancellation and end
			}
			<-readErr
			return err
		}
	}
	return <-readErr
}
