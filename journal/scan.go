package journal

import (
	"context"
	"database/sql"
	"errors"
)

// scanBatch is how many rows travel together between the stages of a
// scan: large enough to make the hand-over cheap, small enough that a scan
// holds a few hundred events at most.
const scanBatch = 256

// scanDepth is how many batches may wait between two stages.
const scanDepth = 4

// decoded is one event on its way to a scan's callback.
type decoded struct {
	ev      Event
	payload any // Decode's result, when the scan decodes
	err     error
}

// errStopScan stops the stages of a scan whose consumer has returned.
var errStopScan = errors.New("scan stopped")

// scanEvents streams the events with after < seq <= upTo in seq order to
// fn, in three stages that overlap on separate goroutines: the SQLite rows
// are read, then parsed (and decoded when decode is set), then handed to fn
// on the caller's goroutine. A row that does not parse (a bad timestamp)
// ends the scan with its error once the rows before it were handed to fn;
// fn's first error ends it too.
func scanEvents(ctx context.Context, db *sql.DB, after, upTo int64, decode bool, fn func(decoded) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	raws := make(chan []rawEvent, scanDepth)
	evs := make(chan []decoded, scanDepth)
	readErr := make(chan error, 1)
	go func() {
		defer close(raws)
		readErr <- readRaw(ctx, db, `SELECT seq, at, actor, step_id, type, payload_json, prev_hash, hash
			FROM events WHERE seq > ? AND seq <= ? ORDER BY seq`, []any{after, upTo}, raws)
	}()
	parseErr := make(chan error, 1)
	go func() {
		defer close(evs)
		parseErr <- parseRaw(ctx, raws, decode, evs)
	}()
	var err error
	for batch := range evs {
		if err != nil {
			continue // drain, so the stages end
		}
		for _, d := range batch {
			if err = fn(d); err != nil {
				cancel()
				break
			}
		}
	}
	if perr := <-parseErr; err == nil {
		err = perr
	}
	cancel() // a stage that stopped early leaves the reader waiting to send
	if rerr := <-readErr; err == nil {
		err = rerr
	}
	return err
}

// readRaw runs query and sends its rows, as rawEvents, in batches.
func readRaw(ctx context.Context, db *sql.DB, query string, args []any, out chan<- []rawEvent) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	batch := make([]rawEvent, 0, scanBatch)
	send := func() error {
		select {
		case out <- batch:
			batch = make([]rawEvent, 0, scanBatch)
			return nil
		case <-ctx.Done():
			return errStopScan
		}
	}
	for rows.Next() {
		var r rawEvent
		if err := rows.Scan(&r.seq, &r.at, &r.actor, &r.stepID, &r.typ, &r.payload, &r.prev, &r.hash); err != nil {
			return err
		}
		if batch = append(batch, r); len(batch) == scanBatch {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return errStopScan
		}
		return err
	}
	if len(batch) > 0 {
		return send()
	}
	return nil
}

// parseRaw turns batches of rows into events, decoding their payloads
// when decode is set.
func parseRaw(ctx context.Context, in <-chan []rawEvent, decode bool, out chan<- []decoded) error {
	for raws := range in {
		batch := make([]decoded, 0, len(raws))
		var bad error
		for _, r := range raws {
			ev, err := r.event()
			if err != nil {
				bad = err // the events before it are still delivered
				break
			}
			d := decoded{ev: ev}
			if decode {
				d.payload, d.err = Decode(ev)
			}
			batch = append(batch, d)
		}
		select {
		case out <- batch:
		case <-ctx.Done():
			return errStopScan
		}
		if bad != nil {
			return bad
		}
	}
	return nil
}
