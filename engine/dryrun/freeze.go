package dryrun

import (
	"context"
	"strings"

	"github.com/tightrope/tightrope/engine/cutover"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// freezeStep prints what a freeze would change as the connection stands
// now, read without changing anything: the exact privileges it would
// revoke, or the read_only it would replace.
func (r *run) freezeStep(ctx context.Context, st runbooks.Step) {
	p := r.p
	d, err := r.database(ctx, st.On)
	if err != nil {
		r.problem(err)
		return
	}
	tables := st.Tables
	if len(tables) == 0 {
		var all bool
		tables, all = r.opts.Runbook.FreezeTables(st)
		if st.All || all {
			if tables, err = d.Tables(ctx); err != nil {
				r.problem(err)
				return
			}
		}
	}
	plan, err := cutover.Plan(ctx, d, tables)
	if err != nil {
		r.problem(err)
		return
	}
	switch plan.Method {
	case journal.FreezeRevoke:
		p.line(1, "on %s, tables %s, the freeze would run (journaled first, given back exactly by an unfreeze or a rollback):", st.On, strings.Join(tables, ", "))
		if len(plan.Revoked) == 0 {
			p.line(2, "nothing to revoke: no role but %s may write these tables now", plan.Role)
		}
		for _, g := range plan.Revoked {
			p.line(2, "REVOKE %s ON TABLE %s FROM %s;", g.Privilege, g.Table, g.Role)
		}
		for _, e := range plan.Executes {
			p.line(2, "REVOKE EXECUTE ON ROUTINE %s FROM %s; (SECURITY DEFINER: callers write as its owner)", e.Routine, e.Role)
		}
		for _, m := range plan.Members {
			p.line(2, "REVOKE %s FROM %s; (a member writes as %s)", m.Role, m.Member, m.Role)
		}
		p.line(1, "then ends the sessions of other roles holding a write lock on them; %s keeps writing", plan.Role)
	case journal.FreezeReadOnly:
		p.line(1, "on %s: SET GLOBAL read_only = 1 (now %s)", st.On, plan.PrevReadOnly)
		if plan.PrevSuperReadOnly != "" {
			p.line(1, "and SET GLOBAL super_read_only = 1 (now %s)", plan.PrevSuperReadOnly)
		}
	}
}
