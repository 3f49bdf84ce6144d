package journal

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"time"
)

// DefaultFollowEvery is Follow's poll interval when given none.
const DefaultFollowEvery = 200 * time.Millisecond

// openRead opens a journal read-only (mode=ro: it is never created or
// written) and checks that it is one.
func openRead(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	db, err := sql.Open("sqlite", fileDSN(path, "ro"))
	if err != nil {
		return nil, fmt.Errorf("journal %s: open: %w", path, err)
	}
	if err := checkIdentity(db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return db, nil
}

// checkIdentity reads the application id and schema version from the file
// header.
func checkIdentity(db *sql.DB) error {
	var app, version int64
	if err := db.QueryRow(`PRAGMA application_id`).Scan(&app); err != nil {
		return err
	}
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	if app != applicationID {
		return ErrNotJournal
	}
	if version != schemaVersion {
		return fmt.Errorf("schema version %d (this build reads %d): %w", version, schemaVersion, ErrNotJournal)
	}
	return nil
}

// ReadAll returns every event of a journal in seq order, opening it
// read-only; safe while a writer appends. It does not verify the chain
// (Verify does). It holds the whole journal in memory: readers that only
// walk it once use Scan, ScanDecoded or FoldFile, which keep memory flat.
func ReadAll(path string) ([]Event, error) {
	var evs []Event
	err := Scan(context.Background(), path, func(e Event) error {
		evs = append(evs, e)
		return nil
	})
	return evs, err
}

// Scan calls fn with every event of the journal at path in seq order,
// opening it read-only (safe while a writer appends), without holding
// them: memory stays flat however long the journal is. The rows are read
// by a second goroutine while fn runs. Scan stops at fn's first error and
// returns it. It does not verify the chain (Verify does).
func Scan(ctx context.Context, path string, fn func(Event) error) error {
	return scanPath(ctx, path, scanEventsOnly, func(d decoded) error { return fn(d.ev) })
}

// ScanDecoded is Scan with each payload decoded as Decode does (payload,
// err), the decoding done off the caller's goroutine: for readers that
// fold (State.ApplyDecoded) and look at payloads themselves.
func ScanDecoded(ctx context.Context, path string, fn func(e Event, payload any, err error) error) error {
	return scanPath(ctx, path, scanDecode, func(d decoded) error { return fn(d.ev, d.payload, d.err) })
}

// ScanDecodedAfter is ScanDecoded over the events after seq after only:
// a reader that has already seen the start (an applier resuming at its
// position) does not read it again.
func ScanDecodedAfter(ctx context.Context, path string, after int64, fn func(e Event, payload any, err error) error) error {
	db, err := openRead(path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := scanEvents(ctx, db, after, math.MaxInt64, scanDecode, func(d decoded) error { return fn(d.ev, d.payload, d.err) }); err != nil {
		return fmt.Errorf("journal %s: %w", path, err)
	}
	return nil
}

// FoldFile folds every event of the journal at path into its State,
// streaming them (as ScanDecoded does, without the hashes the fold does
// not use): the run's final state without the journal in memory.
func FoldFile(ctx context.Context, path string) (State, error) {
	var s State
	err := scanPath(ctx, path, scanFold, func(d decoded) error {
		s.ApplyDecoded(d.ev, d.payload, d.err)
		return nil
	})
	return s, err
}

func scanPath(ctx context.Context, path string, mode scanMode, fn func(decoded) error) error {
	db, err := openRead(path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := scanParallel(ctx, db, mode, scanReaders, fn); err != nil {
		return fmt.Errorf("journal %s: %w", path, err)
	}
	return nil
}

// eventsBetween reads the events with after < seq <= upTo, in seq order.
func eventsBetween(ctx context.Context, db *sql.DB, after, upTo int64) ([]Event, error) {
	var evs []Event
	err := scanEvents(ctx, db, after, upTo, scanEventsOnly, func(d decoded) error {
		evs = append(evs, d.ev)
		return nil
	})
	return evs, err
}

// Follow streams the events with seq > after as a writer appends them,
// polling a read-only connection every interval (DefaultFollowEvery when
// every <= 0): a second terminal watching a live run. It waits for a file
// that does not exist yet or cannot be read for the moment, and retries.
// The channel closes when ctx ends. Events arrive in seq order, each once.
func Follow(ctx context.Context, path string, after int64, every time.Duration) <-chan Event {
	if every <= 0 {
		every = DefaultFollowEvery
	}
	out := make(chan Event)
	go func() {
		defer close(out)
		var db *sql.DB
		defer func() {
			if db != nil {
				_ = db.Close()
			}
		}()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if db == nil {
				db, _ = openRead(path)
			}
			if db != nil {
				evs, err := eventsBetween(ctx, db, after, math.MaxInt64)
				if err != nil {
					_ = db.Close()
					db = nil // reopen at the next tick
				}
				for _, ev := range evs {
					select {
					case out <- ev:
						after = ev.Seq
					case <-ctx.Done():
						return
					}
				}
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
