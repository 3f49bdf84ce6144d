package cdc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// PGPreflightError lists what a PostgreSQL source must change before a
// stream can be created and captured on it, each with the statement to
// run.
type PGPreflightError struct{ Findings []string }

// Error names every finding with its fix.
func (e *PGPreflightError) Error() string {
	return "cdc: the source cannot be captured: " + strings.Join(e.Findings, "; ")
}

// PGPreflightOptions tunes PGPreflight.
type PGPreflightOptions struct {
	Tables []string // the captured tables (table or schema.table)
	// Stream, when set, must be free as a slot and publication name, and
	// a temporary logical slot (pgoutput) is created and dropped again:
	// the proof a slot can be made (a free slot, the plugin, the role).
	Stream string
	// SlotWithin bounds the temporary slot's creation (it waits for the
	// transactions running at that moment); default 10s.
	SlotWithin time.Duration
}

// PGPreflight checks that a stream of o.Tables can be created on a
// PostgreSQL source and captured: wal_level logical, a free replication
// slot and walsender, a role with REPLICATION (or a superuser) that may
// create the publication (CREATE on the database, ownership of each
// table), every table present with a replica identity (a primary key, an
// identity index or FULL). It returns what it found as evidence lines;
// what the server must change is a *PGPreflightError. It writes nothing
// but the temporary slot of o.Stream, gone when it returns.
func PGPreflight(ctx context.Context, dsn string, o PGPreflightOptions) ([]string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("cdc: preflight: connect: %w", err)
	}
	defer conn.Close(context.Background())
	var wal, user, database string
	var maxSlots, usedSlots, maxSenders, usedSenders int
	var super, repl, create bool
	if err := conn.QueryRow(ctx, `SELECT current_setting('wal_level'), current_user, current_database(),
			current_setting('max_replication_slots')::int, (SELECT count(*) FROM pg_replication_slots)::int,
			current_setting('max_wal_senders')::int, (SELECT count(*) FROM pg_stat_replication)::int,
			r.rolsuper, r.rolreplication, has_database_privilege(current_database(), 'CREATE')
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&wal, &user, &database, &maxSlots, &usedSlots, &maxSenders, &usedSenders, &super, &repl, &create); err != nil {
		return nil, fmt.Errorf("cdc: preflight: read the settings: %w", err)
	}
	var bad []string
	if wal != "logical" {
		bad = append(bad, fmt.Sprintf("wal_level is %s, want logical: ALTER SYSTEM SET wal_level = logical; and restart the server", wal))
	}
	if usedSlots >= maxSlots {
		bad = append(bad, fmt.Sprintf("no free replication slot (%d of max_replication_slots %d used): drop an unused slot or raise max_replication_slots (restart)", usedSlots, maxSlots))
	}
	if usedSenders >= maxSenders {
		bad = append(bad, fmt.Sprintf("no free walsender (%d of max_wal_senders %d busy): raise max_wal_senders (restart)", usedSenders, maxSenders))
	}
	if !super && !repl {
		bad = append(bad, fmt.Sprintf("role %s has no REPLICATION: ALTER ROLE %s REPLICATION", user, quoteIdent(user)))
	}
	if !super && !create {
		bad = append(bad, fmt.Sprintf("role %s may not create a publication in %s: GRANT CREATE ON DATABASE %s TO %s", user, database, quoteIdent(database), quoteIdent(user)))
	}
	for _, t := range o.Tables {
		bad = append(bad, pgTableFindings(ctx, conn, t, user, super)...)
	}
	if o.Stream != "" {
		var slot, pub bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1), EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)`, o.Stream).Scan(&slot, &pub); err != nil {
			return nil, fmt.Errorf("cdc: preflight: read the slots: %w", err)
		}
		if slot {
			bad = append(bad, fmt.Sprintf("a slot named %s already exists (another run of this migration?): SELECT pg_drop_replication_slot(%s) once nothing uses it", o.Stream, quoteLiteral(o.Stream)))
		}
		if pub {
			bad = append(bad, fmt.Sprintf("a publication named %s already exists: DROP PUBLICATION %s once nothing uses it", o.Stream, quoteIdent(o.Stream)))
		}
	}
	if len(bad) > 0 {
		return nil, &PGPreflightError{Findings: bad}
	}
	ev := []string{fmt.Sprintf("wal_level logical, %d of %d slots and %d of %d walsenders free", maxSlots-usedSlots, maxSlots, maxSenders-usedSenders, maxSenders)}
	switch {
	case super:
		ev = append(ev, "role "+user+" is a superuser")
	default:
		ev = append(ev, "role "+user+" has REPLICATION, may create the publication and owns the tables")
	}
	if len(o.Tables) > 0 {
		ev = append(ev, fmt.Sprintf("%d tables with a replica identity", len(o.Tables)))
	}
	if o.Stream != "" {
		took, err := pgTrySlot(ctx, conn, o)
		if err != nil {
			return nil, &PGPreflightError{Findings: []string{err.Error()}}
		}
		ev = append(ev, fmt.Sprintf("slot name %s free; a temporary pgoutput slot created and dropped in %d ms", o.Stream, took.Milliseconds()))
	}
	return ev, nil
}

