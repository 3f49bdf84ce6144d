package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// dropDrillStreams removes what the drill's change streams left on the
// drill connections — a PostgreSQL source's slot and publication, the
// targets' position rows — as `tightrope cleanup` would, once the drill's
// run has ended (finished or rolled back). It runs in the drill's own
// process and past the relays (direct: the drill connections before
// them), since a relayed or cloned connection's variable lives only there:
// nothing else could reach it, and a slot left behind pins the server's
// WAL, makes the next drill of the migration fail at its cdc-start and
// keeps a clone from being dropped. A slot still active (its walsender
// not yet gone) is waited for a few seconds, then kept and said so.
func dropDrillStreams(ctx context.Context, path string, rb *runbooks.Runbook, direct []runbooks.Connection, out io.Writer) {
	events, err := journal.ReadAll(path)
	if err != nil {
		fmt.Fprintf(out, "drill: the change streams' leftovers were not checked: %s\n", safetext.Line(err.Error()))
		return
	}
	switch journal.Fold(events).Outcome {
	case journal.OutcomeFinished, journal.OutcomeRolledBack:
	default:
		return // a run that can still be taken up keeps its streams
	}
	cp := *rb
	cp.Connections = direct
	deadline := time.Now().Add(5 * time.Second)
	for {
		p := &cleanupPlan{conns: map[string]db.DB{}}
		p.planCDC(ctx, &cp, events, p.opener(ctx, &cp))
		if len(p.todo()) < len(p.items) && time.Now().Before(deadline) {
			p.close()
			time.Sleep(250 * time.Millisecond)
			continue
		}
		for _, it := range p.items {
			if it.keep != "" {
				fmt.Fprintf(out, "drill: kept %s: %s\n", safetext.Line(it.what), it.keep)
			}
		}
		for _, it := range p.todo() {
			done, err := it.do(ctx)
			if err != nil {
				fmt.Fprintf(out, "drill: FAILED to remove %s: %s\n", safetext.Line(it.what), safetext.Line(err.Error()))
				continue
			}
			fmt.Fprintf(out, "drill: %s\n", safetext.Line(done))
		}
		for _, pr := range p.problems {
			fmt.Fprintf(out, "drill: cannot check %s\n", safetext.Line(pr))
		}
		p.close()
		return
	}
}
