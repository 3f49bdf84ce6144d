package bluegreen

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Lag is how far a subscriber (replica) is behind its publisher (source).
type Lag struct {
	From, To string // side names: publisher, subscriber
	// CurrentLSN is the publisher's pg_current_wal_lsn (MariaDB: the
	// source's gtid_binlog_pos).
	CurrentLSN string
	// ConfirmedLSN is the slot's confirmed_flush_lsn: received and flushed
	// by the subscriber (MariaDB: the replica's gtid_slave_pos).
	ConfirmedLSN string
	Bytes        int64 // WAL between them (PostgreSQL)
	// Transactions (MariaDB) is how many of the source's transactions the
	// replica has not applied, summed over the GTID domains.
	Transactions int64
	SlotActive   bool // a walsender streams the slot (MariaDB: both replica threads run)
	// LatestEndLSN is the subscriber's pg_stat_subscription.latest_end_lsn
	// ("" when its worker is not running).
	LatestEndLSN string
	gtid         bool // positions are MariaDB GTID positions
}

// CaughtUp tells whether the subscriber has confirmed everything the
// publisher had written when the lag was measured.
func (l Lag) CaughtUp() bool { return l.Bytes <= 0 && l.Transactions <= 0 }

// Behind says how far behind, in the engine's unit.
func (l Lag) Behind() string {
	if l.gtid {
		return fmt.Sprintf("%d transactions", l.Transactions)
	}
	return fmt.Sprintf("%d bytes of WAL", l.Bytes)
}

// Lag measures the running direction: blue → green, or green → blue after
// a switch.
func (p *pgPair) Lag(ctx context.Context) (Lag, error) {
	pub, sub, name, err := p.running(ctx)
	if err != nil {
		return Lag{}, err
	}
	return lagOf(ctx, pub, sub, name, "")
}

// WaitCaughtUp waits until the running direction's subscriber has
// confirmed the publisher's WAL position at the call, or timeout passes.
func (p *pgPair) WaitCaughtUp(ctx context.Context, timeout time.Duration) (Lag, error) {
	pub, sub, name, err := p.running(ctx)
	if err != nil {
		return Lag{}, err
	}
	return waitCaughtUp(ctx, pub, sub, name, timeout)
}

// running finds the direction that replicates now from the subscriptions
// there are.
func (p *pgPair) running(ctx context.Context) (pub, sub *end, name string, err error) {
	for _, d := range []struct {
		pub, sub *end
		name     string
	}{{p.blue, p.green, p.cfg.ForwardName()}, {p.green, p.blue, p.cfg.ReverseName()}} {
		ok, err := hasSubscription(ctx, d.sub, d.name)
		if err != nil {
			return nil, nil, "", err
		}
		if ok {
			return d.pub, d.sub, d.name, nil
		}
	}
	return nil, nil, "", errors.New("no replication runs between blue and green")
}

func hasSubscription(ctx context.Context, e *end, name string) (bool, error) {
	var n int
	err := e.conn.QueryRow(ctx, `SELECT count(*) FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`, name).Scan(&n)
	return n > 0, err
}

// lagOf measures the slot name on pub against target (the publisher's
// current position when "").
func lagOf(ctx context.Context, pub, sub *end, name, target string) (Lag, error) {
	l := Lag{From: pub.Name, To: sub.Name}
	if target == "" {
		if err := pub.conn.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&target); err != nil {
			return l, err
		}
	}
	l.CurrentLSN = target
	var confirmed *string
	err := pub.conn.QueryRow(ctx, `SELECT confirmed_flush_lsn::text, active, coalesce(pg_wal_lsn_diff($2::pg_lsn, confirmed_flush_lsn), 0)::int8
		FROM pg_replication_slots WHERE slot_name = $1`, name, target).Scan(&confirmed, &l.SlotActive, &l.Bytes)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, fmt.Errorf("slot %s is not on %s", name, pub.Name)
	}
	if err != nil {
		return l, err
	}
	if confirmed != nil {
		l.ConfirmedLSN = *confirmed
	}
	var latest *string
	err = sub.conn.QueryRow(ctx, `SELECT max(latest_end_lsn)::text FROM pg_stat_subscription WHERE subname = $1`, name).Scan(&latest)
	if err != nil {
		return l, err
	}
	if latest != nil {
		l.LatestEndLSN = *latest
	}
	return l, nil
}

// waitCaughtUp waits until slot name on pub has confirmed pub's current
// position.
func waitCaughtUp(ctx context.Context, pub, sub *end, name string, timeout time.Duration) (Lag, error) {
	var target string
	if err := pub.conn.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&target); err != nil {
		return Lag{}, err
	}
	deadline := time.Now().Add(timeout)
	for {
		l, err := lagOf(ctx, pub, sub, name, target)
		if err != nil {
			return l, err
		}
		if l.CaughtUp() {
			return l, nil
		}
		if time.Now().After(deadline) {
			return l, fmt.Errorf("%s is %d bytes of WAL behind %s after %s (slot %s active: %t)", sub.Name, l.Bytes, pub.Name, timeout, name, l.SlotActive)
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return l, err
		}
	}
}
