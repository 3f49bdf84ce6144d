package cutover

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tightrope/tightrope/journal"
)

// Routes around a PostgreSQL freeze's REVOKEs that write as another role:
// a SECURITY DEFINER routine runs as its owner, and a member of
// tightrope's role writes as tightrope. The freeze closes both — it
// revokes EXECUTE on such routines from every grantee (PUBLIC too) and
// every membership in its role — journaled in the freeze record before
// they are applied and given back exactly by the unfreeze. What it cannot
// take back exactly, or at all, it refuses (pgUnclosable).

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// meSQL is the oid of the role tightrope connects as.
const meSQL = `(SELECT oid FROM pg_roles WHERE rolname = current_user)`

// otherLoginSQL is true for a role that can log in and is bound by
// privileges: neither a superuser nor tightrope's own.
func otherLoginSQL(r string) string {
	return r + `.rolcanlogin AND NOT ` + r + `.rolsuper AND ` + r + `.rolname <> current_user`
}

// keepsWritingSQL is true for a role oid that can still write the frozen
// tables once the freeze holds: tightrope's own role, a superuser, an
// heir of pg_write_all_data.
func keepsWritingSQL(oid string) string {
	return `(` + oid + ` = ` + meSQL + ` OR (SELECT rolsuper FROM pg_roles WHERE oid = ` + oid + `)
		OR coalesce(pg_has_role(` + oid + `, to_regrole('pg_write_all_data'), 'USAGE'), false))`
}

// writesSQL is true when role oid may write the relation oid rel.
func writesSQL(role, rel string) string {
	return `(has_table_privilege(` + role + `, ` + rel + `, 'INSERT, UPDATE, DELETE, TRUNCATE')
		OR has_any_column_privilege(` + role + `, ` + rel + `, 'INSERT, UPDATE'))`
}

// frozenSQL is the array of the frozen tables' oids, from the text array
// $n of their quoted names (tables not there yet are left out).
func frozenSQL(n int) string {
	return fmt.Sprintf(`ARRAY(SELECT to_regclass(x)::oid FROM unnest($%d::text[]) x WHERE to_regclass(x) IS NOT NULL)`, n)
}

// closedSQL is the set of routine oids whose EXECUTE the freeze takes
// away, writes(owner) telling which owners write the frozen tables: the
// SECURITY DEFINER routines with such an owner, and the aggregates using
// one as a support function (an aggregate's support functions are
// checked against the aggregate's owner, not its caller).
func closedSQL(writes func(owner string) string) string {
	return `(SELECT p.oid FROM pg_proc p WHERE p.prosecdef AND ` + writes("p.proowner") + `
		UNION
		SELECT g.aggfnoid::oid FROM pg_aggregate g JOIN pg_proc p ON p.oid IN (g.aggtransfn::oid, g.aggfinalfn::oid, g.aggcombinefn::oid,
			g.aggserialfn::oid, g.aggdeserialfn::oid, g.aggmtransfn::oid, g.aggminvtransfn::oid, g.aggmfinalfn::oid)
		WHERE p.prosecdef AND ` + writes("p.proowner") + `)`
}

