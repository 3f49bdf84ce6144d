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
// (Verify does). Fold(events) is the run's State, live or replayed.
func ReadAll(path string) ([]Event, error) {
	db, err := openRead(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	evs, err := eventsBetween(context.Background(), db, 0, math.MaxInt64)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return evs, nil
}

// eventsBetween reads the events with after < seq <= upTo, in seq order.
func eventsBetween(ctx context.Context, db *sql.DB, after, upTo int64) ([]Event, error) {
	rows, err := db.QueryContext(ctx, `SELECT seq, at, actor, step_id, type, payload_json, prev_hash, hash
		FROM events WHERE seq > ? AND seq <= ? ORDER BY seq`, after, upTo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var evs []Event
	for rows.Next() {
		var r rawEvent
		if err := rows.Scan(&r.seq, &r.at, &r.actor, &r.stepID, &r.typ, &r.payload, &r.prev, &r.hash); err != nil {
			return nil, err
		}
		ev, err := r.event()
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	return evs, rows.Err()
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
