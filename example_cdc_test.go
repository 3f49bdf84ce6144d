package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestPostgresToPostgresCDCExample runs the change-capture example as its
// header says, on a PostgreSQL with wal_level=logical, scripted: the
// stream starts, the copy reads its snapshot, the catch-ups apply what was
// written meanwhile, and verify finds no difference.
func TestPostgresToPostgresCDCExample(t *testing.T) {
	srv := cdctest.Postgres(t)
	src := srv.CreateDatabase(t, dbtest.UniqueName(t, "shop"))
	dst := srv.CreateDatabase(t, dbtest.UniqueName(t, "shopnew"))
	ddl := `CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text);
		CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, total numeric(10,2), placed timestamptz)`
	exec := func(dsn, sql string) {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(src, ddl)
	exec(dst, ddl)
	exec(src, `INSERT INTO customers SELECT g, 'c' || g, 'c' || g || '@example.com' FROM generate_series(1, 300) g;
		INSERT INTO orders SELECT g, 1 + g % 300, g * 0.5, now() FROM generate_series(1, 2000) g`)
	t.Cleanup(func() {
		exec(src, "SELECT pg_drop_replication_slot('tr_mig_2026_051_capture'); DROP PUBLICATION tr_mig_2026_051_capture")
	})
	env := []string{"SHOP_PG_DSN=" + src, "SHOP_NEW_PG_DSN=" + dst}
	j := filepath.Join(t.TempDir(), "cdc.journal")
	out, code := tightrope(t, env, "run", "runbooks/examples/postgres-to-postgres-cdc.yaml", "--plain", "--auto-decide", "continue", "--as", "alice", "--journal", j)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, s := range []string{"stream tr_mig_2026_051_capture started", "snapshot", "caught up", "0 mismatches"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}
