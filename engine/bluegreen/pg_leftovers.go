package bluegreen

import (
	"context"
	"database/sql"
	"fmt"
)

// pgLeftovers lists which of pair name's subscriptions, slots and
// publication are in d's database (tightrope cleanup).
func pgLeftovers(ctx context.Context, d *sql.DB, name string) ([]string, error) {
	cfg := Config{Name: name}
	var out []string
	for _, sub := range []string{cfg.ForwardName(), cfg.ReverseName(), cfg.probeName()} {
		var nsub, nslot int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`, sub).Scan(&nsub); err != nil {
			return nil, fmt.Errorf("reading its subscriptions: %w", err)
		}
		if nsub > 0 {
			out = append(out, "subscription "+sub)
		}
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()`, sub).Scan(&nslot); err != nil {
			return nil, fmt.Errorf("reading its replication slots: %w", err)
		}
		if nslot > 0 {
			out = append(out, "replication slot "+sub)
		}
	}
	var npub int
	if err := d.QueryRowContext(ctx, "SELECT count(*) FROM pg_publication WHERE pubname = $1", cfg.publication()).Scan(&npub); err != nil {
		return nil, fmt.Errorf("reading its publications: %w", err)
	}
	if npub > 0 {
		out = append(out, "publication "+cfg.publication())
	}
	return out, nil
}
