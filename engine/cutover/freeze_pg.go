package cutover

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

// writePrivileges are the privileges a PostgreSQL freeze revokes.
const writePrivileges = "'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'"

// pgPlan returns the role tightrope connects as and every write privilege
// other roles (PUBLIC included) hold on tables. A table owned by another
// role is refused: its owner could grant the privileges back to itself.
func pgPlan(ctx context.Context, d DB, tables []string) (string, []journal.Grant, error) {
	var role string
	if err := d.SQL().QueryRowContext(ctx, `SELECT current_user::text`).Scan(&role); err != nil {
		return "", nil, err
	}
	var grants []journal.Grant
	for _, t := range tables {
		var owner string
		var own bool
		err := d.SQL().QueryRowContext(ctx, `SELECT c.relowner::regrole::text, c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
			FROM pg_class c WHERE c.oid = $1::regclass`, quoted(d, t)).Scan(&owner, &own)
		if err != nil {
			return "", nil, fmt.Errorf("table %s: %w", t, err)
		}
		if !own {
			return "", nil, fmt.Errorf("table %s is owned by role %s, which could grant its write privileges back to itself: "+
				"connect tightrope as the owner (%s) to freeze it, or make %s own it", t, owner, owner, role)
		}
		rows, err := d.SQL().QueryContext(ctx, `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END,
				a.privilege_type, a.is_grantable
			FROM pg_class c, aclexplode(c.relacl) a
			WHERE c.oid = $1::regclass AND a.privilege_type IN (`+writePrivileges+`)
			  AND a.grantee <> (SELECT oid FROM pg_roles WHERE rolname = current_user)
			ORDER BY 1, 2`, quoted(d, t))
		if err != nil {
			return "", nil, fmt.Errorf("table %s: %w", t, err)
		}
		for rows.Next() {
			g := journal.Grant{Table: t}
			if err := rows.Scan(&g.Role, &g.Privilege, &g.Grantable); err != nil {
				rows.Close()
				return "", nil, err
			}
			grants = append(grants, g)
		}
		if err := rows.Close(); err != nil {
			return "", nil, err
		}
	}
	return role, grants, nil
}

// pgApply revokes the recorded privileges and memberships and proves, in
// the same transaction, that no other login role that is not a superuser
// can still write the tables (through a column grant, a role it belongs
// to, a SECURITY DEFINER routine, a trigger, ...); then it ends the
// sessions of other roles that hold a write lock on the tables (a
// transaction that has written to them, or is writing), so nothing
// written before the freeze commits after it, and those of the members it
// took away (one may have SET ROLE to tightrope's).
func pgApply(ctx context.Context, d DB, p journal.FreezePayload) (journal.FrozenPayload, error) {
	var out journal.FrozenPayload
	tx, err := d.SQL().BeginTx(ctx, nil)
	if err != nil {
		return out, err
	}
	defer tx.Rollback()
	for _, g := range p.Revoked {
		if _, err := tx.ExecContext(ctx, "REVOKE "+g.Privilege+" ON TABLE "+quoted(d, g.Table)+" FROM "+g.Role); err != nil {
			return out, fmt.Errorf("revoke %s on %s from %s: %w", g.Privilege, g.Table, g.Role, err)
		}
	}
	if err := pgRevokeClosed(ctx, tx, p); err != nil {
		return out, err
	}
	if err := pgStillWritable(ctx, tx, d, p.Tables); err != nil {
		return out, err
	}
	if err := tx.Commit(); err != nil {
		return out, err
	}
	if out.Terminated, err = pgEndWriters(ctx, d, p.Tables); err != nil {
		return out, err
	}
	members, err := pgEndMembers(ctx, d, p)
	out.Terminated = append(out.Terminated, members...)
	if err != nil {
		return out, err
	}
	if out.Warnings, err = pgSuperusers(ctx, d); err != nil {
		return out, err
	}
	unbound, err := pgUnbound(ctx, d, p)
	out.Warnings = append(out.Warnings, unbound...)
	return out, err
}

