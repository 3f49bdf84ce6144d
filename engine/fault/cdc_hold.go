package fault

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// hold is cdc-long-tx and apply-lock: a transaction on CONN that holds
// something of TABLE for DURATION.
type hold struct {
	base
	kind  string
	at    at
	table string
	dur   time.Duration
}

func parseHold(kind, args string) (Fault, error) {
	a, rest, err := parseAt(args, "TABLE", "DURATION")
	if err != nil {
		return nil, err
	}
	d, err := positiveDuration("DURATION", rest[1])
	if err != nil {
		return nil, err
	}
	return &hold{base: base{kind + ":" + args}, kind: kind, at: a, table: rest[0], dur: d}, nil
}

func (f *hold) arm(ctx context.Context, env *Env, step runbooks.Step, record func(journal.FaultPayload)) (bool, error) {
	return f.at.arm(ctx, env, step, record, "nothing was held", func(ctx context.Context, when string) (journal.FaultPayload, error) {
		d, err := env.direct(ctx, f.at.conn)
		if err != nil {
			return journal.FaultPayload{}, err
		}
		start := LongTx
		if f.kind == "apply-lock" {
			start = LockTable
		}
		what, release, err := start(ctx, d, f.table)
		if err != nil {
			return journal.FaultPayload{}, err
		}
		target := f.at.conn + ":" + f.table
		go func() {
			select {
			case <-time.After(f.dur):
			case <-ctx.Done():
			}
			p := journal.FaultPayload{At: time.Now().UTC(), Target: target, Ended: true, Detail: fmt.Sprintf("%s: released after %s", f.kind, f.dur)}
			if err := release(); err != nil {
				p.Detail += ": " + err.Error()
			}
			record(p)
		}()
		return journal.FaultPayload{Target: target, Detail: fmt.Sprintf("%s: %s on %s for %s, %s", f.kind, what, f.at.conn, f.dur, when)}, nil
	})
}

// LongTx opens a transaction on d that changes the first row of table
// twice with no net change — a number column +1 then -1, or a text column
// extended by one character then cut back — and leaves it open; release
// commits it. It says what it changed.
func LongTx(ctx context.Context, d db.DB, table string) (what string, release func() error, err error) {
	t, err := d.Table(ctx, table)
	if err != nil {
		return "", nil, err
	}
	if len(t.Key) == 0 {
		return "", nil, fmt.Errorf("table %s has no primary key to choose a row by", table)
	}
	var col string
	var there, back string
	for _, pass := range []bool{true, false} { // numbers first, then text
		for _, c := range t.Columns {
			if col != "" || contains(t.Key, c.Name) {
				continue
			}
			q := d.Quote(c.Name)
			switch k := c.Type.Kind; {
			case pass && (k == convert.Integer || k == convert.Decimal || k == convert.Float):
				col, there, back = c.Name, q+" + 1", q+" - 1"
			case !pass && k == convert.Text && (c.Type.Length == 0 || c.Type.Length >= 255):
				col, there, back = c.Name, "CONCAT("+q+", '~')", "LEFT("+q+", CHAR_LENGTH("+q+") - 1)"
			}
		}
	}
	if col == "" {
		return "", nil, fmt.Errorf("table %s has no number or wide text column to change", table)
	}
	var keyCols, where []string
	for i, k := range t.Key {
		keyCols = append(keyCols, d.Quote(k))
		where = append(where, fmt.Sprintf("%s = %s", d.Quote(k), placeholder(d.Driver(), i+1)))
	}
	key := make([]any, len(t.Key))
	ptrs := make([]any, len(t.Key))
	for i := range key {
		ptrs[i] = &key[i]
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s IS NOT NULL ORDER BY %s LIMIT 1", strings.Join(keyCols, ", "), d.Quote(table), d.Quote(col), strings.Join(keyCols, ", "))
	if err := d.SQL().QueryRowContext(ctx, q).Scan(ptrs...); err != nil {
		return "", nil, fmt.Errorf("choosing a row of %s with %s set: %w", table, col, err)
	}
	tx, err := d.SQL().BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return "", nil, err
	}
	for _, set := range []string{there, back} {
		stmt := fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s", d.Quote(table), d.Quote(col), set, strings.Join(where, " AND "))
		if _, err := tx.ExecContext(ctx, stmt, key...); err != nil {
			tx.Rollback()
			return "", nil, fmt.Errorf("changing %s in a transaction: %w", table, err)
		}
	}
	return fmt.Sprintf("a transaction changed column %s of the first row of %s twice (no net change) and stays open", col, table), tx.Commit, nil
}

// LockTable locks table on d against writes, reads going on — PostgreSQL
// LOCK TABLE IN SHARE MODE in an open transaction, MySQL LOCK TABLES READ
// on a connection of its own — until release.
func LockTable(ctx context.Context, d db.DB, table string) (what string, release func() error, err error) {
	bg := context.WithoutCancel(ctx)
	switch d.Driver() {
	case db.Postgres:
		tx, err := d.SQL().BeginTx(bg, nil)
		if err != nil {
			return "", nil, err
		}
		if _, err := tx.ExecContext(ctx, "LOCK TABLE "+d.Quote(table)+" IN SHARE MODE"); err != nil {
			tx.Rollback()
			return "", nil, fmt.Errorf("locking %s: %w", table, err)
		}
		return "LOCK TABLE " + table + " IN SHARE MODE (writes wait, reads go on)", tx.Commit, nil
	case db.MySQL:
		conn, err := d.SQL().Conn(bg)
		if err != nil {
			return "", nil, err
		}
		if _, err := conn.ExecContext(ctx, "LOCK TABLES "+d.Quote(table)+" READ"); err != nil {
			conn.Close()
			return "", nil, fmt.Errorf("locking %s: %w", table, err)
		}
		return "LOCK TABLES " + table + " READ (writes wait, reads go on)", func() error {
			_, err := conn.ExecContext(bg, "UNLOCK TABLES")
			return closeAfter(conn, err)
		}, nil
	}
	return "", nil, fmt.Errorf("apply-lock: %s has no table locks", d.Driver())
}

func closeAfter(c *sql.Conn, err error) error {
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}
