package db

import (
	"context"
	"fmt"
)

// batchTx is one open batch transaction of an engine, as LoadRefusing
// drives it.
type batchTx interface {
	// insert writes rows; a refused row fails the whole call.
	insert(ctx context.Context, rows [][]any) error
	// exec runs one statement without arguments (the savepoints).
	exec(ctx context.Context, sql string) error
	// mark upserts the checkpoint.
	mark(ctx context.Context, m Marker) error
	commit(ctx context.Context) error
	// rollback undoes an open transaction; a no-op after commit.
	rollback(ctx context.Context)
}

// batchBeginner is an adapter that can open a batchTx.
type batchBeginner interface {
	beginBatch(ctx context.Context, t Table, cols []string) (batchTx, error)
}

// loadRefusing is DB.LoadRefusing on an adapter's batchTx: the refused
// rows are found by bisection, each part inserted under a savepoint that
// is rolled back when the part is refused, down to single rows. The rows
// written keep their order, so a row may refer to an earlier row of the
// same batch.
func loadRefusing(ctx context.Context, b batchBeginner, t Table, cols []string, rows [][]any, settle func([]Refusal) (Marker, error)) error {
	tx, err := b.beginBatch(ctx, t, cols)
	if err != nil {
		return err
	}
	defer tx.rollback(ctx)
	var refused []Refusal
	if err := bisect(ctx, tx, rows, 0, len(rows) > 1, &refused); err != nil {
		return err
	}
	m, err := settle(refused)
	if err != nil {
		return err
	}
	if m.Table == "" {
		m.Table = t.Name
	}
	if err := tx.mark(ctx, m); err != nil {
		return err
	}
	return tx.commit(ctx)
}

// savepoint is the name of the savepoint around each part of a bisection.
const savepoint = "tightrope_part"

// bisect inserts rows (offset is the first one's index in the batch),
// appending the refused ones to out. failing says the rows are already
// known to fail together, so they are split without trying them whole;
// a single row is always tried, for the server's reason.
func bisect(ctx context.Context, tx batchTx, rows [][]any, offset int, failing bool, out *[]Refusal) error {
	if len(rows) == 0 {
		return nil
	}
	if !failing || len(rows) == 1 {
		if err := tx.exec(ctx, "SAVEPOINT "+savepoint); err != nil {
			return err
		}
		err := tx.insert(ctx, rows)
		if err == nil {
			return tx.exec(ctx, "RELEASE SAVEPOINT "+savepoint)
		}
		rule, ok := Refused(err)
		if !ok {
			return err
		}
		if rerr := tx.exec(ctx, "ROLLBACK TO SAVEPOINT "+savepoint); rerr != nil {
			return fmt.Errorf("%w (after %w)", rerr, err)
		}
		if rerr := tx.exec(ctx, "RELEASE SAVEPOINT "+savepoint); rerr != nil {
			return fmt.Errorf("%w (after %w)", rerr, err)
		}
		if len(rows) == 1 {
			*out = append(*out, Refusal{Index: offset, Rule: rule, Err: err})
			return nil
		}
	}
	half := len(rows) / 2
	before := len(*out)
	if err := bisect(ctx, tx, rows[:half], offset, false, out); err != nil {
		return err
	}
	// When the first half went in whole, the refused row is in the second.
	return bisect(ctx, tx, rows[half:], offset+half, len(*out) == before, out)
}
