package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/tightrope/tightrope/engine/bluegreen"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// planBlueGreen adds, for every pair a replicate step set up (the
// journal's `replicated` events), the pair's replication objects still on
// either side — subscriptions, slots and publications — removed together
// by bluegreen.Pair.Teardown.
func (p *cleanupPlan) planBlueGreen(ctx context.Context, rb *runbooks.Runbook, events []journal.Event, open func(string) db.DB) {
	seen := map[string]bool{}
	for _, e := range events {
		if e.Type != journal.Replicated {
			continue
		}
		pl, err := journal.Decode(e)
		if err != nil {
			continue
		}
		r, ok := pl.(journal.ReplicatedPayload)
		if !ok || seen[r.Name] {
			continue
		}
		seen[r.Name] = true
		cfg := bluegreen.Config{Name: r.Name}
		subs := []string{cfg.ForwardName(), cfg.ReverseName(), "tr_" + r.Name + "_probe"}
		var found []string
		for _, side := range []string{r.From, r.To} {
			d := open(side)
			if d == nil {
				continue
			}
			objs, err := pairObjects(ctx, d, "tr_"+r.Name, subs)
			if err != nil {
				p.problems = append(p.problems, fmt.Sprintf("connection %s: %v", side, err))
				continue
			}
			if len(objs) > 0 {
				found = append(found, fmt.Sprintf("%s on %s (%s)", strings.Join(objs, ", "), side, d.Describe()))
			}
		}
		if len(found) == 0 {
			continue
		}
		p.items = append(p.items, cleanupItem{
			what: fmt.Sprintf("blue-green pair %s (%s → %s): %s", r.Name, r.From, r.To, strings.Join(found, "; ")),
			do: func(ctx context.Context) (string, error) {
				return fmt.Sprintf("tore down blue-green pair %s (subscriptions, slots and publications on %s and %s)", r.Name, r.From, r.To), teardownPair(ctx, rb, r)
			},
		})
	}
}

// pairObjects lists which of the pair's objects are in d's database.
func pairObjects(ctx context.Context, d db.DB, pub string, subs []string) ([]string, error) {
	var out []string
	for _, name := range subs {
		var nsub, nslot int
		if err := d.SQL().QueryRowContext(ctx, `SELECT count(*) FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`, name).Scan(&nsub); err != nil {
			return nil, fmt.Errorf("reading its subscriptions: %w", err)
		}
		if nsub > 0 {
			out = append(out, "subscription "+name)
		}
		if err := d.SQL().QueryRowContext(ctx, `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()`, name).Scan(&nslot); err != nil {
			return nil, fmt.Errorf("reading its replication slots: %w", err)
		}
		if nslot > 0 {
			out = append(out, "replication slot "+name)
		}
	}
	var npub int
	if err := d.SQL().QueryRowContext(ctx, "SELECT count(*) FROM pg_publication WHERE pubname = $1", pub).Scan(&npub); err != nil {
		return nil, fmt.Errorf("reading its publications: %w", err)
	}
	if npub > 0 {
		out = append(out, "publication "+pub)
	}
	return out, nil
}

// teardownPair opens the pair as the replicate step did and tears it down.
func teardownPair(ctx context.Context, rb *runbooks.Runbook, r journal.ReplicatedPayload) error {
	side := func(name string) (bluegreen.Side, error) {
		conn, ok := rb.Connection(name)
		if !ok {
			return bluegreen.Side{}, fmt.Errorf("the runbook has no connection %q", name)
		}
		s := bluegreen.Side{Name: name, DSN: os.Getenv(conn.DSNEnv)}
		if s.DSN == "" {
			return s, fmt.Errorf("connection %q: environment variable %s is empty or not set", name, conn.DSNEnv)
		}
		return s, nil
	}
	blue, err := side(r.From)
	if err != nil {
		return err
	}
	green, err := side(r.To)
	if err != nil {
		return err
	}
	pair, err := bluegreen.Open(ctx, bluegreen.Config{Name: r.Name, Blue: blue, Green: green, Tables: r.Tables})
	if err != nil {
		return err
	}
	defer pair.Close(context.Background())
	return pair.Teardown(ctx)
}
