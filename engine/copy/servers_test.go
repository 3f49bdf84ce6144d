package copy_test

// Databases for the copy's integration tests: a fresh SQLite file, a fresh
// PostgreSQL schema or a fresh MySQL/MariaDB database per call, dropped
// when the test ends. The servers are named by TIGHTROPE_TEST_PG_DSN and
// TIGHTROPE_TEST_MYSQL_DSN; without them the tests skip, except under CI
// (CI=true), where they fail (the convention of engine/db/servers_test.go).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
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
	openDSNEnv  = "TIGHTROPE_COPY_TEST_DSN" // set just before db.Open reads it
)

// drivers are the three engines, in the order the direction tests pair them.
var drivers = []string{db.SQLite, db.Postgres, db.MySQL}

// testDB is an open database made for one test, with the DSN to reach the
// same database at another address (through a proxy).
type testDB struct {
	db.DB
	dsnAt func(addr string) string // nil for SQLite
	addr  string                   // host:port of the server; "" for SQLite
}

// serverDSN returns the DSN held by env; unset, it skips the test, or
// fails it under CI.
func serverDSN(t *testing.T, env, example string) string {
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

// serverDown skips (fails under CI) when a server does not answer.
func serverDown(t *testing.T, env string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: cannot connect: %v", env, err)
	}
	t.Skipf("%s: cannot connect: %v", env, err)
}

// testCtx is a context bounded by the test's life.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// uniqueName is a lower-case identifier unique to this test run.
func uniqueName(t *testing.T) string {
	b := make([]byte, 4)
	rand.Read(b)
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "_"))
	return fmt.Sprintf("trc_%.40s_%s", name, hex.EncodeToString(b))
}

// openDSN opens a database through db.Open, as a runbook connection would.
func openDSN(t *testing.T, driver, dsn string) (db.DB, error) {
	t.Helper()
	c := runbooks.Connection{Name: driver, Driver: driver, DSNEnv: openDSNEnv}
	if driver == db.SQLite {
		c = runbooks.Connection{Name: driver, Driver: driver, Path: dsn}
	} else {
		t.Setenv(openDSNEnv, dsn)
	}
	d, err := db.Open(testCtx(t), c, "")
	if err == nil {
		t.Cleanup(func() { d.Close() })
	}
	return d, err
}

// newDB makes a fresh, empty database of the driver for this test.
func newDB(t *testing.T, driver string) *testDB {
	t.Helper()
	switch driver {
	case db.Postgres:
		return newPostgres(t)
	case db.MySQL:
		return newMySQL(t)
	}
	path := filepath.Join(t.TempDir(), "db.sqlite")
	if err := os.WriteFile(path, nil, 0o644); err != nil { // an empty file is an empty database
		t.Fatal(err)
	}
	d, err := openDSN(t, db.SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	return &testDB{DB: d}
}

// newPostgres creates a schema and opens it as the search_path.
func newPostgres(t *testing.T) *testDB {
	t.Helper()
	base := serverDSN(t, pgDSNEnv, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	admin, err := openDSN(t, db.Postgres, base)
	if err != nil {
		serverDown(t, pgDSNEnv, err)
	}
	schema := uniqueName(t)
	mustExec(t, admin, "CREATE SCHEMA "+admin.Quote(schema))
	t.Cleanup(func() {
		if _, err := admin.SQL().Exec("DROP SCHEMA " + admin.Quote(schema) + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL for these tests", pgDSNEnv)
	}
	dsnAt := func(addr string) string {
		v := *u
		v.Host = addr
		q := v.Query()
		q.Set("search_path", schema)
		v.RawQuery = q.Encode()
		return v.String()
	}
	d, err := openDSN(t, db.Postgres, dsnAt(u.Host))
	if err != nil {
		t.Fatal(err)
	}
	return &testDB{DB: d, dsnAt: dsnAt, addr: u.Host}
}

// newMySQL creates a database (utf8mb4) and opens it.
func newMySQL(t *testing.T) *testDB {
	t.Helper()
	base := serverDSN(t, mysqlDSNEnv, "root@tcp(127.0.0.1:3306)/test")
	admin, err := openDSN(t, db.MySQL, base)
	if err != nil {
		serverDown(t, mysqlDSNEnv, err)
	}
	name := uniqueName(t)
	mustExec(t, admin, "CREATE DATABASE "+admin.Quote(name)+" CHARACTER SET utf8mb4")
	t.Cleanup(func() {
		if _, err := admin.SQL().Exec("DROP DATABASE " + admin.Quote(name)); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("%s must be a go-sql-driver DSN (user@tcp(host:port)/db) for these tests: %v", mysqlDSNEnv, err)
	}
	dsnAt := func(addr string) string {
		c := cfg.Clone()
		c.DBName, c.Addr = name, addr
		return c.FormatDSN()
	}
	d, err := openDSN(t, db.MySQL, dsnAt(cfg.Addr))
	if err != nil {
		t.Fatal(err)
	}
	return &testDB{DB: d, dsnAt: dsnAt, addr: cfg.Addr}
}

// reopenAt opens the same database through another address.
func (d *testDB) reopenAt(t *testing.T, addr string) db.DB {
	t.Helper()
	o, err := openDSN(t, d.Driver(), d.dsnAt(addr))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// mustExec runs statements on the database's pool.
func mustExec(t *testing.T, d db.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := d.SQL().Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// insertRows inserts rows into table with parameters, in one transaction
// of multi-row INSERTs.
func insertRows(t *testing.T, d db.DB, table string, cols []string, rows [][]any) {
	t.Helper()
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = d.Quote(c)
	}
	tx, err := d.SQL().Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const per = 200
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var groups []string
		var args []any
		for _, r := range chunk {
			ph := make([]string, len(r))
			for i := range r {
				ph[i] = "?"
				if d.Driver() == db.Postgres {
					ph[i] = fmt.Sprintf("$%d", len(args)+i+1)
				}
			}
			groups = append(groups, "("+strings.Join(ph, ", ")+")")
			args = append(args, r...)
		}
		q := "INSERT INTO " + d.Quote(table) + " (" + strings.Join(quoted, ", ") + ") VALUES " + strings.Join(groups, ", ")
		if _, err := tx.Exec(q, args...); err != nil {
			t.Fatalf("insert into %s: %v", table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// count counts a table's rows.
func count(t *testing.T, d db.DB, table string) int64 {
	t.Helper()
	n, err := d.Count(testCtx(t), table)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
