package dryrun

import (
	"bytes"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/runbooks"
)

// TestDryRunFreezePrintsTheRevokes: on a PostgreSQL database of the test's
// own, the dry run of a freeze prints the exact REVOKE statements the
// freeze would run — the application role's write privileges, not its
// SELECT, and PUBLIC's EXECUTE on a SECURITY DEFINER function writing the
// table as its owner — and changes no privilege.
func TestDryRunFreezePrintsTheRevokes(t *testing.T) {
	base := dbtest.ServerDSN(t, dbtest.PostgresEnv, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	admin, err := dbtest.Open(t, db.Postgres, base)
	if err != nil {
		dbtest.ServerDown(t, dbtest.PostgresEnv, err)
	}
	name := dbtest.UniqueName(t, "dfz")
	name = name[:20] + name[len(name)-9:]
	role := "w_" + name[len(name)-8:]
	dbtest.MustExec(t, admin, "CREATE DATABASE "+name, "CREATE ROLE "+role+" LOGIN")
	t.Cleanup(func() {
		admin.SQL().Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.SQL().Exec("DROP ROLE IF EXISTS " + role)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	d, err := dbtest.Open(t, db.Postgres, u.String())
	if err != nil {
		t.Fatal(err)
	}
	dbtest.MustExec(t, d, "CREATE TABLE items (id int PRIMARY KEY)", "GRANT SELECT, INSERT, DELETE ON items TO "+role,
		`CREATE FUNCTION put_item(i int) RETURNS void LANGUAGE sql SECURITY DEFINER AS 'INSERT INTO items VALUES (i)'`)
	acl := func() string {
		var s sql.NullString
		if err := d.SQL().QueryRow("SELECT relacl::text FROM pg_class WHERE oid = 'items'::regclass").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s.String
	}
	before := acl()
	t.Setenv("DRY_FREEZE_PG", u.String())
	dir := t.TempDir()
	path := filepath.Join(dir, "rb.yaml")
	text := `version: 1
name: Dry freeze
migration_id: MIG-DRYF
decision_maker: alice
connections:
  source: { driver: postgres, dsn_env: DRY_FREEZE_PG }
steps:
  - { id: freeze, kind: freeze, on: source, tables: [items] }
`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Print(dbtest.Ctx(t), &out, Options{Runbook: rb, Journal: filepath.Join(dir, "x.journal"), SnapshotDir: filepath.Join(dir, "snapshots")}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"REVOKE DELETE ON TABLE items FROM " + role + ";", "REVOKE INSERT ON TABLE items FROM " + role + ";",
		"REVOKE EXECUTE ON ROUTINE put_item(integer) FROM PUBLIC;"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "REVOKE SELECT") {
		t.Errorf("the dry run would revoke a read:\n%s", out.String())
	}
	if after := acl(); after != before {
		t.Fatalf("the dry run changed the privileges: %s, was %s", after, before)
	}
}
