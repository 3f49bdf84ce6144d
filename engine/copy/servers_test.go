package copy_test

// Databases for the copy's integration tests: a fresh SQLite file, a fresh
// PostgreSQL schema or a fresh MySQL/MariaDB database per call, dropped
// when the test ends. The servers are named by TIGHTROPE_TEST_PG_DSN and
// TIGHTROPE_TEST_MYSQL_DSN; without them the tests skip, except under CI
// (CI=true), where they fail (the convention of engine/db/servers_test.go).

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
)

const (
	pgDSNEnv    = "TIGHTROPE_TEST_PG_DSN"
	mysqlDSNEnv = "TIGHTROPE_TEST_MYSQL_DSN"
)

// The helpers shared with the other engine packages' tests.
var (
	serverDSN  = dbtest.ServerDSN
	serverDown = dbtest.ServerDown
	testCtx    = dbtest.Ctx
	openDSN    = dbtest.Open
	mustExec   = dbtest.MustExec
	insertRows = dbtest.InsertRows
	count      = dbtest.Count
)

// uniqueName is a lower-case identifier unique to this test run.
func uniqueName(t testing.TB) string { return dbtest.UniqueName(t, "trc") }

// drivers are the three engines, in the order the direction tests pair them.
var drivers = []string{db.SQLite, db.Postgres, db.MySQL}

// testDB is an open database made for one test, with the DSN to reach the
// same database at another address (through a proxy).
type testDB struct {
	db.DB
	dsnAt func(addr string) string // nil for SQLite
	addr  string                   // host:port of the server; "" for SQLite
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
