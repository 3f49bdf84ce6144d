package bluegreen

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Prepared is what Prepare did.
type Prepared struct {
	SlotLSN     string        // where the forward slot streams from (MariaDB: green's start GTID position)
	SlotCreated bool          // false: the slot (MariaDB: replica connection) was there
	Tables      int           // tables the subscription has, all ready
	Took        time.Duration // including the initial sync
}

// Prepare starts forward replication blue → green: checks that every
// table has the same shape on both sides and can be replicated, publishes
// the tables on blue, freezes green (the application must not write to a
// replica), creates the forward slot on blue and the subscription on
// green, and waits until every table is synchronised. Running it again
// after a failure or a restart continues what is there.
func (p *pgPair) Prepare(ctx context.Context) (Prepared, error) {
	start := time.Now()
	var out Prepared
	if _, err := p.checkShapes(ctx, p.blue); err != nil {
		return out, err
	}
	if p.cfg.CopyData {
		if err := p.emptyUnlessSubscribed(ctx); err != nil {
			return out, err
		}
	}
	if err := p.ensurePublication(ctx, p.blue); err != nil {
		return out, err
	}
	if p.cfg.Freezer != nil {
		if err := p.cfg.Freezer.Freeze(ctx, p.green.Side, p.cfg.Tables); err != nil {
			return out, fmt.Errorf("freeze %s (the replica): %w", p.green.Name, err)
		}
	}
	var err error
	if out.SlotLSN, out.SlotCreated, err = ensureSlot(ctx, p.blue, p.cfg.ForwardName()); err != nil {
		return out, err
	}
	if err := p.createSubscription(ctx, p.green, p.blue, p.cfg.ForwardName(), p.cfg.CopyData); err != nil {
		return out, err
	}
	if out.Tables, err = p.waitReady(ctx, p.green, p.cfg.ForwardName(), p.cfg.syncTimeout()); err != nil {
		return out, err
	}
	out.Took = time.Since(start)
	return out, nil
}

// emptyUnlessSubscribed refuses to copy into a green that has rows and no
// forward subscription yet: the copy would collide with them.
func (p *pgPair) emptyUnlessSubscribed(ctx context.Context) error {
	var n int
	if err := p.green.conn.QueryRow(ctx, `SELECT count(*) FROM pg_subscription WHERE subname = $1`, p.cfg.ForwardName()).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, t := range p.tables {
		var any bool
		if err := p.green.conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+t.ident()+")").Scan(&any); err != nil {
			return fmt.Errorf("table %s on %s: %w", t, p.green.Name, err)
		}
		if any {
			return fmt.Errorf("table %s on %s has rows: copying blue's rows (copy_data) into it would collide; empty it, or copy it yourself and prepare without copying", t, p.green.Name)
		}
	}
	return nil
}

// waitReady waits until every table of the subscription on sub is in state
// r (ready), failing at once when the subscription reports an error.
func (p *pgPair) waitReady(ctx context.Context, sub *end, name string, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		var total, ready int
		var errs int64
		err := sub.conn.QueryRow(ctx, `SELECT count(r.srrelid), count(*) FILTER (WHERE r.srsubstate = 'r'),
				coalesce((SELECT st.apply_error_count + st.sync_error_count FROM pg_stat_subscription_stats st WHERE st.subid = s.oid), 0)
			FROM pg_subscription s LEFT JOIN pg_subscription_rel r ON r.srsubid = s.oid
			WHERE s.subname = $1 AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			GROUP BY s.oid`, name).Scan(&total, &ready, &errs)
		if err != nil {
			return 0, fmt.Errorf("subscription %s on %s: %w", name, sub.Name, err)
		}
		if errs > 0 {
			return ready, fmt.Errorf("subscription %s on %s reported %d error(s) while synchronising (the reason is in %s's server log)", name, sub.Name, errs, sub.Name)
		}
		if total == len(p.tables) && ready == total {
			return ready, nil
		}
		if time.Now().After(deadline) {
			return ready, fmt.Errorf("subscription %s on %s: %d of %d tables ready after %s", name, sub.Name, ready, len(p.tables), timeout)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return ready, errors.Join(err, fmt.Errorf("subscription %s on %s: %d of %d tables ready", name, sub.Name, ready, len(p.tables)))
		}
	}
}
