package cutover

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// ownedDatabase is pgDatabase with tightrope connected as a login role
// of the test's own that is not a superuser and owns the database (as in
// production, where tightrope connects as the tables' owner); admin is
// the superuser on the same database. The database and the owner are
// dropped when the test ends.
func ownedDatabase(t *testing.T) (d, admin db.DB, owner, role string, dsnAs func(string) string) {
	t.Helper()
	admin, role, dsnAs = pgDatabase(t)
	var name string
	if err := admin.SQL().QueryRow("SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	owner = "o_" + role[2:]
	dbtest.MustExec(t, admin, "CREATE ROLE "+owner+" LOGIN", "ALTER DATABASE "+name+" OWNER TO "+owner)
	t.Cleanup(func() { // before pgDatabase's: the owner goes once its database is gone
		base, err := sql.Open("pgx", dbtest.ServerDSN(t, dbtest.PostgresEnv, ""))
		if err != nil {
			t.Error(err)
			return
		}
		defer base.Close()
		for _, q := range []string{"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "DROP ROLE IF EXISTS " + owner} {
			if _, err := base.Exec(q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	var err error
	if d, err = dbtest.Open(t, db.Postgres, dsnAs(owner)); err != nil {
		t.Fatal(err)
	}
	return d, admin, owner, role, dsnAs
}

// extraRole creates a login role dropped when the test ends.
func extraRole(t *testing.T, admin db.DB, name, options string) string {
	t.Helper()
	dbtest.MustExec(t, admin, "CREATE ROLE "+name+" LOGIN "+options)
	t.Cleanup(func() {
		if _, err := admin.SQL().Exec("DROP ROLE IF EXISTS " + name); err != nil {
			t.Errorf("drop role %s: %v", name, err)
		}
	})
	return name
}

// routineACL is the effective EXECUTE privileges on a routine, as
// grantee=privileges/grantor lines (a NULL proacl read as its default).
func routineACL(t *testing.T, d db.DB, routine string) string {
	t.Helper()
	var s string
	if err := d.SQL().QueryRow(`SELECT coalesce(string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END
			|| '=' || a.privilege_type || '/' || a.grantor::regrole::text || CASE WHEN a.is_grantable THEN '*' ELSE '' END, ' '
			ORDER BY a.grantee, a.privilege_type), '')
		FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a WHERE p.oid = $1::regprocedure`, routine).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// members is pg_auth_members for a role, one line per membership.
func members(t *testing.T, d db.DB, role string) string {
	t.Helper()
	var s string
	if err := d.SQL().QueryRow(`SELECT coalesce(string_agg(m.member::regrole::text || ' by ' || m.grantor::regrole::text
			|| CASE WHEN m.admin_option THEN ' admin' ELSE '' END, ', ' ORDER BY m.member), '')
		FROM pg_auth_members m WHERE m.roleid = $1::regrole`, role).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// crashed is p as a resumed run reads it back from the journal: the
// freeze was recorded, the process died before it was applied.
func crashed(t *testing.T, p journal.FreezePayload) journal.FreezePayload {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back journal.FreezePayload
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

// TestPostgresFreezeClosesSecurityDefiner: a SECURITY DEFINER function
// and procedure owned by tightrope's role (the tables' owner), and an
// aggregate whose transition function is one, let an application role
// with no privilege on the table write it. The freeze records EXECUTE of
// PUBLIC and of the role on them, re-applied from the
// record (a crash between the record and its apply), stops both calls,
// leaves a definer routine whose owner cannot write the tables alone, and
// the unfreeze gives the EXECUTE privileges back exactly — the calls
// write again.
func TestPostgresFreezeClosesSecurityDefiner(t *testing.T) {
	ctx := ctxOf(t)
	d, admin, _, role, dsnAs := ownedDatabase(t)
	dbtest.MustExec(t, d,
		"CREATE TABLE t (id int PRIMARY KEY)",
		`CREATE FUNCTION put(i int) RETURNS void LANGUAGE sql SECURITY DEFINER AS 'INSERT INTO t VALUES (i)'`,
		`CREATE PROCEDURE "Put Proc"(i int) LANGUAGE sql SECURITY DEFINER AS 'INSERT INTO t VALUES (i)'`,
		"GRANT EXECUTE ON FUNCTION put(int) TO "+role+" WITH GRANT OPTION",
		`REVOKE EXECUTE ON PROCEDURE "Put Proc"(int) FROM PUBLIC`,
		`GRANT EXECUTE ON PROCEDURE "Put Proc"(int) TO `+role,
		// an aggregate's support function is checked against the
		// aggregate's owner: its callers need EXECUTE on the aggregate only
		`CREATE FUNCTION agg_put(s int, v int) RETURNS int LANGUAGE sql SECURITY DEFINER AS 'INSERT INTO t VALUES (v); SELECT coalesce(s, 0) + v'`,
		"REVOKE EXECUTE ON FUNCTION agg_put(int, int) FROM PUBLIC",
		"CREATE AGGREGATE put_all(int) (sfunc = agg_put, stype = int)",
	)
	dbtest.MustExec(t, admin, "CREATE TABLE app_own (id int)", "ALTER TABLE app_own OWNER TO "+role,
		`CREATE FUNCTION app_put() RETURNS void LANGUAGE sql SECURITY DEFINER AS 'INSERT INTO app_own VALUES (1)'`,
		"ALTER FUNCTION app_put() OWNER TO "+role)
	routines := []string{"put(integer)", `"Put Proc"(integer)`, "put_all(integer)", "agg_put(integer,integer)", "app_put()"}
	before := map[string]string{}
	for _, r := range routines {
		before[r] = routineACL(t, d, r)
	}
	w, err := dbtest.Open(t, db.Postgres, dsnAs(role))
	if err != nil {
		t.Fatal(err)
	}
	write := func(i int) []error {
		_, e1 := w.SQL().ExecContext(ctx, "SELECT put($1)", i)
		_, e2 := w.SQL().ExecContext(ctx, `CALL "Put Proc"($1)`, i+1)
		_, e3 := w.SQL().ExecContext(ctx, `SELECT put_all(x) FROM (VALUES ($1::int)) v(x)`, i+2)
		return []error{e1, e2, e3}
	}
	for _, err := range write(1) {
		if err != nil {
			t.Fatalf("before the freeze the application writes t through the definer routines: %v", err)
		}
	}

	plan, err := Plan(ctx, d, []string{"t"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range plan.Executes {
		got = append(got, e.Routine+" "+e.Role)
		if e.Grantable != (e.Routine == "put(integer)" && e.Role == role) {
			t.Errorf("%+v: grant option recorded wrong", e)
		}
	}
	slices.Sort(got)
	if want := `"Put Proc"(integer) ` + role + `, put(integer) PUBLIC, put(integer) ` + role + `, put_all(integer) PUBLIC`; strings.Join(got, ", ") != want {
		t.Fatalf("planned to revoke EXECUTE %q; want %q (app_put's owner cannot write t: left alone)", strings.Join(got, ", "), want)
	}
	frozen, err := Apply(ctx, d, crashed(t, plan), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(frozen.Warnings, "\n"), "may not see or end other roles' sessions") {
		t.Errorf("warnings %q: tightrope's role has neither pg_read_all_stats nor pg_signal_backend, the freeze must say it ended no session", frozen.Warnings)
	}
	for _, err := range write(10) {
		mustFail(t, "a definer routine call during the freeze", err, "permission denied")
	}
	if n := dbtest.Count(t, d, "t"); n != 3 {
		t.Fatalf("t has %d rows during the freeze; want the 3 from before", n)
	}
	if _, err := w.SQL().ExecContext(ctx, "SELECT app_put()"); err != nil {
		t.Fatalf("a definer routine that cannot write the frozen tables must stay callable: %v", err)
	}
	if _, err := Apply(ctx, d, plan, 0); err != nil { // a resumed run applies it again
		t.Fatalf("applying the freeze twice: %v", err)
	}
	for range 2 {
		if err := Undo(ctx, d, crashed(t, plan)); err != nil {
			t.Fatal(err)
		}
		for _, r := range routines {
			if after := routineACL(t, d, r); after != before[r] {
				t.Fatalf("EXECUTE on %s after the unfreeze:\n%s\nbefore the freeze:\n%s", r, after, before[r])
			}
		}
	}
	for _, err := range write(20) {
		if err != nil {
			t.Fatalf("after the unfreeze the application writes through the definer routines again: %v", err)
		}
	}
}

// TestPostgresFreezeClosesMembership: a login member of tightrope's role
// writes the tables as tightrope — by inheritance, or (NOINHERIT) by SET
// ROLE, also in a session that ran SET ROLE before the freeze. The freeze
// takes both memberships away (one WITH ADMIN OPTION), ends the members'
// sessions, and neither member can write; the unfreeze gives the
// memberships back exactly and both write again. A membership a
// superuser granted cannot be granted back exactly by tightrope: refused.
// A role that may SET ROLE to a superuser, and a CREATEROLE one (before
// 16 it may grant itself the role back), are warned of.
func TestPostgresFreezeClosesMembership(t *testing.T) {
	ctx := ctxOf(t)
	d, admin, owner, role, dsnAs := ownedDatabase(t)
	// Before 16, CREATEROLE is what lets a role that is not a superuser
	// take away (and give back) memberships in itself; pg_read_all_stats
	// and pg_signal_backend let it see and end other roles' sessions.
	dbtest.MustExec(t, admin, "ALTER ROLE "+owner+" CREATEROLE", "GRANT pg_read_all_stats, pg_signal_backend TO "+owner)
	inh := extraRole(t, admin, "mi_"+role[2:], "INHERIT CREATEROLE") // CREATEROLE: warned of
	su := "su_" + role[2:]                                           // a superuser role the application may SET ROLE to: warned of
	dbtest.MustExec(t, admin, "CREATE ROLE "+su+" SUPERUSER", "GRANT "+su+" TO "+role)
	t.Cleanup(func() { admin.SQL().Exec("DROP ROLE IF EXISTS " + su) })
	noinh := extraRole(t, admin, "mn_"+role[2:], "NOINHERIT")
	dbtest.MustExec(t, d,
		"CREATE TABLE t (id int PRIMARY KEY)",
		"GRANT "+owner+" TO "+inh,
		"GRANT "+owner+" TO "+noinh+" WITH ADMIN OPTION",
	)
	before := members(t, d, owner)
	mi, err := dbtest.Open(t, db.Postgres, dsnAs(inh))
	if err != nil {
		t.Fatal(err)
	}
	mn, err := dbtest.Open(t, db.Postgres, dsnAs(noinh))
	if err != nil {
		t.Fatal(err)
	}
	asOwner, err := mn.SQL().Conn(ctx) // became the owner before the freeze
	if err != nil {
		t.Fatal(err)
	}
	defer asOwner.Close()
	if _, err := asOwner.ExecContext(ctx, "SET ROLE "+owner); err != nil {
		t.Fatal(err)
	}
	writeAs := func(i int) []error {
		_, e1 := mi.SQL().ExecContext(ctx, "INSERT INTO t VALUES ($1)", i)
		c, err := mn.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, e2 := c.ExecContext(ctx, "SET ROLE "+owner)
		if e2 == nil {
			_, e2 = c.ExecContext(ctx, "INSERT INTO t VALUES ($1)", i+1)
			c.ExecContext(ctx, "RESET ROLE")
		}
		return []error{e1, e2}
	}
	for _, err := range writeAs(1) {
		if err != nil {
			t.Fatalf("before the freeze a member writes t: %v", err)
		}
	}
	if _, err := asOwner.ExecContext(ctx, "INSERT INTO t VALUES (3)"); err != nil {
		t.Fatal(err)
	}

	plan, err := Plan(ctx, d, []string{"t"})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Members) != 2 || plan.Members[0].Member != inh || plan.Members[1].Member != noinh || !plan.Members[1].Admin || plan.Members[0].Admin {
		t.Fatalf("planned memberships %+v; want %s, then %s with admin option", plan.Members, inh, noinh)
	}
	frozen, err := Apply(ctx, d, crashed(t, plan), 0)
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(frozen.Warnings, "\n")
	if strings.Contains(w, "may not see or end") {
		t.Errorf("warnings %q: tightrope's role may see and end sessions here", w)
	}
	for _, want := range []string{"role " + role + " may SET ROLE to superuser " + su, "role " + inh + " has CREATEROLE"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings %q lack %q", w, want)
		}
	}
	ended := map[string]bool{}
	for _, b := range frozen.Terminated { // who ran SET ROLE cannot be seen: every session of a member ends
		ended[b.Role] = true
	}
	if len(ended) != 2 || !ended[inh] || !ended[noinh] {
		t.Fatalf("terminated %+v; want the sessions of %s and %s (one had SET ROLE %s), no other", frozen.Terminated, inh, noinh, owner)
	}
	if _, err := asOwner.ExecContext(ctx, "INSERT INTO t VALUES (4)"); err == nil {
		t.Fatal("a session that ran SET ROLE before the freeze wrote after it")
	}
	errs := writeAs(10)
	mustFail(t, "an inheriting member's insert during the freeze", errs[0], "permission denied")
	mustFail(t, "SET ROLE to tightrope's during the freeze", errs[1], "permission denied to set role")
	if got := members(t, d, owner); got != "" {
		t.Fatalf("members during the freeze: %s", got)
	}
	for range 2 {
		if err := Undo(ctx, d, crashed(t, plan)); err != nil {
			t.Fatal(err)
		}
		if after := members(t, d, owner); after != before {
			t.Fatalf("memberships after the unfreeze: %s; before the freeze: %s", after, before)
		}
	}
	for _, err := range writeAs(20) {
		if err != nil {
			t.Fatalf("after the unfreeze a member writes t again: %v", err)
		}
	}

	dbtest.MustExec(t, admin, "GRANT "+owner+" TO "+role) // granted by postgres
	_, err = Plan(ctx, d, []string{"t"})
	mustFail(t, "freezing with a membership a superuser granted", err, role+" (granted by postgres")
	if err := CheckBypasses(ctx, d, []string{"t"}); err == nil || !strings.Contains(err.Error(), role+" (granted by postgres") {
		t.Fatalf("pre-flight: %v; want the membership %s refused", err, role)
	}
}

// TestPostgresFreezeRefusesWhatItCannotClose: a SECURITY DEFINER trigger
// on a table not frozen, a foreign key cascading into the frozen table
// and an event trigger running a definer function each let the
// application write the frozen table as its owner (and a definer function
// a range type calls with no EXECUTE check could), and membership (SET
// ROLE, NOINHERIT) in pg_write_all_data lets it write everything; the
// freeze cannot close them (no EXECUTE check when a trigger fires; a
// cluster-wide role): pre-flight and the freeze refuse each by name, and
// the refused freeze changes nothing. A definer routine owned by a
// superuser, which tightrope (not one) cannot revoke EXECUTE on, is
// refused by name too.
func TestPostgresFreezeRefusesWhatItCannotClose(t *testing.T) {
	ctx := ctxOf(t)
	d, admin, owner, role, dsnAs := ownedDatabase(t)
	dbtest.MustExec(t, d,
		"CREATE TABLE t (id int PRIMARY KEY, p int)",
		"CREATE TABLE side (id int)",
		"CREATE TABLE parent (id int PRIMARY KEY)",
		"INSERT INTO parent VALUES (1)",
		"INSERT INTO t VALUES (1, 1)",
		"ALTER TABLE t ADD CONSTRAINT t_parent FOREIGN KEY (p) REFERENCES parent ON DELETE CASCADE",
		`CREATE FUNCTION side_to_t() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS 'BEGIN INSERT INTO t VALUES (NEW.id + 100, NULL); RETURN NEW; END'`,
		"REVOKE EXECUTE ON FUNCTION side_to_t() FROM PUBLIC",
		"CREATE TRIGGER side_writes AFTER INSERT ON side FOR EACH ROW EXECUTE FUNCTION side_to_t()",
		"GRANT INSERT ON side TO "+role,
		"GRANT SELECT, DELETE ON parent TO "+role,
		`CREATE FUNCTION diff(a int, b int) RETURNS float8 LANGUAGE sql IMMUTABLE SECURITY DEFINER AS 'SELECT (a - b)::float8'`,
		"CREATE TYPE spans AS RANGE (subtype = int, subtype_diff = diff)",
		`CREATE FUNCTION ddl_to_t() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER AS 'BEGIN INSERT INTO t VALUES (1000 + (SELECT count(*) FROM t), NULL); END'`,
		"REVOKE EXECUTE ON FUNCTION ddl_to_t() FROM PUBLIC",
	)
	dbtest.MustExec(t, admin, "CREATE EVENT TRIGGER ddl_writes ON ddl_command_end EXECUTE FUNCTION ddl_to_t()")
	w, err := dbtest.Open(t, db.Postgres, dsnAs(role))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.SQL().ExecContext(ctx, "INSERT INTO side VALUES (1)"); err != nil {
		t.Fatalf("the application writes side (and t through its trigger): %v", err)
	}
	if _, err := w.SQL().ExecContext(ctx, "DELETE FROM parent WHERE id = 1"); err != nil {
		t.Fatalf("the application deletes from parent (and t through the cascade): %v", err)
	}
	if n := dbtest.Count(t, d, "t"); n != 1 { // 1 + the trigger's - the cascade's
		t.Fatalf("t has %d rows; the trigger and the cascade were to write it", n)
	}
	before := relacl(t, d, "t")
	refusals := []string{
		"trigger side_writes on side runs SECURITY DEFINER function side_to_t()",
		"foreign key t_parent of t cascades an update or delete of parent (which " + role,
		"event trigger ddl_writes runs SECURITY DEFINER function ddl_to_t()",
		"SECURITY DEFINER function diff(integer,integer) runs as " + owner + ", which keeps writing the frozen tables, for type spans",
	}
	err = CheckBypasses(ctx, d, []string{"t"})
	for _, want := range refusals {
		mustFail(t, "pre-flight", err, want)
	}
	plan, err := Plan(ctx, d, []string{"t"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Apply(ctx, d, plan, 0)
	for _, want := range refusals {
		mustFail(t, "the freeze", err, want)
	}
	if after := relacl(t, d, "t"); after != before {
		t.Fatalf("a refused freeze changed the privileges: %s, was %s", after, before)
	}

	// pg_write_all_data is cluster-wide: other tests' freezes see it, so
	// it is held for as short a time as can be.
	dbtest.MustExec(t, admin, "DROP EVENT TRIGGER ddl_writes", "DROP TRIGGER side_writes ON side", "ALTER TABLE t DROP CONSTRAINT t_parent", "DROP TYPE spans",
		"ALTER ROLE "+role+" NOINHERIT", "GRANT pg_write_all_data TO "+role)
	revoked := false
	revoke := func() {
		if !revoked {
			revoked = true
			admin.SQL().ExecContext(context.WithoutCancel(ctx), "REVOKE pg_write_all_data FROM "+role)
		}
	}
	t.Cleanup(revoke)
	c, err := w.SQL().Conn(ctx)
	if err != nil {
		revoke()
		t.Fatal(err)
	}
	defer c.Close()
	_, errSet := c.ExecContext(ctx, "SET ROLE pg_write_all_data")
	_, errIns := c.ExecContext(ctx, "INSERT INTO t VALUES (50, NULL)")
	_, errPlan := Plan(ctx, d, []string{"t"})
	_, errApply := Apply(ctx, d, plan, 0)
	revoke()
	if errSet != nil || errIns != nil {
		t.Fatalf("a NOINHERIT member of pg_write_all_data writes t by SET ROLE: %v, %v", errSet, errIns)
	}
	if errPlan != nil {
		t.Fatal(errPlan)
	}
	mustFail(t, "a freeze a member of pg_write_all_data escapes", errApply, "role "+role+" is a member of pg_write_all_data")
	if after := relacl(t, d, "t"); after != before {
		t.Fatalf("a refused freeze changed the privileges: %s, was %s", after, before)
	}

	// a definer routine owned by a superuser: tightrope, not one, cannot
	// revoke EXECUTE on it
	dbtest.MustExec(t, admin, `CREATE FUNCTION su_put() RETURNS void LANGUAGE sql SECURITY DEFINER AS 'INSERT INTO t VALUES (1)'`)
	err = CheckBypasses(ctx, d, []string{"t"})
	mustFail(t, "pre-flight of a freeze a superuser's definer routine escapes", err, "su_put() (owner postgres, callable by PUBLIC)")
	_, err = Plan(ctx, d, []string{"t"})
	mustFail(t, "a freeze a superuser's definer routine escapes", err, "REVOKE EXECUTE ON ROUTINE su_put() FROM PUBLIC")
}
