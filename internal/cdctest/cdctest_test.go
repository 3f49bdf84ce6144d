package cdctest

import (
	"context"
	"database/sql"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestPostgresIsLogical: the throwaway PostgreSQL decodes logically.
func TestPostgresIsLogical(t *testing.T) {
	s := Postgres(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var level string
	if err := c.QueryRow(ctx, "SHOW wal_level").Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level != "logical" {
		t.Fatalf("wal_level = %q, want logical", level)
	}
}

// TestMariaDBHasRowBinlog: the throwaway MariaDB writes a full ROW binlog
// with strict GTIDs.
func TestMariaDBHasRowBinlog(t *testing.T) {
	s := MariaDB(t)
	db, err := sql.Open("mysql", s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[string]string{
		"log_bin": "ON", "binlog_format": "ROW", "binlog_row_image": "FULL",
		"binlog_row_metadata": "FULL", "gtid_strict_mode": "ON",
	}
	for name, v := range want {
		var n, got string
		if err := db.QueryRow("SHOW GLOBAL VARIABLES LIKE '"+name+"'").Scan(&n, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
}
