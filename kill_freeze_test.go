package main

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/tightrope/tightrope/journal"
)

// TestKillDuringTheFreezeThenResume: the real binary is SIGKILLed while
// its freeze's REVOKE waits on a lock (a session altering the table holds
// its catalog row), after the freeze was journaled and before it held.
// Nothing was revoked; the resume re-applies the journaled freeze (not a
// plan read anew) and the unfreeze step gives back exactly what there was
// — a grant option, PUBLIC, a role whose name needs quoting, EXECUTE on a
// SECURITY DEFINER function writing the table — once.
func TestKillDuringTheFreezeThenResume(t *testing.T) {
	base := pgDSN(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "tr_killfrz_" + strings.ToLower(strings.ReplaceAll(time.Now().Format("150405.000000"), ".", ""))
	role := `Kill "App" ` + name[len(name)-6:]
	qrole := pgx.Identifier{role}.Sanitize()
	for _, s := range []string{"CREATE DATABASE " + name, "CREATE ROLE " + qrole + " LOGIN"} {
		if _, err := admin.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Exec("DROP ROLE IF EXISTS " + qrole)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	d, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, s := range []string{
		`CREATE TABLE "Odd T" (id serial PRIMARY KEY, v text)`,
		`GRANT INSERT, UPDATE ON "Odd T" TO ` + qrole,
		`GRANT DELETE ON "Odd T" TO ` + qrole + ` WITH GRANT OPTION`,
		`GRANT INSERT ON "Odd T" TO PUBLIC`,
		`CREATE FUNCTION "put odd"() RETURNS void LANGUAGE sql SECURITY DEFINER AS 'INSERT INTO "Odd T" (v) VALUES (''definer'')'`,
		`GRANT EXECUTE ON FUNCTION "put odd"() TO ` + qrole,
	} {
		if _, err := d.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	acl := func() string { // the table's, and the definer function's EXECUTE (NULL read as its default)
		var a string
		if err := d.QueryRow(`SELECT relacl::text || ' ' || (SELECT string_agg(x::text, ',' ORDER BY x::text)
			FROM pg_proc p, unnest(coalesce(p.proacl, acldefault('f', p.proowner))) x WHERE p.oid = '"put odd"()'::regprocedure)
			FROM pg_class WHERE oid = '"Odd T"'::regclass`).Scan(&a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	before := acl()

	dir := t.TempDir()
	rb := filepath.Join(dir, "freeze.yaml")
	if err := os.WriteFile(rb, []byte(`version: 1
name: kill during a freeze
migration_id: MIG-KILLFRZ
decision_maker: alice
objectives: { rto: 5m, rpo: 0s, expected: 10m, window: 1h }
connections:
  src: { driver: postgres, dsn_env: KILLFRZ_DSN }
steps:
  - { id: freeze, kind: freeze, on: src, tables: ["Odd T"] }
  - { id: thaw, kind: unfreeze, on: src }
rollback:
  - { id: note, kind: shell, run: "true" }
`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"KILLFRZ_DSN=" + u.String()}
	j := filepath.Join(dir, "freeze.journal")

	// the blocker: an open transaction that altered the table holds its
	// pg_class row, so the freeze's REVOKE waits
	ctx := context.Background()
	blocker, err := d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback()
	if _, err := blocker.Exec(`ALTER TABLE "Odd T" SET (fillfactor = 90)`); err != nil {
		t.Fatal(err)
	}
	waiting := func(string) bool {
		var n int
		admin.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE 'REVOKE%'`, name).Scan(&n)
		return n > 0
	}
	out, code, killed := runAndKill(t, env, []string{"run", rb, "--plain", "--auto-decide", "continue", "--as", "alice", "--journal", j}, waiting, 0)
	if !killed {
		t.Fatalf("the run was not killed mid-freeze (exit %d):\n%s", code, out)
	}
	blocker.Rollback()
	time.Sleep(200 * time.Millisecond) // the killed run's session ends once its REVOKE has its lock
	if got := acl(); got != before {
		t.Fatalf("killed mid-freeze, the table's privileges changed: %s, were %s", got, before)
	}
	out, code = tightrope(t, env, "resume", j, "--plain", "--auto-decide", "continue", "--on-rerun", "rerun", "--as", "alice")
	if code != 0 {
		t.Fatalf("resume exited %d:\n%s", code, out)
	}
	if got := acl(); got != before {
		t.Fatalf("after the resume the privileges are %s, were %s", got, before)
	}
	count := map[journal.Type]int{}
	var executes []journal.Execute
	if err := journal.ScanDecoded(ctx, j, func(e journal.Event, pl any, err error) error {
		count[e.Type]++
		if p, ok := pl.(journal.FreezePayload); ok {
			executes = p.Executes
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(executes) != 2 || executes[0].Role != qrole || executes[1].Role != "PUBLIC" {
		t.Fatalf("the freeze journaled EXECUTE revokes %+v; want PUBLIC's and %s's on the definer function", executes, qrole)
	}
	if count[journal.Freeze] != 1 || count[journal.WritesFrozen] != 1 || count[journal.Unfreeze] != 1 {
		t.Fatalf("freeze %d, writes_frozen %d, unfreeze %d events; want one each (the resume re-applies the journaled freeze)\n%s",
			count[journal.Freeze], count[journal.WritesFrozen], count[journal.Unfreeze], out)
	}
	if !strings.Contains(out, "re-applying the freeze journaled") {
		t.Fatalf("the resume did not re-apply the journaled freeze:\n%s", out)
	}
}
