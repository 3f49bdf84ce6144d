package cdc

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestPGPreflightFindings: a PostgreSQL side that cannot be captured is
// refused with one finding per problem, each naming its fix — a role
// without REPLICATION that may not create the publication nor owns a
// table, a table without a replica identity, a missing table, a slot and
// publication of the stream's name already there. The same database as a
// superuser with a free name passes, and the evidence says a temporary
// slot was made; none is left behind.
func TestPGPreflightFindings(t *testing.T) {
	srv := cdctest.Postgres(t)
	ctx := context.Background()
	dsn := srv.CreateDatabase(t, dbtest.UniqueName(t, "pf"))
	stream := dbtest.UniqueName(t, "s")
	if len(stream) > 50 {
		stream = "s" + stream[len(stream)-49:]
	}
	role := "pf_" + stream[len(stream)-8:]
	pgExec(t, dsn, itemsDDL, "CREATE TABLE nokey (a int)", "CREATE ROLE "+role+" LOGIN",
		"CREATE PUBLICATION "+quoteIdent(stream)+" FOR TABLE items",
		"SELECT pg_create_logical_replication_slot('"+stream+"', 'pgoutput')")
	t.Cleanup(func() {
		pgExec(t, dsn, "SELECT pg_drop_replication_slot('"+stream+"')", "DROP PUBLICATION "+quoteIdent(stream))
		pgExec(t, srv.DSN, "DROP ROLE "+role)
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	_, err = PGPreflight(ctx, u.String(), PGPreflightOptions{Tables: []string{"items", "nokey", "missing"}, Stream: stream})
	var pf *PGPreflightError
	if !errors.As(err, &pf) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{
		fmt.Sprintf(`role %s has no REPLICATION: ALTER ROLE "%s" REPLICATION`, role, role),
		fmt.Sprintf("role %s may not create a publication", role),
		fmt.Sprintf(`role %s does not own table items (the publication needs it): ALTER TABLE "items" OWNER TO "%s"`, role, role),
		`table nokey has no primary key or replica identity, so its updates and deletes cannot be captured: add a primary key, or ALTER TABLE "nokey" REPLICA IDENTITY FULL`,
		"table missing does not exist",
		"a slot named " + stream + " already exists",
		"a publication named " + stream + " already exists",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("findings lack %q:\n%v", want, err)
		}
	}
	if len(pf.Findings) != 8 { // nokey is not the role's either
		t.Errorf("%d findings, want 8: %v", len(pf.Findings), pf.Findings)
	}

	free := stream[:len(stream)-1] + "x"
	ev, err := PGPreflight(ctx, dsn, PGPreflightOptions{Tables: []string{"items"}, Stream: free})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(ev, "; ")
	if !strings.Contains(text, "wal_level logical") || !strings.Contains(text, "temporary pgoutput slot created and dropped") {
		t.Fatalf("evidence %q", text)
	}
	var left int
	if err := pgConnect(t, dsn).QueryRow(ctx, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE $1", free+"%").Scan(&left); err != nil || left != 0 {
		t.Fatalf("slots left behind: %d %v", left, err)
	}
}

// TestMyProbeThroughReadOnly: the MariaDB applier's probe passes for root
// (READ_ONLY ADMIN) and refuses an account that could not write while the
// old side is frozen, naming the GRANT.
func TestMyProbeThroughReadOnly(t *testing.T) {
	my := cdctest.MariaDB(t)
	name := dbtest.UniqueName(t, "probe")
	dsn := my.CreateDatabase(t, name)
	ctx := context.Background()
	if err := (&MyApplier{DSN: dsn, Stream: "s"}).Probe(ctx); err != nil {
		t.Fatalf("root: %v", err)
	}
	user := "pr_" + name[len(name)-8:]
	admin := myOpen(t, my.DSN)
	if _, err := admin.Exec(fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pw'", user)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })
	if _, err := admin.Exec(fmt.Sprintf("GRANT ALL ON `%s`.* TO '%s'@'%%'", name, user)); err != nil {
		t.Fatal(err)
	}
	err := (&MyApplier{DSN: strings.Replace(dsn, "root@", user+":pw@", 1), Stream: "s"}).Probe(ctx)
	if err == nil || !strings.Contains(err.Error(), "cannot write while this server is frozen (read_only): GRANT READ_ONLY ADMIN ON *.* TO '"+user+"'@'%'") {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), "pw") {
		t.Fatal("the password reached the error")
	}
}
