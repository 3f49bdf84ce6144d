package cdc

import (
	"database/sql"
	"fmt"
	"regexp"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/tightrope/tightrope/internal/dbtest"
)

// The sampler reads the oldest writing transaction open on the source, in
// its own database only: a transaction that has only read is not one, and
// one that has written is found with its session, age and (MariaDB) rows.
func TestOpenTxPostgres(t *testing.T) {
	t.Parallel()
	ctx := dbtest.Ctx(t)
	server := dbtest.ServerDSN(t, dbtest.PostgresEnv, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	admin, err := sql.Open("pgx", server)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		dbtest.ServerDown(t, dbtest.PostgresEnv, err)
	}
	defer admin.Close()
	name := dbtest.UniqueName(t, "otx")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP DATABASE " + name + " WITH (FORCE)") })
	dsn := regexp.MustCompile(`/[^/?]*(\?|$)`).ReplaceAllString(server, "/"+name+"$1")
	src, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.ExecContext(ctx, "CREATE TABLE items (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	read := func() string {
		o, err := pgOpenTx(ctx, conn)
		if err != nil {
			t.Fatal(err)
		}
		if o == nil {
			return "none"
		}
		return fmt.Sprintf("pid %d app %s state %s rows %d age>=200ms %v", o.PID, o.App, o.State, o.Rows, o.AgeMS >= 200)
	}
	tx, err := src.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var pid int64
	if err := tx.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "SET LOCAL application_name = 'long writer'"); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "none" {
		t.Fatalf("a transaction that has only read: %s, want none", got)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO items VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	want := fmt.Sprintf("pid %d app long writer state idle in transaction rows -1 age>=200ms true", pid)
	if got := read(); got != want {
		t.Fatalf("open writing transaction: %s, want %s", got, want)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "none" {
		t.Fatalf("after commit: %s, want none", got)
	}
}

func TestOpenTxMariaDB(t *testing.T) {
	t.Parallel()
	ctx := dbtest.Ctx(t)
	server := dbtest.ServerDSN(t, dbtest.MySQLEnv, "root@tcp(127.0.0.1:3306)/test")
	admin, err := sql.Open("mysql", server)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		dbtest.ServerDown(t, dbtest.MySQLEnv, err)
	}
	defer admin.Close()
	name := dbtest.UniqueName(t, "otx")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP DATABASE " + name) })
	dsn := regexp.MustCompile(`\)/[^/?]*(\?|$)`).ReplaceAllString(server, ")/"+name+"$1")
	src, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.ExecContext(ctx, "CREATE TABLE items (id int PRIMARY KEY) ENGINE=InnoDB"); err != nil {
		t.Fatal(err)
	}
	read := func() string {
		o, err := myOpenTx(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		if o == nil {
			return "none"
		}
		return fmt.Sprintf("pid %d state %s rows %d age>=200ms %v", o.PID, o.State, o.Rows, o.AgeMS >= 200)
	}
	tx, err := src.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var pid int64
	if err := tx.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "none" {
		t.Fatalf("a transaction that has only read: %s, want none", got)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO items VALUES (1), (2), (3)"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	want := fmt.Sprintf("pid %d state RUNNING rows 3 age>=200ms true", pid)
	if got := read(); got != want {
		t.Fatalf("open writing transaction: %s, want %s", got, want)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "none" {
		t.Fatalf("after commit: %s, want none", got)
	}
}
