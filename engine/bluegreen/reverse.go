package bluegreen

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Check is one proven fact, as evidence.
type Check struct {
	What   string `json:"what"`
	Detail string `json:"detail"`
}

// ReverseEvidence is what CheckReverse proved about green → blue.
type ReverseEvidence struct {
	Checks []Check       `json:"checks"`
	Took   time.Duration `json:"took"`
}

func (p *pgPair) probeName() string { return p.cfg.probeName() }

// CheckReverse proves, before the first switch, that replication green →
// blue can start the moment it is needed: both sides have the same tables
// with the same columns and keys, every table can be replicated from green,
// green publishes them, green has wal_level=logical and a free slot and
// walsender, the role of green's conninfo may replicate, tightrope's role
// on blue may subscribe, and blue's server reaches green through that
// conninfo over a replication connection and sees the publication's tables
// (a probe subscription, created disabled without a slot, then dropped).
// It changes nothing but green's publication.
func (p *pgPair) CheckReverse(ctx context.Context) (ReverseEvidence, error) {
	start := time.Now()
	var ev ReverseEvidence
	add := func(what, format string, args ...any) {
		ev.Checks = append(ev.Checks, Check{What: what, Detail: fmt.Sprintf(format, args...)})
	}
	if _, err := p.checkShapes(ctx, p.green); err != nil {
		return ev, fmt.Errorf("the reverse path cannot work: %w", err)
	}
	add("shapes", "%d tables have the same columns and primary key on %s and %s, and can be replicated from %s", len(p.tables), p.blue.Name, p.green.Name, p.green.Name)

	var walLevel string
	var freeSlots, freeSenders int
	err := p.green.conn.QueryRow(ctx, `SELECT current_setting('wal_level'),
			current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots),
			current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_stat_replication)`).Scan(&walLevel, &freeSlots, &freeSenders)
	if err != nil {
		return ev, fmt.Errorf("reverse path, %s's settings: %w", p.green.Name, err)
	}
	if walLevel != "logical" {
		return ev, fmt.Errorf("the reverse path cannot work: %s has wal_level=%s; set wal_level = logical and restart it", p.green.Name, walLevel)
	}
	if freeSlots < 1 || freeSenders < 1 {
		return ev, fmt.Errorf("the reverse path cannot work: %s has %d free replication slots and %d free walsenders; raise max_replication_slots / max_wal_senders", p.green.Name, freeSlots, freeSenders)
	}
	add("green settings", "wal_level=logical, %d free replication slots, %d free walsenders", freeSlots, freeSenders)

	cfg, err := pgconn.ParseConfig(p.green.conninfo())
	if err != nil {
		return ev, fmt.Errorf("the reverse path cannot work: %s's conninfo does not parse (its text is not shown: it may hold a password)", p.green.Name)
	}
	var canReplicate bool
	err = p.green.conn.QueryRow(ctx, `SELECT rolsuper OR rolreplication FROM pg_roles WHERE rolname = $1`, cfg.User).Scan(&canReplicate)
	if err != nil {
		return ev, fmt.Errorf("the reverse path cannot work: role %s of %s's conninfo is not on %s: %w", cfg.User, p.green.Name, p.green.Name, err)
	}
	if !canReplicate {
		return ev, fmt.Errorf("the reverse path cannot work: role %s of %s's conninfo has neither REPLICATION nor superuser on %s; ALTER ROLE %s REPLICATION", cfg.User, p.green.Name, p.green.Name, ident(cfg.User))
	}
	add("replication role", "role %s may open replication connections to %s", cfg.User, p.green.Name)

	var subscriber string
	var super bool
	if err := p.blue.conn.QueryRow(ctx, `SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&subscriber, &super); err != nil {
		return ev, err
	}
	if !super {
		return ev, fmt.Errorf("the reverse path cannot work: tightrope's role %s on %s is not a superuser, which CREATE SUBSCRIPTION needs (PostgreSQL 15)", subscriber, p.blue.Name)
	}
	add("subscriber", "role %s on %s may create the reverse subscription", subscriber, p.blue.Name)

	var slotDB *string
	err = p.green.conn.QueryRow(ctx, `SELECT coalesce(database::text, '(physical)') FROM pg_replication_slots WHERE slot_name = $1`, p.cfg.ReverseName()).Scan(&slotDB)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return ev, err
	}
	if slotDB != nil {
		return ev, fmt.Errorf("the reverse path cannot work: a slot named %s is already on %s's server (database %s); drop it or choose another name", p.cfg.ReverseName(), p.green.Name, *slotDB)
	}
	add("slot name", "no slot named %s on %s's server", p.cfg.ReverseName(), p.green.Name)

	if err := p.ensurePublication(ctx, p.green); err != nil {
		return ev, err
	}
	add("publication", "%s publishes the %d tables as %s", p.green.Name, len(p.tables), p.cfg.publication())

	n, err := p.probe(ctx)
	if err != nil {
		return ev, fmt.Errorf("the reverse path cannot work: %w", err)
	}
	add("connection", "%s's server connected to %s with the configured conninfo over a replication connection and saw %d published tables", p.blue.Name, p.green.Name, n)
	ev.Took = time.Since(start)
	p.reverseChecked = true
	return ev, nil
}

// probe creates on blue a disabled subscription to green without a slot —
// which connects to green as the reverse subscription will and reads the
// publication's tables — counts the tables it found, and drops it.
func (p *pgPair) probe(ctx context.Context) (int, error) {
	name := p.probeName()
	if err := dropSubscription(ctx, p.blue, p.green, name); err != nil {
		return 0, err
	}
	q := fmt.Sprintf("CREATE SUBSCRIPTION %s CONNECTION %s PUBLICATION %s WITH (connect = true, enabled = false, create_slot = false, slot_name = NONE, copy_data = false)",
		ident(name), literal(p.green.conninfo()), ident(p.cfg.publication()))
	if _, err := p.blue.conn.Exec(ctx, q); err != nil {
		return 0, fmt.Errorf("%s could not reach %s through the configured conninfo: %w", p.blue.Name, p.green.Name, conninfoError(err))
	}
	var n int
	err := p.blue.conn.QueryRow(ctx, `SELECT count(*) FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid
		WHERE s.subname = $1 AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`, name).Scan(&n)
	if _, derr := p.blue.conn.Exec(ctx, "DROP SUBSCRIPTION "+ident(name)); derr != nil {
		err = errors.Join(err, derr)
	}
	if err != nil {
		return 0, err
	}
	if n != len(p.tables) {
		return n, fmt.Errorf("%s sees %d of the %d tables in %s's publication %s", p.blue.Name, n, len(p.tables), p.green.Name, p.cfg.publication())
	}
	return n, nil
}