// pgStillWritable fails when a login role other than tightrope's, not a
// superuser, can still write one of the tables.
func pgStillWritable(ctx context.Context, tx *sql.Tx, d DB, tables []string) error {
	var left []string
	for _, t := range tables {
		rows, err := tx.QueryContext(ctx, `SELECT r.rolname FROM pg_roles r
			WHERE r.rolcanlogin AND NOT r.rolsuper AND r.rolname <> current_user
			  AND (has_table_privilege(r.oid, $1::regclass, 'INSERT, UPDATE, DELETE, TRUNCATE')
			       OR has_any_column_privilege(r.oid, $1::regclass, 'INSERT, UPDATE'))
			ORDER BY 1`, quoted(d, t))
		if err != nil {
			return fmt.Errorf("table %s: %w", t, err)
		}
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				rows.Close()
				return err
			}
			left = append(left, r+" on "+t)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		views, err := pgWritableViews(ctx, tx, d, t, tables)
		if err != nil {
			return fmt.Errorf("table %s: %w", t, err)
		}
		left = append(left, views...)
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = quoted(d, t)
	}
	var problems []string
	if len(left) > 0 {
		problems = append(problems, fmt.Sprintf("after revoking the table privileges these roles could still write (a column grant, a grant made by another grantor, membership in pg_write_all_data, or a view of the table or a rule writing it — writes through them use their owner's privileges: add the view or the rule's table to the freeze's tables): %s",
			strings.Join(left, ", ")))
	}
	bypassed, err := pgStillBypassed(ctx, tx, names)
	if err != nil {
		return fmt.Errorf("checking routes around the freeze: %w", err)
	}
	if len(bypassed) > 0 {
		problems = append(problems, "these roles could still write as another role (a routine or member created since the freeze was planned?): "+strings.Join(bypassed, ", "))
	}
	unclosable, err := pgUnclosable(ctx, tx, names)
	if err != nil {
		return fmt.Errorf("checking routes around the freeze: %w", err)
	}
	problems = append(problems, unclosable...)
	if len(problems) > 0 {
		return fmt.Errorf("the freeze cannot stop every writer: %s; nothing was changed", strings.Join(problems, "; "))
	}
	return nil
}

// pgWritableViews names the login roles, neither superusers nor
// tightrope's, that may write through a view of table (a view of a view
// too), or into a table with a rule that writes it, not frozen with it:
// such a write is checked against the view's (the rule's table's) owner's
// privileges on the table — tightrope's own, the table's owner — so
// revoking the table's privileges does not stop it.
func pgWritableViews(ctx context.Context, tx *sql.Tx, d DB, table string, frozen []string) ([]string, error) {
	names := make([]string, len(frozen))
	for i, t := range frozen {
		names[i] = quoted(d, t)
	}
	rows, err := tx.QueryContext(ctx, `WITH RECURSIVE views(oid) AS (
			SELECT r.ev_class FROM pg_depend dep JOIN pg_rewrite r ON r.oid = dep.objid
			WHERE dep.classid = 'pg_rewrite'::regclass AND dep.refclassid = 'pg_class'::regclass
			  AND dep.refobjid = $1::regclass AND r.ev_class <> $1::regclass
			UNION
			SELECT r.ev_class FROM views v JOIN pg_depend dep ON dep.refobjid = v.oid
			  AND dep.classid = 'pg_rewrite'::regclass AND dep.refclassid = 'pg_class'::regclass
			JOIN pg_rewrite r ON r.oid = dep.objid AND r.ev_class <> v.oid)
		SELECT DISTINCT ro.rolname::text, CASE c.relkind WHEN 'v' THEN 'view ' ELSE 'a rule of table ' END || c.oid::regclass::text
		FROM views v JOIN pg_class c ON c.oid = v.oid, pg_roles ro
		WHERE c.relkind IN ('v', 'r', 'p') AND ro.rolcanlogin AND NOT ro.rolsuper AND ro.rolname <> current_user
		  AND c.oid <> ALL (ARRAY(SELECT x::regclass::oid FROM unnest($2::text[]) x))
		  AND (has_table_privilege(ro.oid, c.oid, 'INSERT, UPDATE, DELETE') OR has_any_column_privilege(ro.oid, c.oid, 'INSERT, UPDATE'))
		ORDER BY 1, 2`, quoted(d, table), names)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var role, view string
		if err := rows.Scan(&role, &view); err != nil {
			return nil, err
		}
		out = append(out, role+" on "+table+" through "+view)
	}
	return out, rows.Err()
}

// pgEndWriters terminates the sessions of other roles on this database
// holding a lock of ROW EXCLUSIVE or stronger (taken by INSERT, UPDATE,
// DELETE, TRUNCATE and DDL, and held to the end of the transaction) on one
// of the tables, and waits until they are gone.
func pgEndWriters(ctx context.Context, d DB, tables []string) ([]journal.Backend, error) {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = quoted(d, t)
	}
	return pgTerminate(ctx, d, `SELECT a.pid, coalesce(a.usename, ''), coalesce(a.application_name, ''), pg_terminate_backend(a.pid)
		FROM pg_stat_activity a
		WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
		  AND a.usename IS DISTINCT FROM current_user
		  AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid
		      AND l.mode NOT IN ('AccessShareLock', 'RowShareLock')
		      AND l.relation = ANY (ARRAY(SELECT x::regclass::oid FROM unnest($1::text[]) x)))`, names)
}

