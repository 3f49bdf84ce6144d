package cdc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Retry is one attempt to replace a lost replication connection, told to
// PGCapture.OnRetry before its backoff.
type Retry struct {
	Stream  string
	Attempt int           // 1 for the first attempt after a loss
	Cause   string        // why the connection (or the last attempt) failed
	Down    time.Duration // since the connection was lost
	Wait    time.Duration // the backoff before this attempt
}

// Resumed says a lost connection was replaced and streams again, from
// Position (the journal's spooled position, checked against the source).
type Resumed struct {
	Stream   string
	Attempts int
	Down     time.Duration
	Position string
}

// ConnectionLostError is a capture that could not replace its connection
// within its retry budget. Nothing past the journal's position was
// acknowledged; a later Run resumes from it.
type ConnectionLostError struct {
	Stream   string
	Down     time.Duration
	Attempts int
	Last     error
}

// Error names the stream, how long it was down and the last failure.
func (e *ConnectionLostError) Error() string {
	return fmt.Sprintf("cdc stream %s: connection lost for %s, %d attempts to reconnect failed; last: %v", e.Stream, e.Down.Round(time.Second), e.Attempts, e.Last)
}

// Unwrap is the last failure.
func (e *ConnectionLostError) Unwrap() error { return e.Last }

// permanentError is a failure another connection would not cure: a journal
// that cannot take the changes, a stream that cannot be decoded.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

func permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// retryable says whether a session's failure is the connection's — the
// network, the server restarting or shutting down, the old connection
// still holding the slot — and so worth another connection. A position
// that does not check out, a schema change or a journal failure never is.
func retryable(err error) bool {
	var perm permanentError
	var lost *PositionLostError
	var schema *SchemaChangedError
	if errors.As(err, &perm) || errors.As(err, &lost) || errors.As(err, &schema) {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case pg.Code == "55006": // object_in_use: the slot is still active for the old connection's walsender
			return true
		case len(pg.Code) == 5 && (pg.Code[:2] == "08" || pg.Code[:2] == "57" || pg.Code[:2] == "53"):
			return true // connection exception, operator intervention (shutdown, terminated), insufficient resources
		}
		return false // the server refused for a reason another connection would meet too
	}
	return true // the network: resets, refusals, timeouts, EOF
}

// retrying runs sessions until one fails for good or ctx ends, replacing a
// lost connection with backoff for at most RetryFor from the loss.
func (c *PGCapture) retrying(ctx context.Context, session func(ctx context.Context, streaming func()) error) error {
	minWait, maxWait, budget := c.RetryMin, c.RetryMax, c.RetryFor
	if minWait <= 0 {
		minWait = 250 * time.Millisecond
	}
	if maxWait <= 0 {
		maxWait = 10 * time.Second
	}
	if budget <= 0 {
		budget = 5 * time.Minute
	}
	var lostAt time.Time // zero while streaming
	attempts := 0
	for {
		err := session(ctx, func() {
			if !lostAt.IsZero() && c.OnResumed != nil {
				sp, _, _ := ReadSpooled(ctx, c.Journal.Path(), c.Stream)
				c.OnResumed(Resumed{Stream: c.Stream, Attempts: attempts, Down: time.Since(lostAt), Position: sp.Resume()})
			}
			lostAt, attempts = time.Time{}, 0
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil || !retryable(err) {
			return err
		}
		if lostAt.IsZero() { // the first connection failing counts as a loss too
			lostAt = time.Now()
		}
		attempts++
		down := time.Since(lostAt)
		if down >= budget {
			return &ConnectionLostError{Stream: c.Stream, Down: down, Attempts: attempts - 1, Last: err}
		}
		wait := minWait << min(attempts-1, 16)
		wait = min(wait, maxWait, budget-down)
		if c.OnRetry != nil {
			c.OnRetry(Retry{Stream: c.Stream, Attempt: attempts, Cause: err.Error(), Down: down, Wait: wait})
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}
