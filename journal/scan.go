package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// scanBatch is how many rows travel together between the stages of a
// scan: large enough to make the hand-over cheap, small enough that a scan
// holds a few hundred events at most.
const scanBatch = 256

// scanDepth is how many batches may wait between two stages.
const scanDepth = 4

// scanMode is what a scan hands its callback.
type scanMode uint8

const (
	scanEventsOnly scanMode = iota // the events, payloads undecoded
	scanDecode                     // each payload decoded too (Decode)
	// scanFold decodes, and reads the hashes of run_started events only:
	// the fold (State) uses no other event's hash, and the two hex columns
	// are a quarter of the cost of reading a row.
	scanFold
)

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
func scanEvents(ctx context.Context, db *sql.DB, after, upTo int64, mode scanMode, fn func(decoded) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	raws := make(chan []rawEvent, scanDepth)
	evs := make(chan []decoded, scanDepth)
	readErr := make(chan error, 1)
	go func() {
		defer close(raws)
		readErr <- readPacked(ctx, db, scanQuery(mode), []any{after, upTo}, raws)
	}()
	parseErr := make(chan error, 1)
	go func() {
		defer close(evs)
		parseErr <- parseRaw(ctx, raws, mode != scanEventsOnly, evs)
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

// readRows runs query and sends its rows in batches: each row is scanned
// into dest, once for all rows (no allocation a row for the pointers),
// and taken by row.
func readRows(ctx context.Context, db *sql.DB, query string, args []any, out chan<- []rawEvent, dest []any, row func() (rawEvent, error)) error {
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
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		r, err := row()
		if err != nil {
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

// orEmpty scans a text column that may be NULL (a hash the fold does not
// read) into a string, "" for NULL.
type orEmpty string

// Scan implements sql.Scanner.
func (o *orEmpty) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*o = ""
	case string:
		*o = orEmpty(v)
	case []byte:
		*o = orEmpty(v)
	default:
		return fmt.Errorf("a hash of type %T", src)
	}
	return nil
}

// scanQuery selects the events with ? < seq <= ? for a scan of mode.
func scanQuery(mode scanMode) string {
	hashes := "prev_hash, hash"
	if mode == scanFold {
		hashes = "NULL, CASE type WHEN 'run_started' THEN hash END"
	}
	return `SELECT ` + packedMeta + `, ` + hashes + `
		FROM events WHERE seq > ? AND seq <= ? ORDER BY seq`
}

// packedMeta selects an event's seq, at, actor, step_id, type and payload
// as one text column, "seq,len(at),len(actor),len(step_id),len(type):"
// followed by the five texts back to back (lengths in bytes): a row of
// one column instead of six costs a scan far less in the SQLite driver
// (each column is its own locked call, allocation and conversion), and
// the lengths make the split exact whatever bytes the texts hold.
const packedMeta = `seq || ',' || octet_length(at) || ',' || octet_length(actor) || ',' ||
	octet_length(step_id) || ',' || octet_length(type) || ':' || at || actor || step_id || type || payload_json`

// readPacked runs query, whose columns are packedMeta and the two hashes
// (either may be NULL), and sends its rows as rawEvents in batches.
func readPacked(ctx context.Context, db *sql.DB, query string, args []any, out chan<- []rawEvent) error {
	var r rawEvent
	var meta string
	dest := []any{&meta, (*orEmpty)(&r.prev), (*orEmpty)(&r.hash)}
	return readRows(ctx, db, query, args, out, dest, func() (rawEvent, error) {
		err := r.unpack(meta)
		return r, err
	})
}

// unpack splits a packedMeta column into r's seq, at, actor, stepID, typ
// and payload (a copy: the texts share the column's string, the payload
// is bytes).
func (r *rawEvent) unpack(meta string) error {
	var n [5]int64
	i := 0
	for k := range n {
		start := i
		for i < len(meta) && meta[i] >= '0' && meta[i] <= '9' && i-start < 19 {
			n[k] = n[k]*10 + int64(meta[i]-'0')
			i++
		}
		want := byte(',')
		if k == len(n)-1 {
			want = ':'
		}
		if i == start || i >= len(meta) || meta[i] != want {
			return fmt.Errorf("an event row that does not unpack: %.80q", meta)
		}
		i++
	}
	rest := meta[i:]
	if n[1]+n[2]+n[3]+n[4] > int64(len(rest)) {
		return fmt.Errorf("an event row that does not unpack: %.80q", meta)
	}
	a, b, c, d := int(n[1]), int(n[1]+n[2]), int(n[1]+n[2]+n[3]), int(n[1]+n[2]+n[3]+n[4])
	r.seq, r.at, r.actor, r.stepID, r.typ, r.payload = n[0], rest[:a], rest[a:b], rest[b:c], rest[c:d], []byte(rest[d:])
	return nil
}
