package db

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgBeginBatch begins a batch's transaction. When ctx has a deadline (a
// copy attempt's batch timeout), the server is told to end the transaction
// itself once it sits idle that long: after a network stall the client has
// given up on it, and the server session it leaves behind would otherwise
// keep its row locks until TCP notices, hours later, blocking every retry
// of the same keys (a split copy's other worker, or this one).
func pgBeginBatch(ctx context.Context, pool *pgxpool.Pool) (pgx.Tx, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		return pool.Begin(ctx)
	}
	ms := min(max(time.Until(dl).Milliseconds(), 1), math.MaxInt32) // the setting is an int of ms
	// One round trip: BEGIN runs through the simple protocol.
	return pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: fmt.Sprintf("BEGIN; SET LOCAL idle_in_transaction_session_timeout = %d", ms)})
}
