package cdc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tightrope/tightrope/journal"
)

// A copy that read a stream's tables live (its snapshot ended with a
// killed process) leaves the target holding rows in their state of the
// live read, and the stream replays every change since its start over
// them. A change that sends whole rows converges by key whatever it meets;
// one that did not send a value (PostgreSQL's unchanged TOAST) cannot
// rebuild a row the live read no longer saw — deleted, or moved to
// another key, on the source after the change. Such a row is read again
// from the source by the change's new key (PGApplier.Live, .Source): the
// live copy reading it once more, so the same convergence holds.

// refetcher returns the whole row of an update whose row is missing on
// the target (found: the source holds it), or errNoRefetch.
type refetcher func(c journal.CDCChange) (journal.CDCChange, bool, error)

// errNoRefetch: the missing row is not the live copy's to rebuild.
var errNoRefetch = errors.New("cdc: no refetch")

// missingMayPass: a change of table committed at position (its end LSN)
// may meet a row the live read no longer saw — the table was read live
// and the change committed before the source's head once those reads
// were over (-1: no bound).
func missingMayPass(live map[string]int64, table, position string) bool {
	head, ok := live[table]
	if !ok {
		return false
	}
	if head < 0 {
		return true
	}
	end, err := pglogrepl.ParseLSN(position)
	return err == nil && int64(end) <= head
}

// newKey is the key an update leaves its row at: the new values of the key
// columns (the old key where a key column's value was not sent).
func newKey(c journal.CDCChange) []*string {
	key := slices.Clone(c.Key)
	for i, k := range c.KeyColumns {
		if j := slices.Index(c.Columns, k); j >= 0 {
			key[i] = c.New[j]
		}
	}
	return key
}

// refetchRow reads the row at the change's new key from the source, every
// column as its text form, as an insert of the whole row.
func refetchRow(ctx context.Context, src *pgconn.PgConn, c journal.CDCChange) (journal.CDCChange, bool, error) {
	key := newKey(c)
	params := make([][]byte, len(key))
	for i, v := range key {
		if v == nil {
			return journal.CDCChange{}, false, nil // no row has a NULL key
		}
		params[i] = []byte(*v)
	}
	q := "SELECT * FROM " + quoteTable(c.Table) + " WHERE " + keyMatch(c.KeyColumns, 1)
	res := src.ExecParams(ctx, q, params, make([]uint32, len(params)), nil, nil).Read()
	if res.Err != nil {
		return journal.CDCChange{}, false, res.Err
	}
	switch len(res.Rows) {
	case 0:
		return journal.CDCChange{}, false, nil
	case 1:
	default:
		return journal.CDCChange{}, false, fmt.Errorf("%d rows at key %s", len(res.Rows), keyText(key))
	}
	row := journal.CDCChange{Op: "insert", Table: c.Table, KeyColumns: c.KeyColumns, Key: key}
	for i, f := range res.FieldDescriptions {
		row.Columns = append(row.Columns, f.Name)
		var v *string
		if b := res.Rows[0][i]; b != nil {
			s := string(b)
			v = &s
		}
		row.New = append(row.New, v)
	}
	return row, true, nil
}

// keyText shows a key for an error message.
func keyText(key []*string) string {
	parts := make([]string, len(key))
	for i, v := range key {
		parts[i] = "NULL"
		if v != nil {
			parts[i] = *v
		}
	}
	return strings.Join(parts, ", ")
}

// fromSource applies an update that left values out as the row the source
// holds now at its new key: the old key's row deleted (when the key
// moved), then the source's row upserted, or nothing more when the source
// no longer holds it (the stream's later changes say what became of it).
// done is false when the row is not the live copy's to rebuild.
func fromSource(ctx context.Context, pc *pgconn.PgConn, c journal.CDCChange, refetch refetcher) (done bool, err error) {
	row, found, err := refetch(c)
	switch {
	case errors.Is(err, errNoRefetch):
		return false, nil
	case err != nil:
		return true, fmt.Errorf("reading the row again from the source: %w", err)
	}
	if keyMoved(c) {
		if _, err := execText(ctx, pc, "DELETE FROM "+quoteTable(c.Table)+" WHERE "+keyMatch(c.KeyColumns, 1), c.Key); err != nil {
			return true, err
		}
	}
	if !found {
		return true, nil
	}
	return true, applyChange(ctx, pc, row, nil)
}
