package db

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sqliteShop is a small database with the objects a restore must bring
// back: tables, an index, a view, a trigger, an AUTOINCREMENT sequence.
var sqliteShop = []string{
	`CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, email TEXT)`,
	`CREATE TABLE "order items" (order_id INTEGER, line INTEGER, sku TEXT, qty INTEGER, PRIMARY KEY (order_id, line))`,
	`CREATE INDEX customers_email ON customers(email)`,
	`CREATE VIEW big AS SELECT * FROM "order items" WHERE qty > 5`,
	`CREATE TABLE audit (msg TEXT)`,
	`CREATE TRIGGER customers_audit AFTER UPDATE ON customers BEGIN INSERT INTO audit VALUES ('updated ' || new.id); END`,
	`INSERT INTO customers (name, email) VALUES ('ann', 'ann@x'), ('bob', NULL), ('cyd', 'cyd@x')`,
	`INSERT INTO "order items" VALUES (1, 1, 'A', 2), (1, 2, 'B', 9), (2, 1, 'N/A', 'N/A')`,
	// About 1,500 pages, so a restore takes several backup steps.
	`CREATE TABLE bulk AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
		SELECT i, randomblob(3000) AS b FROM n`,
}

func TestSQLiteSnapshotRestore(t *testing.T) {
	for _, mode := range []string{"delete", "wal"} {
		t.Run(mode, func(t *testing.T) {
			path := newSQLiteFile(t, append([]string{"PRAGMA journal_mode = " + mode}, sqliteShop...)...)
			d := openTestSQLite(t, path)
			ctx := context.Background()
			want := sqliteDump(t, d)

			art := filepath.Join(t.TempDir(), "MIG-1.snap")
			if err := d.Snapshot(ctx, art); err != nil {
				t.Fatal(err)
			}
			if err := d.Snapshot(ctx, art); err == nil || !strings.Contains(err.Error(), "exists") {
				t.Fatalf("second snapshot to the same artefact: %v", err)
			}

			// Hold a second pool connection with a prepared statement across
			// the restore: it must see the restored content afterwards.
			stmt, err := d.SQL().PrepareContext(ctx, `SELECT count(*) FROM customers`)
			if err != nil {
				t.Fatal(err)
			}
			defer stmt.Close()
			other, err := d.SQL().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sqliteExec(t, d,
				`UPDATE customers SET name = 'ANN' WHERE id = 1`,
				`DELETE FROM "order items" WHERE order_id = 1`,
				`INSERT INTO customers (name) VALUES ('dan'), ('eve')`,
				`DROP INDEX customers_email`,
				`UPDATE bulk SET b = randomblob(10) WHERE i % 7 = 0`,
				`CREATE TABLE extra (x)`,
			)
			tb, _ := d.Table(ctx, "extra")
			tb.Key = []string{"x"}
			if err := d.LoadBatch(ctx, tb, []string{"x"}, [][]any{{int64(1)}}, Marker{CopyID: "c"}); err != nil {
				t.Fatal(err)
			}
			if sqliteDump(t, d) == want {
				t.Fatal("modifications did not change the dump")
			}
			other.Close()

			if err := d.Restore(ctx, art); err != nil {
				t.Fatal(err)
			}
			if got := sqliteDump(t, d); got != want {
				t.Fatalf("after restore:\n%s\nwant:\n%s", got, want)
			}
			var n int
			if err := stmt.QueryRowContext(ctx).Scan(&n); err != nil || n != 3 {
				t.Fatalf("prepared count after restore = %d, %v", n, err)
			}
			var jm string
			d.SQL().QueryRow(`PRAGMA journal_mode`).Scan(&jm)
			if jm != mode {
				t.Fatalf("journal mode after restore = %q, want %q", jm, mode)
			}
			if tables, _ := d.Tables(ctx); strings.Join(tables, ",") != "audit,bulk,customers,order items" {
				t.Fatalf("Tables after restore = %q", tables)
			}

			// The restored database stays writable, and a fresh open agrees.
			sqliteExec(t, d, `INSERT INTO customers (name) VALUES ('fay')`, `DELETE FROM customers WHERE name = 'fay'`)
			d2 := openTestSQLite(t, path)
			if got := sqliteDump(t, d2); got != sqliteDump(t, d) {
				t.Fatalf("a new connection sees:\n%s", got)
			}
		})
	}
}

func TestSQLiteRestoreRefusals(t *testing.T) {
	path := newSQLiteFile(t, sqliteShop...)
	d := openTestSQLite(t, path)
	ctx := context.Background()
	want := sqliteDump(t, d)

	missing := filepath.Join(t.TempDir(), "missing.snap")
	if err := d.Restore(ctx, missing); err == nil || !strings.Contains(err.Error(), "no such snapshot") {
		t.Fatalf("restore from a missing artefact: %v", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatal("restore created the artefact")
	}
	if err := d.Restore(ctx, path); err == nil {
		t.Fatal("restore from the live file succeeded")
	}
	junk := filepath.Join(t.TempDir(), "junk.snap")
	os.WriteFile(junk, []byte(strings.Repeat("junk", 1024)), 0o644)
	if err := d.Restore(ctx, junk); err == nil {
		t.Fatal("restore from a non-database succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	good := filepath.Join(t.TempDir(), "good.snap")
	if err := d.Snapshot(ctx, good); err != nil {
		t.Fatal(err)
	}
	sqliteExec(t, d, `DELETE FROM customers`)
	if err := d.Restore(cancelled, good); err == nil {
		t.Fatal("restore with a cancelled context succeeded")
	}
	if err := d.Restore(ctx, good); err != nil {
		t.Fatal(err)
	}
	if got := sqliteDump(t, d); got != want {
		t.Fatalf("after refusals and restore:\n%s\nwant:\n%s", got, want)
	}
	if err := d.Snapshot(ctx, filepath.Join(t.TempDir(), "no", "dir.snap")); err == nil {
		t.Fatal("snapshot into a missing directory succeeded")
	}
}