// pgTerminate runs query, which terminates sessions and returns their
// pid, role, application and pg_terminate_backend's answer, and waits
// until they are gone.
func pgTerminate(ctx context.Context, d DB, query string, arg []string) ([]journal.Backend, error) {
	rows, err := d.SQL().QueryContext(ctx, query, arg)
	if err != nil {
		return nil, fmt.Errorf("ending sessions: %w", err)
	}
	var ended []journal.Backend
	var pids []int64
	for rows.Next() {
		var b journal.Backend
		var ok bool
		if err := rows.Scan(&b.PID, &b.Role, &b.App, &ok); err != nil {
			rows.Close()
			return nil, err
		}
		ended = append(ended, b)
		pids = append(pids, b.PID)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(pids) == 0 {
		return nil, nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := d.SQL().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int8[])`, pids).Scan(&n); err != nil {
			return ended, err
		}
		if n == 0 {
			return ended, nil
		}
		if time.Now().After(deadline) {
			return ended, errors.New("sessions were told to end and are still there after 10s")
		}
		select {
		case <-ctx.Done():
			return ended, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// pgSuperusers warns of superuser sessions of other roles on the
// database: privileges do not bind a superuser.
func pgSuperusers(ctx context.Context, d DB) ([]string, error) {
	rows, err := d.SQL().QueryContext(ctx, `SELECT DISTINCT a.usename FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename
		WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND r.rolsuper AND a.usename <> current_user ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("role %s is connected and is a superuser: privileges do not bind it", r))
	}
	return out, rows.Err()
}

// pgGrant grants back the recorded privileges and memberships, in one
// transaction.
func pgGrant(ctx context.Context, d DB, p journal.FreezePayload) error {
	tx, err := d.SQL().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := pgGrantClosed(ctx, tx, p); err != nil {
		return err
	}
	for _, g := range p.Revoked {
		q := "GRANT " + g.Privilege + " ON TABLE " + quoted(d, g.Table) + " TO " + g.Role
		if g.Grantable {
			q += " WITH GRANT OPTION"
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("grant %s on %s to %s: %w", g.Privilege, g.Table, g.Role, err)
		}
	}
	return tx.Commit()
}

// CheckOwned fails, before a run starts, when a PostgreSQL freeze of
// tables would be refused: one that exists is owned by a role other than
// the one tightrope connects as. Tables not there yet (created by a copy)
// are judged when the freeze runs; other engines have nothing to check.
func CheckOwned(ctx context.Context, d DB, tables []string) error {
	if d.Driver() != db.Postgres {
		return nil
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = quoted(d, t)
	}
	rows, err := d.SQL().QueryContext(ctx, `SELECT u.i, c.relowner::regrole::text FROM unnest($1::text[]) WITH ORDINALITY u(x, i)
		JOIN pg_class c ON c.oid = to_regclass(u.x)
		WHERE c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) ORDER BY 1`, names)
	if err != nil {
		return err
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var i int
		var owner string
		if err := rows.Scan(&i, &owner); err != nil {
			return err
		}
		bad = append(bad, tables[i-1]+" (owner "+owner+")")
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("a freeze needs tightrope to connect as the owner of the tables it freezes (an owner could grant itself back): %s", strings.Join(bad, ", "))
	}
	return nil
}

// CheckBypasses fails, before a run starts, when a PostgreSQL freeze of
// tables would be refused for a route around it: one it cannot close
// (pg_write_all_data, a SECURITY DEFINER trigger or event trigger, a
// cascading foreign key), or a SECURITY DEFINER routine or membership in
// tightrope's role it could not give back exactly. MySQL and MariaDB have
// nothing to check (see Unbound).
func CheckBypasses(ctx context.Context, d DB, tables []string) error {
	if d.Driver() != db.Postgres {
		return nil
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = quoted(d, t)
	}
	problems, err := pgUnclosable(ctx, d.SQL(), names)
	if err != nil {
		return err
	}
	if _, err := pgPlanExecutes(ctx, d.SQL()); err != nil {
		problems = append(problems, err.Error())
	}
	if _, err := pgPlanMembers(ctx, d.SQL()); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("the freeze would be refused: %s", strings.Join(problems, "; "))
	}
	return nil
}
