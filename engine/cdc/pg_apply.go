package cdc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tightrope/tightrope/journal"
)

// PositionTable holds, on the target, each stream's applied position: the
// journal seq and source position of the last applied source transaction,
// written in the same target transaction as its changes.
const PositionTable = "_tightrope_cdc_position"

// PGApplier applies a stream's spooled transactions to a PostgreSQL target.
// Values travel as the source's text forms with no declared type, so the
// target parses each as its column's type (exactly what pgoutput sent).
type PGApplier struct {
	DSN         string // the target
	Stream      string
	JournalPath string
	// OnApplied, if set, is told each source transaction once it is
	// committed on the target: its journal seq, source position and row
	// changes.
	OnApplied func(seq int64, position string, changes int)
	// Ready, if set, is asked before each transaction: false stops the
	// round there (apply paused), with nothing half-applied.
	Ready func() bool
	// Live, if set, gives the tables a copy read live — its snapshot
	// ended with a killed process — each with the source's log head once
	// those reads were over (-1: no bound). An update that did not send
	// some values (unchanged TOAST) and finds no row, in such a table and
	// committed before that head, met a row the live read no longer saw
	// (deleted, or moved away, on the source since): its row is read again
	// from the source (Source) by the update's new key, as the live copy
	// would read it now, and upserted — or left out when the source no
	// longer holds it; the stream's later changes converge over it as over
	// any row read live. Anywhere else a missing row stays an error.
	Live func() map[string]int64
	// Source is the PostgreSQL source's DSN, for those reads ("": none).
	Source string
	// OnRefetched, if set, is told each such row (found: the source held it).
	OnRefetched func(seq int64, table string, key []*string, found bool)
}

// Applied is a target's applied position for a stream.
type Applied struct {
	Seq      int64  // journal seq of the last applied transaction (0: none)
	Position string // its source position
}

// Position reads the target's applied position for the stream.
func (a *PGApplier) Position(ctx context.Context) (Applied, error) {
	conn, err := pgOpen(ctx, a.DSN)
	if err != nil {
		return Applied{}, fmt.Errorf("cdc: target: %w", err)
	}
	defer conn.Close(context.Background())
	if err := ensurePositionTable(ctx, conn); err != nil {
		return Applied{}, err
	}
	return readApplied(ctx, conn, a.Stream)
}

// Apply applies every transaction spooled after the target's applied
// position, each in one target transaction with the position, and returns
// how many it applied. The journal event at the applied seq must carry the
// applied position: a target that disagrees with the journal is an error,
// not a guess.
func (a *PGApplier) Apply(ctx context.Context) (int, error) {
	conn, err := pgOpen(ctx, a.DSN)
	if err != nil {
		return 0, fmt.Errorf("cdc: target: %w", err)
	}
	defer conn.Close(context.Background())
	if err := ensurePositionTable(ctx, conn); err != nil {
		return 0, err
	}
	at, err := readApplied(ctx, conn, a.Stream)
	if err != nil {
		return 0, err
	}
	types := pgTargetTypes{}
	var live map[string]int64
	if a.Live != nil {
		live = a.Live()
	}
	var src *pgconn.PgConn // the source, opened for the first row read again
	defer func() {
		if src != nil {
			src.Close(context.Background())
		}
	}()
	return applyRound(ctx, a.JournalPath, a.Stream, at, a.Ready, a.OnApplied, func(seq int64, tx journal.CDCChangesPayload) error {
		type refetched struct {
			c     journal.CDCChange
			found bool
		}
		var got []refetched
		refetch := func(c journal.CDCChange) (journal.CDCChange, bool, error) {
			if a.Source == "" || !missingMayPass(live, c.Table, tx.Position) {
				return journal.CDCChange{}, false, errNoRefetch
			}
			if src == nil {
				conn, err := pgconn.Connect(ctx, a.Source)
				if err != nil {
					return journal.CDCChange{}, false, fmt.Errorf("source: %w", err)
				}
				src = conn
			}
			row, found, err := refetchRow(ctx, src, c)
			if err == nil {
				got = append(got, refetched{c, found})
			}
			return row, found, err
		}
		err := applyTx(ctx, conn, types, a.Stream, seq, tx, refetch)
		if err == nil && a.OnRefetched != nil {
			for _, r := range got {
				a.OnRefetched(seq, r.c.Table, newKey(r.c), r.found)
			}
		}
		return err
	})
}

func ensurePositionTable(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+PositionTable+` (
		stream text PRIMARY KEY,
		journal_seq bigint NOT NULL,
		position text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`)
	if err != nil {
		return fmt.Errorf("cdc: create %s: %w", PositionTable, err)
	}
	return nil
}

func readApplied(ctx context.Context, conn *pgx.Conn, stream string) (Applied, error) {
	var at Applied
	err := conn.QueryRow(ctx, `SELECT journal_seq, position FROM `+PositionTable+` WHERE stream = $1`, stream).Scan(&at.Seq, &at.Position)
	if errors.Is(err, pgx.ErrNoRows) {
		return Applied{}, nil
	}
	if err != nil {
		return Applied{}, fmt.Errorf("cdc: read %s: %w", PositionTable, err)
	}
	return at, nil
}

