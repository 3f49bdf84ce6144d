package cutover

import (
	"database/sql"
	"slices"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

func relacl(t *testing.T, d db.DB, table string) string {
	t.Helper()
	var acl sql.NullString
	if err := d.SQL().QueryRow("SELECT relacl::text FROM pg_class WHERE oid = $1::regclass", table).Scan(&acl); err != nil {
		t.Fatal(err)
	}
	return acl.String
}

// TestPostgresFreezeStopsOtherWriters: a freeze revokes exactly the write
// privileges other roles hold, ends the session that was writing, leaves
// an idle session opened before it unable to write, keeps tightrope's own
// writes working, and its undo gives back exactly the privileges there
// were — twice applied or undone is once.
func TestPostgresFreezeStopsOtherWriters(t *testing.T) {
	ctx := ctxOf(t)
	d, role, dsnAs := pgDatabase(t)
	dbtest.MustExec(t, d,
		"CREATE TABLE t (id serial PRIMARY KEY, v text)",
		"CREATE TABLE other (id int PRIMARY KEY)",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON t, other TO "+role,
		"GRANT TRUNCATE ON t TO "+role+" WITH GRANT OPTION",
		"GRANT USAGE ON SEQUENCE t_id_seq TO "+role,
	)
	before := relacl(t, d, "t")
	w, err := dbtest.Open(t, db.Postgres, dsnAs(role))
	if err != nil {
		t.Fatal(err)
	}
	busy, err := w.SQL().Conn(ctx) // in a writing transaction when the freeze comes
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	idle, err := w.SQL().Conn(ctx) // connected, not writing
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if _, err := idle.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	tx, err := busy.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO t (v) VALUES ('before the freeze, never committed')"); err != nil {
		t.Fatal(err)
	}

	plan, err := Plan(ctx, d, []string{"t"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range plan.Revoked {
		if g.Role != role || g.Table != "t" {
			t.Errorf("planned to revoke %+v: only %s's privileges on t are to go", g, role)
		}
		got = append(got, g.Privilege)
		if g.Grantable != (g.Privilege == "TRUNCATE") {
			t.Errorf("%s recorded grantable=%v", g.Privilege, g.Grantable)
		}
	}
	if want := []string{"DELETE", "INSERT", "TRUNCATE", "UPDATE"}; !slices.Equal(got, want) {
		t.Fatalf("planned to revoke %v, want %v (SELECT stays)", got, want)
	}
	if plan.Role != "postgres" || plan.Method != journal.FreezeRevoke {
		t.Fatalf("plan %+v", plan)
	}

	frozen, err := Apply(ctx, d, plan, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(frozen.Terminated) != 1 || frozen.Terminated[0].Role != role {
		t.Fatalf("terminated %+v; want the one session writing t", frozen.Terminated)
	}
	if err := tx.Commit(); err == nil {
		t.Fatal("the transaction open before the freeze committed after it")
	}
	if n := dbtest.Count(t, d, "t"); n != 0 {
		t.Fatalf("t has %d rows; the write from before the freeze landed", n)
	}
	_, err = idle.ExecContext(ctx, "INSERT INTO t (v) VALUES ('after')")
	mustFail(t, "an insert by the idle session after the freeze", err, "permission denied")
	if _, err := w.SQL().ExecContext(ctx, "SELECT count(*) FROM t"); err != nil {
		t.Fatalf("reads must go on during a freeze: %v", err)
	}
	if _, err := w.SQL().ExecContext(ctx, "INSERT INTO other VALUES (1)"); err != nil {
		t.Fatalf("a table not frozen must stay writable: %v", err)
	}
	if _, err := d.SQL().ExecContext(ctx, "INSERT INTO t (v) VALUES ('tightrope writes')"); err != nil {
		t.Fatalf("tightrope's own write during the freeze: %v", err)
	}
	if _, err := Apply(ctx, d, plan, 0); err != nil { // a resumed run applies it again
		t.Fatalf("applying the freeze twice: %v", err)
	}

	for range 2 { // undoing twice (a crash after the grant, before its event) is undoing once
		if err := Undo(ctx, d, plan); err != nil {
			t.Fatal(err)
		}
		if after := relacl(t, d, "t"); after != before {
			t.Fatalf("privileges after the unfreeze:\n%s\nbefore the freeze:\n%s", after, before)
		}
	}
	if _, err := idle.ExecContext(ctx, "INSERT INTO t (v) VALUES ('after the unfreeze')"); err != nil {
		t.Fatalf("the writer after the unfreeze: %v", err)
	}
}

// TestPostgresFreezeRefusesWhatItCannotBind: a table owned by another role
// (which could grant itself back) and a role that keeps a column grant are
// refused, and a refused freeze changes nothing.
func TestPostgresFreezeRefusesWhatItCannotBind(t *testing.T) {
	ctx := ctxOf(t)
	d, role, _ := pgDatabase(t)
	dbtest.MustExec(t, d,
		"CREATE TABLE mine (id int PRIMARY KEY, v text)",
		"CREATE TABLE theirs (id int PRIMARY KEY)",
		"ALTER TABLE theirs OWNER TO "+role,
		"GRANT INSERT ON mine TO "+role,
		"GRANT UPDATE (v) ON mine TO "+role,
	)
	_, err := Plan(ctx, d, []string{"theirs"})
	mustFail(t, "freezing a table another role owns", err, "owned by role "+role)

	before := relacl(t, d, "mine")
	plan, err := Plan(ctx, d, []string{"mine"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Apply(ctx, d, plan, 0)
	mustFail(t, "a freeze a column grant escapes", err, role+" on mine")
	if after := relacl(t, d, "mine"); after != before {
		t.Fatalf("a refused freeze changed the privileges: %s, was %s", after, before)
	}
}
