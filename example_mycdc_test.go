package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestMySQLToPostgresCDCExample runs mysql-to-postgres-cdc.yaml with the
// real binary as its header says, on the throwaway MariaDB (ROW binlog,
// GTID) and logical PostgreSQL, scripted (--auto-decide continue answers
// the switch's go and the keep gate): the stream starts, the copy reads
// its snapshot, the catch-up applies, MariaDB is frozen, the switch drains,
// proves the reverse stream and routes (route.txt says postgres), and the
// run finishes with PostgreSQL equal to MariaDB.
func TestMySQLToPostgresCDCExample(t *testing.T) {
	my, pg := cdctest.MariaDB(t), cdctest.Postgres(t)
	name := dbtest.UniqueName(t, "shop")
	src := my.CreateDatabase(t, name)
	dst := pg.CreateDatabase(t, dbtest.UniqueName(t, "shoppg"))
	mdb, err := sql.Open("mysql", src+"?multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	defer mdb.Close()
	t.Cleanup(func() { mdb.Exec("SET GLOBAL read_only = 0") })
	if _, err := mdb.Exec(`CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200));
		CREATE TABLE orders (id INT PRIMARY KEY, customer INT NOT NULL, total DECIMAL(10,2));
		INSERT INTO customers VALUES (1, 'ann', 'ann@example.com'), (2, 'bob', NULL), (3, 'cy', 'cy@example.com');
		INSERT INTO orders VALUES (1, 1, 10.50), (2, 2, 3.25), (3, 1, 99.99)`); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `CREATE TABLE customers (id int PRIMARY KEY, name varchar(100) NOT NULL, email varchar(200));
		CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, total numeric(10,2))`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "SELECT pg_drop_replication_slot('tr_mig_2026_061_flip_back')")
	})
	// the hooks write route.txt next to the runbook: run a copy of it
	dir := t.TempDir()
	text, err := os.ReadFile("runbooks/examples/mysql-to-postgres-cdc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rb := filepath.Join(dir, "mysql-to-postgres-cdc.yaml")
	if err := os.WriteFile(rb, text, 0o644); err != nil {
		t.Fatal(err)
	}
	url := "mysql://" + strings.Replace(strings.Replace(src, "@tcp(", "@", 1), ")/", "/", 1)
	env := []string{"SHOP_MARIADB_DSN=" + url, "SHOP_PG_DSN=" + dst}
	out, code := tightrope(t, env, "run", rb, "--plain", "--auto-decide", "continue", "--as", "alice", "--journal", filepath.Join(dir, "cdc.journal"))
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, s := range []string{"stream tr_mig_2026_061_capture started", "drained into target", "reverse stream tr_mig_2026_061_flip_back created", "switched source → target"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "route.txt")); err != nil || strings.TrimSpace(string(b)) != "postgres" {
		t.Errorf("route.txt: %q %v", b, err)
	}
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM orders WHERE total IN (10.50, 3.25, 99.99)").Scan(&n); err != nil || n != 3 {
		t.Errorf("orders on PostgreSQL: %d %v", n, err)
	}
}