// applyTx applies one source transaction and records its position, in one
// target transaction.
//
// refetch, if set, is asked for the whole row of an update whose row is
// missing and whose source did not send every value (errNoRefetch: none).
func applyTx(ctx context.Context, conn *pgx.Conn, types pgTargetTypes, stream string, seq int64, tx journal.CDCChangesPayload, refetch refetcher) error {
	t, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback(context.Background())
	pc := t.Conn().PgConn()
	for i, c := range tx.Changes {
		c, err := types.binary(ctx, t, c)
		if err == nil {
			err = applyChange(ctx, pc, c, refetch)
		}
		if err != nil {
			return fmt.Errorf("change %d (%s %s): %w", i+1, c.Op, c.Table, err)
		}
	}
	_, err = t.Exec(ctx, `INSERT INTO `+PositionTable+` (stream, journal_seq, position, applied_at) VALUES ($1, $2, $3, now())
		ON CONFLICT (stream) DO UPDATE SET journal_seq = EXCLUDED.journal_seq, position = EXCLUDED.position, applied_at = EXCLUDED.applied_at`,
		stream, seq, tx.Position)
	if err != nil {
		return fmt.Errorf("record the position: %w", err)
	}
	return t.Commit(ctx)
}

// applyChange applies one change by key: an insert or a whole update is an
// upsert, an update that moved its key first deletes the old key, a delete
// deletes by key. Applied twice, a change leaves the same row.
func applyChange(ctx context.Context, pc *pgconn.PgConn, c journal.CDCChange, refetch refetcher) error {
	table := quoteTable(c.Table)
	if len(c.KeyColumns) == 0 || len(c.KeyColumns) != len(c.Key) {
		return errors.New("no key to apply by")
	}
	switch c.Op {
	case "delete":
		_, err := execText(ctx, pc, "DELETE FROM "+table+" WHERE "+keyMatch(c.KeyColumns, 1), c.Key)
		return err
	case "insert", "update":
	default:
		return fmt.Errorf("unknown op %q", c.Op)
	}
	if len(c.Columns) != len(c.New) {
		return fmt.Errorf("%d values for %d columns", len(c.New), len(c.Columns))
	}
	if c.Op == "update" && len(c.Unchanged) > 0 && keyMoved(c) && refetch != nil {
		// Moved, in a table read live: the new key may hold the live
		// read's later state of the row already, and the old one may be
		// gone — the row is read again from the source.
		if done, err := fromSource(ctx, pc, c, refetch); done || err != nil {
			return err
		}
	}
	if c.Op == "update" && len(c.Unchanged) > 0 {
		// The source did not send some values (unchanged TOAST): update
		// what it sent on the row with the old key; a missing row cannot
		// be rebuilt.
		sets := make([]string, len(c.Columns))
		for i, col := range c.Columns {
			sets[i] = fmt.Sprintf("%s = $%d", quoteIdent(col), i+1)
		}
		n, err := execText(ctx, pc, "UPDATE "+table+" SET "+strings.Join(sets, ", ")+" WHERE "+keyMatch(c.KeyColumns, len(c.Columns)+1), append(slices.Clone(c.New), c.Key...))
		if err != nil {
			return err
		}
		if n == 0 && refetch != nil {
			if done, err := fromSource(ctx, pc, c, refetch); done || err != nil {
				return err
			}
		}
		if n != 1 {
			return fmt.Errorf("updated %d rows, want 1: the row is missing on the target and the source did not send columns %s", n, strings.Join(c.Unchanged, ", "))
		}
		return nil
	}
	if c.Op == "update" && keyMoved(c) {
		if _, err := execText(ctx, pc, "DELETE FROM "+table+" WHERE "+keyMatch(c.KeyColumns, 1), c.Key); err != nil {
			return err
		}
	}
	cols := make([]string, len(c.Columns))
	ph := make([]string, len(c.Columns))
	var sets []string
	for i, col := range c.Columns {
		cols[i], ph[i] = quoteIdent(col), fmt.Sprintf("$%d", i+1)
		if !slices.Contains(c.KeyColumns, col) {
			sets = append(sets, quoteIdent(col)+" = EXCLUDED."+quoteIdent(col))
		}
	}
	keys := make([]string, len(c.KeyColumns))
	for i, k := range c.KeyColumns {
		keys[i] = quoteIdent(k)
	}
	q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(ph, ", ") + ") ON CONFLICT (" + strings.Join(keys, ", ") + ") DO "
	if len(sets) == 0 {
		q += "NOTHING"
	} else {
		q += "UPDATE SET " + strings.Join(sets, ", ")
	}
	_, err := execText(ctx, pc, q, c.New)
	return err
}

// keyMoved: the update's old key differs from the key in its new values.
func keyMoved(c journal.CDCChange) bool {
	for i, k := range c.KeyColumns {
		j := slices.Index(c.Columns, k)
		if j < 0 {
			return true
		}
		if (c.New[j] == nil) != (c.Key[i] == nil) || (c.New[j] != nil && *c.New[j] != *c.Key[i]) {
			return true
		}
	}
	return false
}

// keyMatch is "k1" = $from AND "k2" = $from+1.
func keyMatch(keys []string, from int) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s = $%d", quoteIdent(k), from+i)
	}
	return strings.Join(parts, " AND ")
}

// execText runs q with text parameters of no declared type (the server
// infers each from its use) and returns the rows affected.
func execText(ctx context.Context, pc *pgconn.PgConn, q string, vals []*string) (int64, error) {
	params := make([][]byte, len(vals))
	for i, v := range vals {
		if v != nil {
			params[i] = []byte(*v)
		}
	}
	tag, err := pc.ExecParams(ctx, q, params, make([]uint32, len(vals)), nil, nil).Close()
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}