// pgPlanExecutes lists every EXECUTE privilege, but the owner's and
// tightrope's, on the SECURITY DEFINER routines (functions and
// procedures) of the database whose owner keeps writing after the freeze,
// and on the aggregates using one. Whichever table such a routine writes,
// whoever may call it writes as its owner — a body cannot be read for the
// tables it touches (dynamic SQL), so every one is closed. Refused: a
// routine tightrope cannot revoke from (owned by another role, tightrope
// not a superuser), and a grant made by a role other than the owner (the
// unfreeze could not make it again as that grantor).
func pgPlanExecutes(ctx context.Context, q querier) ([]journal.Execute, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.oid::regprocedure::text, p.proowner::regrole::text,
			CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END, a.is_grantable,
			a.grantor = p.proowner, p.proowner = `+meSQL+` OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
			a.grantor::regrole::text
		FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
		WHERE p.oid IN `+closedSQL(keepsWritingSQL)+`
		  AND a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner AND a.grantee <> `+meSQL+`
		ORDER BY 1, 3`)
	if err != nil {
		return nil, fmt.Errorf("reading SECURITY DEFINER routines: %w", err)
	}
	defer rows.Close()
	var out []journal.Execute
	var refused []string
	for rows.Next() {
		var e journal.Execute
		var owner, grantor string
		var byOwner, mine bool
		if err := rows.Scan(&e.Routine, &owner, &e.Role, &e.Grantable, &byOwner, &mine, &grantor); err != nil {
			return nil, err
		}
		switch {
		case !mine:
			refused = append(refused, fmt.Sprintf("%s (owner %s, callable by %s): tightrope cannot revoke EXECUTE on a routine another role owns — "+
				"REVOKE EXECUTE ON ROUTINE %s FROM %s for the cutover, or connect tightrope as %s", e.Routine, owner, e.Role, e.Routine, e.Role, owner))
		case !byOwner:
			refused = append(refused, fmt.Sprintf("%s: EXECUTE was granted to %s by %s, not by the owner %s, so the unfreeze could not grant it back exactly — "+
				"revoke it and have %s grant it", e.Routine, e.Role, grantor, owner, owner))
		default:
			out = append(out, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("SECURITY DEFINER routines run as an owner that keeps writing the frozen tables, so whoever may call one writes them; "+
			"the freeze revokes EXECUTE on them and cannot for: %s", strings.Join(refused, "; "))
	}
	return out, nil
}

// pgVersion is the server's version number (150004 for 15.4).
func pgVersion(ctx context.Context, q querier) (int, error) {
	rows, err := q.QueryContext(ctx, `SELECT current_setting('server_version_num')::int`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var v int
	if rows.Next() {
		err = rows.Scan(&v)
	}
	if err == nil {
		err = rows.Err()
	}
	return v, err
}

// pgPlanMembers lists every membership in tightrope's own role: a member
// writes what tightrope may (INHERIT), or becomes it (SET ROLE). Refused:
// any, when tightrope may not take memberships in its role away (it needs
// to be a superuser, have CREATEROLE before PostgreSQL 16, or hold ADMIN
// OPTION on its role); a membership whose grantor is gone, or one granted
// by another role while tightrope is not a superuser (only a superuser
// may grant it back in that grantor's name).
func pgPlanMembers(ctx context.Context, q querier) ([]journal.Membership, error) {
	v, err := pgVersion(ctx, q)
	if err != nil {
		return nil, err
	}
	opts := `NULL::bool, NULL::bool`
	if v >= 160000 {
		opts = `m.inherit_option, m.set_option`
	}
	rows, err := q.QueryContext(ctx, `SELECT m.roleid::regrole::text, m.member::regrole::text, m.grantor::regrole::text, m.admin_option, `+opts+`,
			EXISTS (SELECT 1 FROM pg_roles g WHERE g.oid = m.grantor),
			m.grantor = `+meSQL+` OR me.rolsuper,
			me.rolsuper OR (me.rolcreaterole AND $1 < 160000) OR pg_has_role(me.oid, me.oid, 'USAGE WITH ADMIN OPTION'),
			`+seesSessionsSQL+`
		FROM pg_auth_members m, pg_roles me WHERE me.rolname = current_user AND m.roleid = me.oid ORDER BY 2, 3`, v)
	if err != nil {
		return nil, fmt.Errorf("reading the members of tightrope's role: %w", err)
	}
	defer rows.Close()
	var out []journal.Membership
	var refused []string
	for rows.Next() {
		var m journal.Membership
		var inherit, set sql.NullBool
		var grantorThere, mine, admin, sees bool
		if err := rows.Scan(&m.Role, &m.Member, &m.Grantor, &m.Admin, &inherit, &set, &grantorThere, &mine, &admin, &sees); err != nil {
			return nil, err
		}
		if inherit.Valid {
			m.Inherit, m.Set = &inherit.Bool, &set.Bool
		}
		switch {
		case !admin:
			refused = append(refused, fmt.Sprintf("%s (tightrope's role %s may not take memberships in itself away: it needs to be a superuser, have CREATEROLE before PostgreSQL 16, or hold ADMIN OPTION on itself)", m.Member, m.Role))
		case !sees:
			refused = append(refused, fmt.Sprintf("%s (tightrope's role %s could not end a session of it that ran SET ROLE %s before the freeze: grant it pg_signal_backend and pg_read_all_stats)", m.Member, m.Role, m.Role))
		case !grantorThere:
			refused = append(refused, fmt.Sprintf("%s (granted by a role since dropped)", m.Member))
		case !mine:
			refused = append(refused, fmt.Sprintf("%s (granted by %s; only a superuser may grant it back in %s's name)", m.Member, m.Grantor, m.Grantor))
		default:
			out = append(out, m)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("a member of tightrope's role writes the frozen tables as tightrope; the freeze takes the membership away and gives it back exactly, "+
			"and cannot for: %s — REVOKE the membership for the cutover, or run tightrope as a superuser", strings.Join(refused, ", "))
	}
	return out, nil
}

// seesSessionsSQL is true when tightrope's role may see and end other
// roles' sessions (a superuser, or pg_read_all_stats and
// pg_signal_backend): without them pg_stat_activity hides which database
// and locks a session has, and pg_terminate_backend is refused.
const seesSessionsSQL = `((SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
	OR (pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AND pg_has_role(current_user, 'pg_signal_backend', 'USAGE')))`

// pgRevokeClosed takes away the recorded EXECUTE privileges and
// memberships in tx; taking away what is gone already is harmless.
func pgRevokeClosed(ctx context.Context, tx *sql.Tx, p journal.FreezePayload) error {
	for _, e := range p.Executes {
		if _, err := tx.ExecContext(ctx, "REVOKE EXECUTE ON ROUTINE "+e.Routine+" FROM "+e.Role); err != nil {
			return fmt.Errorf("revoke EXECUTE on %s from %s: %w", e.Routine, e.Role, err)
		}
	}
	for _, m := range p.Members {
		q := "REVOKE " + m.Role + " FROM " + m.Member
		if m.Inherit != nil { // 16+: one membership per grantor
			q += " GRANTED BY " + m.Grantor
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("revoke membership of %s in %s: %w", m.Member, m.Role, err)
		}
	}
	return nil
}

// pgGrantClosed gives back in tx the EXECUTE privileges and memberships
// p recorded, as they were.
func pgGrantClosed(ctx context.Context, tx *sql.Tx, p journal.FreezePayload) error {
	for _, m := range p.Members {
		q := "GRANT " + m.Role + " TO " + m.Member
		switch {
		case m.Inherit != nil:
			q += fmt.Sprintf(" WITH ADMIN %t, INHERIT %t, SET %t", m.Admin, *m.Inherit, m.Set != nil && *m.Set)
		case m.Admin:
			q += " WITH ADMIN OPTION"
		}
		q += " GRANTED BY " + m.Grantor
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("grant membership of %s in %s back: %w", m.Member, m.Role, err)
		}
	}
	for _, e := range p.Executes {
		q := "GRANT EXECUTE ON ROUTINE " + e.Routine + " TO " + e.Role
		if e.Grantable {
			q += " WITH GRANT OPTION"
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("grant EXECUTE on %s to %s back: %w", e.Routine, e.Role, err)
		}
	}
	return nil
}

// pgStillBypassed names, after the freeze's revokes in tx, the login
// roles (neither superusers nor tightrope's) that can still write the
// tables as another role: a member of tightrope's role, a caller of a
// SECURITY DEFINER routine whose owner may write them.
func pgStillBypassed(ctx context.Context, tx *sql.Tx, names []string) ([]string, error) {
	return strs(ctx, tx, `SELECT ro.rolname || ' by becoming tightrope''s role ' || current_user || ' (a member of it)'
		FROM pg_roles ro WHERE `+otherLoginSQL("ro")+` AND pg_has_role(ro.oid, `+meSQL+`, 'MEMBER')
		UNION ALL
		SELECT DISTINCT ro.rolname || ' through SECURITY DEFINER routine ' || p.oid::regprocedure::text
		FROM pg_proc p, pg_roles ro
		WHERE p.oid IN `+closedSQL(func(owner string) string {
		return `EXISTS (SELECT 1 FROM unnest(` + frozenSQL(1) + `) t WHERE ` + writesSQL(owner, "t") + `)`
	})+` AND `+otherLoginSQL("ro")+` AND has_function_privilege(ro.oid, p.oid, 'EXECUTE')
		ORDER BY 1`, names)
}

// pgEndMembers terminates the sessions on this database of the roles
// whose membership in tightrope's role the freeze took away, and of their
// own members: one that ran SET ROLE before the freeze still acts as
// tightrope. It waits until they are gone.
func pgEndMembers(ctx context.Context, d DB, p journal.FreezePayload) ([]journal.Backend, error) {
	if len(p.Members) == 0 {
		return nil, nil
	}
	members := make([]string, len(p.Members))
	for i, m := range p.Members {
		members[i] = m.Member
	}
	return pgTerminate(ctx, d, `SELECT a.pid, coalesce(a.usename, ''), coalesce(a.application_name, ''), pg_terminate_backend(a.pid)
		FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid
		WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
		  AND r.rolname <> current_user AND NOT r.rolsuper
		  AND EXISTS (SELECT 1 FROM unnest($1::text[]) m WHERE to_regrole(m) IS NOT NULL AND pg_has_role(r.oid, to_regrole(m), 'MEMBER'))`, members)
}

// strs runs a query of one text column and returns its rows.
func strs(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
