package bluegreen

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tightrope/tightrope/engine/cutover"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestFreezeWarnsOfASubscription: a subscription applies changes into
// the tables it replicates as its owner, which no REVOKE stops. A freeze
// of green (made again, outside the pair: nothing left to revoke) warns of the pair's forward
// subscription by name; the pair's own freeze of its replica (Pair) does
// not — that subscription is the one writer meant to stay.
func TestFreezeWarnsOfASubscription(t *testing.T) {
	ctx := dbtest.Ctx(t)
	w := newWorld(t, 10, 5)
	if _, err := w.open(t).Prepare(ctx); err != nil { // the forward subscription, green frozen as a replica
		t.Fatal(err)
	}
	c, err := pgx.ParseConfig(w.green)
	if err != nil {
		t.Fatal(err)
	}
	pool := stdlib.OpenDB(*c)
	defer pool.Close()
	d := pgSQL{pool}
	for _, pair := range []bool{false, true} {
		plan, err := cutover.Plan(ctx, d, []string{"items"})
		if err != nil {
			t.Fatal(err)
		}
		plan.Pair = pair
		frozen, err := cutover.Apply(ctx, d, plan, 0)
		if err != nil {
			t.Fatal(err)
		}
		warned := strings.Contains(strings.Join(frozen.Warnings, "\n"), "subscription "+w.cfg.ForwardName()+" (owner postgres) applies changes into items")
		if warned == pair {
			t.Errorf("pair %v: warnings %q; want the subscription %s named only outside the pair", pair, frozen.Warnings, w.cfg.ForwardName())
		}
		if err := cutover.Undo(ctx, d, plan); err != nil {
			t.Fatal(err)
		}
	}
}
