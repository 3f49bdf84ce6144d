package bluegreen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ensurePublication makes the publication on e publish exactly the tables.
func (p *pgPair) ensurePublication(ctx context.Context, e *end) error {
	var n int
	if err := e.conn.QueryRow(ctx, `SELECT count(*) FROM pg_publication WHERE pubname = $1`, p.cfg.publication()).Scan(&n); err != nil {
		return err
	}
	q := "CREATE PUBLICATION " + ident(p.cfg.publication()) + " FOR TABLE " + p.tableList()
	if n > 0 {
		q = "ALTER PUBLICATION " + ident(p.cfg.publication()) + " SET TABLE " + p.tableList()
	}
	if _, err := e.conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("publication %s on %s: %w", p.cfg.publication(), e.Name, err)
	}
	return nil
}

// ensureSlot creates the logical slot (pgoutput) on e unless it is there,
// and returns the LSN from which it streams (its consistent point when
// created now; its confirmed_flush_lsn when it was there). A subscription
// into the same cluster would hang creating its own slot, so tightrope
// always creates it.
func ensureSlot(ctx context.Context, e *end, slot string) (lsn string, created bool, err error) {
	var db, plugin string
	err = e.conn.QueryRow(ctx, `SELECT coalesce(database::text, ''), coalesce(plugin::text, ''), coalesce(confirmed_flush_lsn::text, '')
		FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&db, &plugin, &lsn)
	switch {
	case err == nil:
		var cur string
		if err := e.conn.QueryRow(ctx, `SELECT current_database()::text`).Scan(&cur); err != nil {
			return "", false, err
		}
		if db != cur || plugin != "pgoutput" {
			return "", false, fmt.Errorf("slot %s exists on %s's server for database %q with plugin %q, not this database with pgoutput", slot, e.Name, db, plugin)
		}
		return lsn, false, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return "", false, err
	}
	if err := e.conn.QueryRow(ctx, `SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')`, slot).Scan(&lsn); err != nil {
		return "", false, fmt.Errorf("create slot %s on %s: %w", slot, e.Name, err)
	}
	return lsn, true, nil
}

// createSubscription subscribes sub to pub's publication through the slot
// of the same name, which must exist.
func (p *pgPair) createSubscription(ctx context.Context, sub, pub *end, name string, copyData bool) error {
	var n int
	if err := sub.conn.QueryRow(ctx, `SELECT count(*) FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	q := fmt.Sprintf("CREATE SUBSCRIPTION %s CONNECTION %s PUBLICATION %s WITH (create_slot = false, slot_name = %s, copy_data = %t)",
		ident(name), literal(pub.conninfo()), ident(p.cfg.publication()), literal(name), copyData)
	if _, err := sub.conn.Exec(ctx, q); err != nil {
		// the server's message names the publisher, never its password
		return fmt.Errorf("subscription %s on %s (to %s): %w", name, sub.Name, pub.Name, conninfoError(err))
	}
	return nil
}

// dropSubscription stops and drops the subscription on sub and then its
// slot on pub. The subscription is detached from its slot first, so the
// drop never needs the publisher (and never hangs on the same cluster).
func dropSubscription(ctx context.Context, sub, pub *end, name string) error {
	var n int
	if err := sub.conn.QueryRow(ctx, `SELECT count(*) FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		for _, q := range []string{
			"ALTER SUBSCRIPTION " + ident(name) + " DISABLE",
			"ALTER SUBSCRIPTION " + ident(name) + " SET (slot_name = NONE)",
			"DROP SUBSCRIPTION " + ident(name),
		} {
			if _, err := sub.conn.Exec(ctx, q); err != nil {
				return fmt.Errorf("drop subscription %s on %s: %w", name, sub.Name, err)
			}
		}
	}
	return dropSlot(ctx, pub, name)
}

// dropSlot drops the slot of e's database once no walsender holds it (a
// disabled subscription's walsender ends within moments). A slot of that
// name for another database of the server is not the pair's: left alone.
func dropSlot(ctx context.Context, e *end, slot string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var active *bool
		err := e.conn.QueryRow(ctx, `SELECT active FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()`, slot).Scan(&active)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if active != nil && !*active {
			_, err := e.conn.Exec(ctx, `SELECT pg_drop_replication_slot($1)`, slot)
			if err != nil {
				return fmt.Errorf("drop slot %s on %s: %w", slot, e.Name, err)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("slot %s on %s is still in use after 10s", slot, e.Name)
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
}

// dropPublication drops the publication on e if it is there.
func (p *pgPair) dropPublication(ctx context.Context, e *end) error {
	_, err := e.conn.Exec(ctx, "DROP PUBLICATION IF EXISTS "+ident(p.cfg.publication()))
	if err != nil {
		return fmt.Errorf("drop publication on %s: %w", e.Name, err)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// Teardown drops every replication object of the pair on both sides —
// subscriptions, slots (a slot left behind pins its server's WAL) and
// publications — and leaves the data and the freezes as they are.
func (p *pgPair) Teardown(ctx context.Context) error {
	return errors.Join(
		dropSubscription(ctx, p.green, p.blue, p.cfg.ForwardName()),
		dropSubscription(ctx, p.blue, p.green, p.cfg.ReverseName()),
		dropSubscription(ctx, p.blue, p.green, p.probeName()),
		p.dropPublication(ctx, p.blue),
		p.dropPublication(ctx, p.green),
	)
}

// conninfoError is err, unless it is the server refusing a
// subscription's conninfo as malformed: that message quotes a piece of
// the conninfo ("missing "=" after "…""), which may be part of a
// password, and is replaced by one that quotes nothing.
func conninfoError(err error) error {
	var pe *pgconn.PgError
	// 42601 (syntax error): the statement itself is built quoted, so it is
	// the conninfo's, whatever language the server speaks
	if errors.As(err, &pe) && (pe.Code == "42601" || strings.Contains(pe.Message, "connection info string") || strings.HasPrefix(pe.Message, "invalid connection string syntax")) {
		return fmt.Errorf("the server could not parse the conninfo (SQLSTATE %s; its text is not shown: it may hold a password)", pe.Code)
	}
	return err
}
