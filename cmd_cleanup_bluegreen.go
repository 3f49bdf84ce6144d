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
// either side — PostgreSQL subscriptions, slots and publications, MariaDB
// replica connections (bluegreen.Leftovers) — removed together by the
// pair's Teardown.
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
		var found []string
		for _, side := range []string{r.From, r.To} {
			d := open(side)
			if d == nil {
				continue
			}
			objs, err := bluegreen.Leftovers(ctx, d.Driver(), d.SQL(), r.Name)
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
				return fmt.Sprintf("tore down blue-green pair %s (its replication objects on %s and %s)", r.Name, r.From, r.To), teardownPair(ctx, rb, r)
			},
		})
	}
}

// teardownPair opens the pair as the replicate step did and tears it down.
func teardownPair(ctx context.Context, rb *runbooks.Runbook, r journal.ReplicatedPayload) error {
	side := func(name string) (bluegreen.Side, error) {
		conn, ok := rb.Connection(name)
		if !ok {
			return bluegreen.Side{}, fmt.Errorf("the runbook has no connection %q", name)
		}
		s := bluegreen.Side{Name: name, Driver: conn.Driver, DSN: os.Getenv(conn.DSNEnv)}
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
