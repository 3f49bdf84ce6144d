package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/runbooks"
)

// mysqlDSN returns the MySQL test DSN (driver form), or skips (fails under CI=true).
func mysqlDSN(t *testing.T) string {
	t.Helper()
	return dbtest.ServerDSN(t, dbtest.MySQLEnv, "root@tcp(127.0.0.1:3306)/test")
}

// exampleDatabases creates a fresh MySQL database loaded with the example's
// seed and an empty PostgreSQL database; it returns their DSNs.
func exampleDatabases(t *testing.T) (mysqlDSNForShop, pgDSNForShop string) {
	t.Helper()
	my, pg := mysqlDSN(t), pgDSN(t)
	name := fmt.Sprintf("tr_example_%d", time.Now().UnixNano())
	myAdmin, err := sql.Open("mysql", my)
	if err != nil {
		t.Fatal(err)
	}
	defer myAdmin.Close()
	if _, err := myAdmin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		execOn(t, "mysql", my, "DROP DATABASE "+name)
		dropSnapshotDatabases(t, my, name)
	})
	shopMy := strings.Replace(my, "/test", "/"+name, 1)
	seed, err := os.ReadFile("runbooks/examples/mysql-to-postgres.seed.sql")
	if err != nil {
		t.Fatal(err)
	}
	execOn(t, "mysql", shopMy+"?multiStatements=true", string(seed))

	pgAdmin, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer pgAdmin.Close()
	if _, err := pgAdmin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { execOn(t, "pgx", pg, "DROP DATABASE "+name+" WITH (FORCE)") })
	return shopMy, strings.Replace(pg, "/test", "/"+name, 1)
}

// dropSnapshotDatabases drops the in-server snapshots a run took of name.
func dropSnapshotDatabases(t *testing.T, dsn, name string) {
	t.Helper()
	d, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.Query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", name+"\\_\\_snap\\_%")
	if err != nil {
		t.Fatal(err)
	}
	var snaps []string
	for rows.Next() {
		var s string
		if rows.Scan(&s) == nil {
			snaps = append(snaps, s)
		}
	}
	rows.Close()
	for _, s := range snaps {
		execOn(t, "mysql", dsn, "DROP DATABASE `"+s+"`")
	}
}

func execOn(t *testing.T, driver, dsn, stmt string) {
	t.Helper()
	d, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(stmt); err != nil {
		t.Fatalf("%s: %v", stmt[:min(len(stmt), 60)], err)
	}
}

func TestMySQLToPostgresExample(t *testing.T) {
	shopMy, shopPG := exampleDatabases(t)
	env := []string{"SHOP_MYSQL_DSN=" + shopMy, "SHOP_PG_DSN=" + shopPG}
	j := filepath.Join(t.TempDir(), "m2p.journal")
	out, code := tightrope(t, env, "run", "runbooks/examples/mysql-to-postgres.yaml", "--plain", "--auto-decide", "continue", "--as", "alice", "--journal", j)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	want := map[string][3]int{
		"customers":   {2000, 1992, 8},   // eight '0000-00-00' birthdays
		"products":    {500, 490, 10},    // ten prices with four decimals for numeric(10,2)
		"orders":      {6000, 6000, 0},   // every enum value is text in PostgreSQL
		"order_items": {15000, 15000, 0}, // composite key
	}
	got := tableCounts(t, out)
	for tbl, w := range want {
		if got[tbl] != w {
			t.Errorf("%s: got %v, want %v", tbl, got[tbl], w)
		}
	}
	for _, s := range []string{`products.rating: cast "N/A" -> NULL (12 values)`, "0 mismatches"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	rejects, _ := tightrope(t, nil, "rejects", j)
	if !strings.Contains(rejects, "invalid_date") || !strings.Contains(rejects, "precision_loss") {
		t.Errorf("rejects:\n%s", rejects)
	}
}

// TestMySQLToPostgresExampleRollsBack: --auto-decide rollback restores both
// sides from their snapshots, verified, within the runbook's RTO, exit 3.
func TestMySQLToPostgresExampleRollsBack(t *testing.T) {
	shopMy, shopPG := exampleDatabases(t)
	env := []string{"SHOP_MYSQL_DSN=" + shopMy, "SHOP_PG_DSN=" + shopPG}
	j := filepath.Join(t.TempDir(), "m2p.journal")
	out, code := tightrope(t, env, "run", "runbooks/examples/mysql-to-postgres.yaml", "--plain", "--auto-decide", "rollback", "--as", "alice", "--journal", j)
	if code != 3 {
		t.Fatalf("exit %d, want 3:\n%s", code, out)
	}
	for _, s := range []string{"restore-target: done", "restore-source: done", "(RTO 10m, ok) · verified", "rollback finished"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	pg, err := sql.Open("pgx", shopPG)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for _, table := range []string{"customers", "products", "orders", "order_items"} {
		var n int
		if err := pg.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil || n != 0 {
			t.Errorf("PostgreSQL %s after the rollback: %d rows, %v", table, n, err)
		}
	}
}

// TestBlueGreenExampleLints: the blue-green example passes lint without a
// warning (its steps are what strategy blue-green needs) and names its
// conninfo variables, which are registered as secrets like the DSNs.
func TestBlueGreenExampleLints(t *testing.T) {
	out, code := tightrope(t, nil, "lint", "runbooks/examples/blue-green-postgres.yaml")
	if code != 0 || strings.Contains(out, "warning") {
		t.Fatalf("blue-green-postgres.yaml: exit %d\n%s", code, out)
	}
	rb, err := runbooks.Load("runbooks/examples/blue-green-postgres.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SHOP_BLUE_DSN", "postgres://postgres:dsn-secret@blue/shop")
	t.Setenv("SHOP_GREEN_DSN", "postgres://postgres@green/shop")
	t.Setenv("SHOP_BLUE_REPL", "host=blue user=replicator password=repl-secret-blue")
	t.Setenv("SHOP_GREEN_REPL", "host=green user=replicator password=repl-secret-green")
	secrets := strings.Join(connectionSecrets(rb), "\n")
	for _, want := range []string{"dsn-secret", "repl-secret-blue", "repl-secret-green"} {
		if !strings.Contains(secrets, want) {
			t.Errorf("the secrets the journal redacts miss %s: the replication conninfo must be one", want)
		}
	}
}

// TestEveryExampleLints: every example runbook passes tightrope lint —
// the loader, the engine's check of what this build runs — with no
// warning, and opens with a header comment saying what it is and how to
// run it.
func TestEveryExampleLints(t *testing.T) {
	paths, err := filepath.Glob("runbooks/examples/*.yaml")
	if err != nil || len(paths) < 3 {
		t.Fatalf("examples: %v %v", paths, err)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			out, code := tightrope(t, nil, "lint", p)
			if code != 0 || strings.Contains(out, "warning") {
				t.Fatalf("tightrope lint %s: exit %d\n%s", p, code, out)
			}
			text, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.SplitN(string(text), "\n", 3)
			if len(lines) < 3 || !strings.HasPrefix(lines[1], "# ") {
				t.Errorf("%s has no header comment under its schema line", p)
			}
		})
	}
}
