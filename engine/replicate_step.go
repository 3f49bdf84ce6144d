package engine

import (
	"context"
	"fmt"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// replicateStep starts native replication from → to — PostgreSQL
// logical replication or MariaDB GTID replication, as the connections'
// driver says (green frozen as a replica through the journaled freeze) —
// and proves the reverse path to → from before any switch; a replicated
// event records where the forward direction starts (the slot's LSN, or
// green's start GTID position) and every reverse check. Run again, it continues
// what is there.
func (c *Conductor) replicateStep(ctx context.Context, step runbooks.Step) error {
	p, _, err := c.openPair(ctx, step, step.ID)
	if err != nil {
		return fmt.Errorf("replicate %s → %s: %w", step.From, step.To, err)
	}
	defer p.Close(context.WithoutCancel(ctx))
	prep, err := p.Prepare(ctx)
	if err != nil {
		return fmt.Errorf("replicate %s → %s: %w", step.From, step.To, err)
	}
	c.logf(step.ID, "info", "%s → %s replicates %d tables from %s (%d ms, the initial sync included)",
		step.From, step.To, prep.Tables, prep.SlotLSN, prep.Took.Milliseconds())
	ev, err := p.CheckReverse(ctx)
	if err != nil {
		return fmt.Errorf("the way back %s → %s is not proven: %w", step.To, step.From, err)
	}
	pl := journal.ReplicatedPayload{
		From: step.From, To: step.To, Name: p.Name(), Tables: p.Tables(), Copy: step.CopyRows,
		SlotLSN: prep.SlotLSN, SlotCreated: prep.SlotCreated, PrepareMS: prep.Took.Milliseconds(),
		ReverseMS: ev.Took.Milliseconds(),
	}
	for _, ch := range ev.Checks {
		pl.Reverse = append(pl.Reverse, journal.ReverseCheck{What: ch.What, Detail: ch.Detail})
		c.logf(step.ID, "info", "reverse path: %s — %s", ch.What, ch.Detail)
	}
	_, err = c.emit(c.opts.Operator, step.ID, journal.Replicated, pl)
	return err
}
