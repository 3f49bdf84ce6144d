package cutover

import (
	"context"
	"fmt"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

// Plan reads what freezing tables on d would change, changing nothing:
// PostgreSQL, every write privilege on them held by a role other than the
// one tightrope connects as, every EXECUTE privilege on a SECURITY DEFINER
// routine whose owner keeps writing them, and every membership in
// tightrope's role; MySQL/MariaDB, the global read_only values
// the freeze replaces. The conductor journals it before Apply.
func Plan(ctx context.Context, d DB, tables []string) (journal.FreezePayload, error) {
	p := journal.FreezePayload{Driver: d.Driver(), Tables: tables}
	switch d.Driver() {
	case db.Postgres:
		p.Method = journal.FreezeRevoke
		role, grants, err := pgPlan(ctx, d, tables)
		p.Role, p.Revoked = role, grants
		if err != nil {
			return p, err
		}
		if p.Executes, err = pgPlanExecutes(ctx, d.SQL()); err != nil {
			return p, err
		}
		p.Members, err = pgPlanMembers(ctx, d.SQL())
		return p, err
	case db.MySQL:
		p.Method = journal.FreezeReadOnly
		var err error
		p.PrevReadOnly, p.PrevSuperReadOnly, err = myReadOnly(ctx, d)
		return p, err
	}
	return p, fmt.Errorf("%s cannot be frozen: freeze needs postgres or mysql", d.Driver())
}

// Apply stops the writes p records and returns what it did (Conn and Of are
// the caller's). Applying a record again (a resumed run) is harmless.
// lockWait bounds how long MySQL waits for open writing transactions
// before read_only takes hold.
func Apply(ctx context.Context, d DB, p journal.FreezePayload, lockWait time.Duration) (journal.FrozenPayload, error) {
	start := time.Now()
	var out journal.FrozenPayload
	var err error
	switch p.Method {
	case journal.FreezeRevoke:
		out, err = pgApply(ctx, d, p)
	case journal.FreezeReadOnly:
		out, err = myApply(ctx, d, p, lockWait)
	default:
		err = fmt.Errorf("unknown freeze method %q", p.Method)
	}
	out.DurationMS = time.Since(start).Milliseconds()
	return out, err
}

// Undo gives back exactly what p took: the revoked privileges and
// memberships, or the read_only values it replaced. Undoing twice is
// undoing once.
func Undo(ctx context.Context, d DB, p journal.FreezePayload) error {
	switch p.Method {
	case journal.FreezeRevoke:
		return pgGrant(ctx, d, p)
	case journal.FreezeReadOnly:
		return mySetReadOnly(ctx, d, p.PrevReadOnly, p.PrevSuperReadOnly)
	}
	return fmt.Errorf("unknown freeze method %q", p.Method)
}
