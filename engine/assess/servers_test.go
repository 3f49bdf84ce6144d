package assess_test

// Fresh databases on the test servers for the assessment's integration
// tests (the convention of engine/copy/servers_test.go): a PostgreSQL
// schema or a MariaDB database per call, dropped when the test ends, and
// its DSN in an environment variable a runbook connection can name.

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/runbooks"
)

// server is a fresh database with the runbook connection that reaches it.
type server struct {
	db.DB
	conn runbooks.Connection
	name string // the schema (PostgreSQL) or database (MySQL)
}

func newPostgres(t *testing.T, connName string) *server {
	t.Helper()
	base := dbtest.ServerDSN(t, dbtest.PostgresEnv, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	admin, err := dbtest.Open(t, db.Postgres, base)
	if err != nil {
		dbtest.ServerDown(t, dbtest.PostgresEnv, err)
	}
	schema := dbtest.UniqueName(t, "tra")
	dbtest.MustExec(t, admin, "CREATE SCHEMA "+admin.Quote(schema))
	t.Cleanup(func() { admin.SQL().Exec("DROP SCHEMA " + admin.Quote(schema) + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return open(t, db.Postgres, connName, u.String(), schema)
}

func newMySQL(t *testing.T, connName string) *server {
	t.Helper()
	base := dbtest.ServerDSN(t, dbtest.MySQLEnv, "root@tcp(127.0.0.1:3306)/test")
	admin, err := dbtest.Open(t, db.MySQL, base)
	if err != nil {
		dbtest.ServerDown(t, dbtest.MySQLEnv, err)
	}
	name := dbtest.UniqueName(t, "tra")
	dbtest.MustExec(t, admin, "CREATE DATABASE "+admin.Quote(name)+" CHARACTER SET utf8mb4")
	t.Cleanup(func() { admin.SQL().Exec("DROP DATABASE " + admin.Quote(name)) })
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = name
	return open(t, db.MySQL, connName, cfg.FormatDSN(), name)
}

// newSQLite makes an empty SQLite file named by a path connection.
func newSQLite(t *testing.T, connName string) *server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := runbooks.Connection{Name: connName, Driver: db.SQLite, Path: path}
	d, err := db.Open(dbtest.Ctx(t), c, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return &server{DB: d, conn: c, name: path}
}

// open opens dsn read-write for the test's own setup and checks, and
// names it in an environment variable for the runbook connection.
func open(t *testing.T, driver, connName, dsn, name string) *server {
	t.Helper()
	env := "TIGHTROPE_ASSESS_TEST_" + strings.ToUpper(connName)
	t.Setenv(env, dsn)
	c := runbooks.Connection{Name: connName, Driver: driver, DSNEnv: env}
	d, err := db.Open(dbtest.Ctx(t), c, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return &server{DB: d, conn: c, name: name}
}

// openWrite opens a runbook connection read-write, as --measure-write does.
func openWrite(ctx context.Context, c runbooks.Connection) (db.DB, error) {
	return db.Open(ctx, c, "")
}
