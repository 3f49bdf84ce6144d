package cutover

import (
	"context"

	"github.com/tightrope/tightrope/journal"
)

// What no REVOKE of a PostgreSQL freeze can close: refused
// (pgUnclosable, in the freeze's proof and in pre-flight) or warned of
// (pgUnbound, in writes_frozen).

// pgUnclosable names what lets a login role (neither a superuser nor
// tightrope's) write the tables whatever the freeze revokes, each with
// what to do; the freeze refuses them, and pre-flight reports them:
//   - membership in pg_write_all_data (INHERIT or SET ROLE): it writes
//     every table of every database, and taking it away is a cluster-wide
//     change needing a superuser;
//   - an enabled trigger, on a table not frozen (which a role may write
//     directly or through a view), whose function is SECURITY DEFINER
//     with an owner that keeps writing: a trigger's function is not
//     checked for EXECUTE when it fires, so revoking EXECUTE does not stop
//     it, and disabling it would silently change what writes to that
//     table do;
//   - an enabled event trigger whose function is such a routine: any
//     role's DDL fires it;
//   - a foreign key of a frozen table ON DELETE/UPDATE CASCADE, SET NULL
//     or SET DEFAULT referencing a table not frozen: an update or delete
//     there cascades into the frozen table as its owner;
//   - such a definer function used where PostgreSQL calls it without
//     checking the caller's EXECUTE (a type's I/O or range function, an
//     operator class's support function, an operator's selectivity
//     estimator, a conversion, a language or wrapper handler, ...).
func pgUnclosable(ctx context.Context, q querier, names []string) ([]string, error) {
	return strs(ctx, q, `SELECT 'role ' || ro.rolname || ' is a member of pg_write_all_data, which writes every table and which a freeze does not take away (that needs a superuser and stops its writes everywhere): REVOKE pg_write_all_data FROM ' || quote_ident(ro.rolname) || ' for the cutover'
		FROM pg_roles ro WHERE `+otherLoginSQL("ro")+` AND to_regrole('pg_write_all_data') IS NOT NULL
		  AND pg_has_role(ro.oid, to_regrole('pg_write_all_data'), 'MEMBER')
		UNION ALL
		SELECT 'trigger ' || quote_ident(tg.tgname) || ' on ' || c.oid::regclass::text || ' runs SECURITY DEFINER function ' || p.oid::regprocedure::text
			|| ' as ' || p.proowner::regrole::text || ', which keeps writing the frozen tables, whenever a role ('
			|| coalesce((SELECT string_agg(ro.rolname, ', ' ORDER BY ro.rolname) FROM pg_roles ro WHERE `+otherLoginSQL("ro")+` AND `+writesSQL("ro.oid", "c.oid")+`), 'through a view, say')
			|| ') writes ' || c.oid::regclass::text || ' (a trigger''s function is not checked for EXECUTE): add ' || c.oid::regclass::text
			|| ' to the freeze''s tables, or ALTER TABLE ' || c.oid::regclass::text || ' DISABLE TRIGGER ' || quote_ident(tg.tgname) || ' for the cutover'
		FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_proc p ON p.oid = tg.tgfoid
		WHERE NOT tg.tgisinternal AND tg.tgenabled <> 'D' AND p.prosecdef AND `+keepsWritingSQL("p.proowner")+`
		  AND c.oid <> ALL (`+frozenSQL(1)+`)
		UNION ALL
		SELECT 'event trigger ' || quote_ident(e.evtname) || ' runs SECURITY DEFINER function ' || p.oid::regprocedure::text || ' as '
			|| p.proowner::regrole::text || ', which keeps writing the frozen tables, on any role''s DDL: ALTER EVENT TRIGGER '
			|| quote_ident(e.evtname) || ' DISABLE for the cutover'
		FROM pg_event_trigger e JOIN pg_proc p ON p.oid = e.evtfoid
		WHERE e.evtenabled <> 'D' AND p.prosecdef AND `+keepsWritingSQL("p.proowner")+`
		UNION ALL
		SELECT 'foreign key ' || quote_ident(k.conname) || ' of ' || k.conrelid::regclass::text || ' cascades an update or delete of '
			|| k.confrelid::regclass::text || ' (which '
			|| coalesce((SELECT string_agg(ro.rolname, ', ' ORDER BY ro.rolname) FROM pg_roles ro WHERE `+otherLoginSQL("ro")+`
			    AND (has_table_privilege(ro.oid, k.confrelid, 'UPDATE, DELETE') OR has_any_column_privilege(ro.oid, k.confrelid, 'UPDATE'))), 'a role')
			|| ' may change) into it as its owner: add ' || k.confrelid::regclass::text || ' to the freeze''s tables'
		FROM pg_constraint k
		WHERE k.contype = 'f' AND k.conrelid = ANY (`+frozenSQL(1)+`) AND k.confrelid <> ALL (`+frozenSQL(1)+`)
		  AND (k.confdeltype IN ('c', 'n', 'd') OR k.confupdtype IN ('c', 'n', 'd'))
		UNION ALL
		SELECT 'SECURITY DEFINER function ' || p.oid::regprocedure::text || ' runs as ' || p.proowner::regrole::text
			|| ', which keeps writing the frozen tables, for ' || pg_describe_object(dep.classid, dep.objid, dep.objsubid)
			|| ', which calls it without checking the caller''s EXECUTE privilege: make it SECURITY INVOKER, or drop that use, for the cutover'
		FROM pg_depend dep JOIN pg_proc p ON dep.refclassid = 'pg_proc'::regclass AND dep.refobjid = p.oid
		WHERE p.prosecdef AND `+keepsWritingSQL("p.proowner")+`
		  AND dep.classid IN ('pg_type'::regclass, 'pg_amproc'::regclass, 'pg_conversion'::regclass, 'pg_language'::regclass,
		      'pg_foreign_data_wrapper'::regclass, 'pg_ts_parser'::regclass, 'pg_ts_template'::regclass, 'pg_transform'::regclass)
		UNION ALL
		SELECT 'SECURITY DEFINER function ' || p.oid::regprocedure::text || ' runs as ' || p.proowner::regrole::text
			|| ', which keeps writing the frozen tables, as the selectivity estimator of operator ' || o.oid::regoperator::text
			|| ', which calls it without checking the caller''s EXECUTE privilege: make it SECURITY INVOKER for the cutover'
		FROM pg_operator o JOIN pg_proc p ON p.oid IN (o.oprrest::oid, o.oprjoin::oid)
		WHERE p.prosecdef AND `+keepsWritingSQL("p.proowner")+`
		ORDER BY 1`, names)
}