// pgTableFindings is what keeps one table from being captured: it does
// not exist, has no replica identity, or the role does not own it (the
// publication needs ownership).
func pgTableFindings(ctx context.Context, conn *pgx.Conn, table, user string, super bool) []string {
	var exists, owner, pk bool
	var ident string
	err := conn.QueryRow(ctx, `SELECT true, pg_has_role(c.relowner, 'USAGE'), c.relreplident::text,
			EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
		FROM pg_class c WHERE c.oid = to_regclass($1)`, quoteTable(table)).Scan(&exists, &owner, &ident, &pk)
	if errors.Is(err, pgx.ErrNoRows) {
		return []string{fmt.Sprintf("table %s does not exist", table)}
	}
	if err != nil {
		return []string{fmt.Sprintf("table %s: %v", table, err)}
	}
	var out []string
	if ident == "n" || (ident == "d" && !pk) {
		out = append(out, fmt.Sprintf("table %s has no primary key or replica identity, so its updates and deletes cannot be captured: add a primary key, or ALTER TABLE %s REPLICA IDENTITY FULL", table, quoteTable(table)))
	}
	if !owner && !super {
		out = append(out, fmt.Sprintf("role %s does not own table %s (the publication needs it): ALTER TABLE %s OWNER TO %s", user, table, quoteTable(table), quoteIdent(user)))
	}
	return out
}

// pgTrySlot creates a temporary logical slot next to o.Stream's name and
// drops it: what a stream's creation needs of the server, proven without
// keeping anything.
func pgTrySlot(ctx context.Context, conn *pgx.Conn, o PGPreflightOptions) (time.Duration, error) {
	within := o.SlotWithin
	if within <= 0 {
		within = 10 * time.Second
	}
	name := o.Stream
	if len(name) > 57 {
		name = name[:57]
	}
	name += "_probe"
	sctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	t0 := time.Now()
	if _, err := conn.Exec(sctx, `SELECT pg_create_logical_replication_slot($1, 'pgoutput', true)`, name); err != nil {
		if sctx.Err() != nil && ctx.Err() == nil {
			return 0, fmt.Errorf("a temporary logical slot was not created within %s (it waits for the transactions running on the server to end)", within)
		}
		return 0, fmt.Errorf("a logical slot cannot be created: %v", err)
	}
	took := time.Since(t0)
	if _, err := conn.Exec(ctx, `SELECT pg_drop_replication_slot($1)`, name); err != nil {
		return took, fmt.Errorf("drop the temporary slot %s: %w", name, err)
	}
	return took, nil
}

// pgPreflight is PGPreflight for a run's pre-flight: settings, role and
// tables, no slot made.
func pgPreflight(ctx context.Context, dsn string, tables []string) error {
	_, err := PGPreflight(ctx, dsn, PGPreflightOptions{Tables: tables})
	return err
}

// pgReverseReady is PGPreflight for a switch's way back, before writes
// stop: the reverse stream's name free and a temporary slot made.
func pgReverseReady(ctx context.Context, dsn, stream string, tables []string) (string, error) {
	ev, err := PGPreflight(ctx, dsn, PGPreflightOptions{Tables: tables, Stream: stream})
	return strings.Join(ev, "; "), err
}
