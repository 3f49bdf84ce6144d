package engine

import (
	"context"
	"fmt"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// sameDatabase refuses every copy and verify step whose source and target
// are one database reached under two names (another host name, a
// symbolic link): a TRUNCATE meant for the target would empty the source.
// It compares db.Identity of both sides; a connection that did not open
// was reported already.
func (c *Conductor) sameDatabase(ctx context.Context) []error {
	ids := map[string]string{}
	identity := func(name string) (string, bool) {
		if id, ok := ids[name]; ok {
			return id, id != ""
		}
		d, err := c.database(ctx, name)
		if err != nil {
			ids[name] = ""
			return "", false
		}
		id, err := db.Identity(ctx, d)
		if err != nil {
			id = "" // unknown: nothing to compare
		}
		ids[name] = id
		return id, id != ""
	}
	var problems []error
	for _, step := range append(append([]runbooks.Step(nil), c.opts.Runbook.Steps...), c.opts.Runbook.Rollback...) {
		if step.Kind != runbooks.KindCopy && step.Kind != runbooks.KindVerify {
			continue
		}
		from, ok1 := identity(step.From)
		to, ok2 := identity(step.To)
		if ok1 && ok2 && from == to {
			problems = append(problems, fmt.Errorf("step %s: from %q and to %q are the same database (%s): a copy would read what it overwrites",
				step.ID, step.From, step.To, from))
		}
	}
	return problems
}