// pgUnbound warns of login roles the freeze's privileges cannot bind
// that are not superusers themselves: members of a superuser role (SET
// ROLE makes them one) and, before PostgreSQL 16, CREATEROLE roles (they
// may grant themselves tightrope's role or pg_write_all_data); when
// tightrope may not see or end other roles' sessions, so the writing ones
// were not ended; and, but for a blue-green side's freeze (whose
// subscription is the one writer meant to stay), an enabled subscription
// applying changes into a frozen table as its owner.
func pgUnbound(ctx context.Context, d DB, p journal.FreezePayload) ([]string, error) {
	names := make([]string, len(p.Tables))
	for i, t := range p.Tables {
		names[i] = quoted(d, t)
	}
	return strs(ctx, d.SQL(), `SELECT 'subscription ' || quote_ident(s.subname) || ' (owner ' || s.subowner::regrole::text || ') applies changes into '
			|| string_agg(r.srrelid::regclass::text, ', ' ORDER BY r.srrelid::regclass::text) || ' as its owner: privileges do not stop it (ALTER SUBSCRIPTION '
			|| quote_ident(s.subname) || ' DISABLE for the cutover)'
		FROM pg_subscription s JOIN pg_subscription_rel r ON r.srsubid = s.oid
		WHERE NOT $2 AND s.subenabled AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND r.srrelid = ANY (`+frozenSQL(1)+`)
		GROUP BY s.subname, s.subowner
		UNION ALL
		SELECT 'tightrope''s role ' || current_user || ' may not see or end other roles'' sessions (it needs pg_read_all_stats and pg_signal_backend): a transaction that wrote before the freeze may still commit'
		WHERE NOT `+seesSessionsSQL+`
		UNION ALL
		SELECT 'role ' || ro.rolname || ' may SET ROLE to superuser ' || s.rolname || ': privileges do not bind it'
		FROM pg_roles ro, pg_roles s WHERE `+otherLoginSQL("ro")+` AND s.rolsuper AND s.oid <> ro.oid AND pg_has_role(ro.oid, s.oid, 'MEMBER')
		UNION ALL
		SELECT 'role ' || ro.rolname || ' has CREATEROLE, so it may grant itself tightrope''s role or pg_write_all_data back'
		FROM pg_roles ro WHERE `+otherLoginSQL("ro")+` AND ro.rolcreaterole AND current_setting('server_version_num')::int < 160000
		ORDER BY 1`, names, p.Pair)
}
