package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tightrope/tightrope/engine/bluegreen"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestCleanupTearsDownABlueGreenPair: after a finished run whose replicate
// step set up a pair, its publication, slot and subscription are still on
// the servers; cleanup --yes lists and tears them down, and a second
// cleanup finds nothing.
func TestCleanupTearsDownABlueGreenPair(t *testing.T) {
	srv := cdctest.Postgres(t)
	blue := srv.CreateDatabase(t, dbtest.UniqueName(t, "cbl"))
	green := srv.CreateDatabase(t, dbtest.UniqueName(t, "cgr"))
	for _, dsn := range []string{blue, green} {
		pgExecOne(t, dsn, "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)")
	}
	pgExecOne(t, blue, "INSERT INTO items SELECT g, 'i' || g FROM generate_series(1, 100) g")
	mig := fmt.Sprintf("CBG-%d", time.Now().UnixNano()%1e9)
	name := "mcbg_" + strings.TrimPrefix(mig, "CBG-") + "_replicate"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if p, err := bluegreen.Open(ctx, bluegreen.Config{Name: name, Blue: bluegreen.Side{DSN: blue}, Green: bluegreen.Side{DSN: green}, Tables: []string{"items"}}); err == nil {
			_ = p.Teardown(ctx)
			p.Close(ctx)
		}
	})
	dir := t.TempDir()
	rb := filepath.Join(dir, "bg.yaml")
	yaml := `version: 1
name: cleanup of a blue-green pair
migration_id: ` + mig + `
decision_maker: alice
objectives: { rto: 1m, rpo: 0s, expected: 30m, window: 2h }
strategy: blue-green
connections:
  blue: { driver: postgres, dsn_env: CBG_BLUE_DSN, replication_dsn_env: CBG_BLUE_DSN }
  green: { driver: postgres, dsn_env: CBG_GREEN_DSN, replication_dsn_env: CBG_GREEN_DSN }
steps:
  - { id: replicate, title: Replicate, kind: replicate, from: blue, to: green, tables: [items], copy: true }
`
	if err := os.WriteFile(rb, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"CBG_BLUE_DSN=" + blue, "CBG_GREEN_DSN=" + green}
	j := filepath.Join(dir, "bg.journal")
	out, code := tightrope(t, env, "run", rb, "--plain", "--auto-decide", "continue", "--as", "alice", "--journal", j)
	if code != 0 {
		t.Fatalf("run: exit %d:\n%s", code, out)
	}
	objects := func() int {
		return pgCount(t, blue, "SELECT count(*) FROM pg_publication WHERE pubname = $1", "tr_"+name) +
			pgCount(t, blue, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", "tr_"+name+"_fwd") +
			pgCount(t, green, "SELECT count(*) FROM pg_subscription WHERE subname = $1", "tr_"+name+"_fwd")
	}
	if n := objects(); n != 3 {
		t.Fatalf("after the run: %d of the pair's publication, slot and subscription, want 3:\n%s", n, out)
	}
	out, code = tightrope(t, env, "cleanup", "--yes", j)
	if code != 0 {
		t.Fatalf("cleanup: exit %d:\n%s", code, out)
	}
	for _, s := range []string{"remove  blue-green pair " + name, "subscription tr_" + name + "_fwd", "done    tore down blue-green pair " + name} {
		if !strings.Contains(out, s) {
			t.Errorf("cleanup output lacks %q:\n%s", s, out)
		}
	}
	if n := objects(); n != 0 {
		t.Fatalf("after cleanup: %d of the pair's objects left:\n%s", n, out)
	}
	out, code = tightrope(t, env, "cleanup", "--yes", j)
	if code != 0 || !strings.Contains(out, "nothing to remove") {
		t.Fatalf("second cleanup: exit %d:\n%s", code, out)
	}
}

// pgExecOne runs one statement on dsn.
func pgExecOne(t *testing.T, dsn, q string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), q); err != nil {
		t.Fatal(err)
	}
}
