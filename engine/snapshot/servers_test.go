package snapshot

// Integration tests against real PostgreSQL and MySQL/MariaDB servers,
// named by TIGHTROPE_TEST_PG_DSN and TIGHTROPE_TEST_MYSQL_DSN; unset, the
// tests skip, except under CI (CI=true), where they fail. Each test works
// in a fresh schema (PostgreSQL) or database (MySQL), dropped at the end
// with every snapshot database it made.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

const (
	pgDSNEnv    = "TIGHTROPE_TEST_PG_DSN"
	mysqlDSNEnv = "TIGHTROPE_TEST_MYSQL_DSN"
	testDSNEnv  = "TIGHTROPE_SNAPSHOT_TEST_DSN" // the per-test DSN, as a runbook's dsn_env
)

// serverDSN returns the DSN held by env; unset, it skips the test, or
// fails it under CI.
func serverDSN(t testing.TB, env, example string) string {
	t.Helper()
	dsn := os.Getenv(env)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set; CI must run the integration tests", env)
		}
		t.Skipf("set %s=%s to run", env, example)
	}
	return dsn
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// uniqueName is a lower-case identifier unique to this test run.
func uniqueName(t testing.TB) string {
	b := make([]byte, 4)
	rand.Read(b)
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "_"))
	return fmt.Sprintf("trs_%.24s_%s", name, hex.EncodeToString(b))
}

// open opens a connection the way the conductor does, from a dsn_env.
func open(t testing.TB, driver, dsn string) db.DB {
	t.Helper()
	t.Setenv(testDSNEnv, dsn)
	d, err := db.Open(testCtx(t), runbooks.Connection{Name: "source", Driver: driver, DSNEnv: testDSNEnv}, "")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// pgServer opens PostgreSQL with search_path set to a fresh schema,
// dropped when the test ends. It returns the handle and its DSN.
func pgServer(t testing.TB) (db.DB, string) {
	t.Helper()
	base := serverDSN(t, pgDSNEnv, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	admin := open(t, db.Postgres, base)
	schema := uniqueName(t)
	exec(t, admin, "CREATE SCHEMA "+admin.Quote(schema))
	t.Cleanup(func() {
		if _, err := admin.SQL().Exec("DROP SCHEMA " + admin.Quote(schema) + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	dsn := base + sep + "search_path=" + url.QueryEscape(schema)
	return open(t, db.Postgres, dsn), dsn
}

// mysqlServer opens MySQL on a fresh database, dropped when the test ends
// together with every snapshot, staging and old-tables database of it.
func mysqlServer(t testing.TB) (db.DB, string) {
	t.Helper()
	base := serverDSN(t, mysqlDSNEnv, "root@tcp(127.0.0.1:3306)/test")
	admin := open(t, db.MySQL, base)
	name := uniqueName(t)
	exec(t, admin, "CREATE DATABASE "+admin.Quote(name)+" CHARACTER SET utf8mb4")
	t.Cleanup(func() {
		rows, err := admin.SQL().Query(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?`,
			strings.ReplaceAll(name, "_", `\_`)+`%`)
		if err != nil {
			t.Error(err)
			return
		}
		var dbs []string
		for rows.Next() {
			var s string
			rows.Scan(&s)
			dbs = append(dbs, s)
		}
		rows.Close()
		for _, s := range dbs {
			if _, err := admin.SQL().Exec("DROP DATABASE " + admin.Quote(s)); err != nil {
				t.Errorf("drop database %s: %v", s, err)
			}
		}
	})
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = name
	dsn := cfg.FormatDSN()
	return open(t, db.MySQL, dsn), dsn
}

// exec runs statements on the handle's pool.
func exec(t testing.TB, d db.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := d.SQL().Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// fixture creates tables whose names need quoting (mixed case, spaces,
// reserved words, a column named order), one without a key, and rows with
// NULLs, decimals and times.
func fixture(t testing.TB, d db.DB) {
	q := d.Quote
	text, ts := "text", "timestamp"
	if d.Driver() == db.MySQL {
		ts = "datetime(6)"
	}
	exec(t, d,
		"CREATE TABLE "+q("Order Items")+" ("+q("order")+" integer NOT NULL PRIMARY KEY, "+q("Group")+" varchar(40), "+q("select")+" numeric(12,2))",
		"CREATE TABLE "+q("user")+" (id bigint NOT NULL PRIMARY KEY, name varchar(50) NOT NULL, at "+ts+", note "+text+")",
		"CREATE TABLE "+q("NoKey")+" (a integer, b varchar(20))",
	)
	var oi, us []string
	for i := 1; i <= 300; i++ {
		group := fmt.Sprintf("'g%d'", i%7)
		if i%11 == 0 {
			group = "NULL"
		}
		oi = append(oi, fmt.Sprintf("(%d, %s, %d.%02d)", i, group, i*3, i%100))
		note := fmt.Sprintf("'note %d'", i)
		if i%5 == 0 {
			note = "NULL"
		}
		us = append(us, fmt.Sprintf("(%d, 'user %d', '2024-03-%02d 10:%02d:%02d.123456', %s)", i, i, i%28+1, i%60, (i*7)%60, note))
	}
	exec(t, d,
		"INSERT INTO "+q("Order Items")+" VALUES "+strings.Join(oi, ", "),
		"INSERT INTO "+q("user")+" VALUES "+strings.Join(us, ", "),
		"INSERT INTO "+q("NoKey")+" VALUES (1, 'a'), (1, 'a'), (2, NULL), (NULL, 'z')",
	)
}

// damage changes, deletes and adds rows in every fixture table.
func damage(t testing.TB, d db.DB) {
	q := d.Quote
	exec(t, d,
		"UPDATE "+q("Order Items")+" SET "+q("select")+" = 0 WHERE "+q("order")+" % 10 = 0",
		"DELETE FROM "+q("Order Items")+" WHERE "+q("order")+" > 280",
		"INSERT INTO "+q("Order Items")+" VALUES (1001, 'new', 1.5), (1002, NULL, NULL)",
		"UPDATE "+q("user")+" SET note = 'changed' WHERE id < 50",
		"DELETE FROM "+q("user")+" WHERE id % 3 = 0",
		"INSERT INTO "+q("user")+" VALUES (5000, 'intruder', NULL, NULL)",
		"DELETE FROM "+q("NoKey")+" WHERE a = 2",
		"INSERT INTO "+q("NoKey")+" VALUES (9, 'nine')",
	)
}
