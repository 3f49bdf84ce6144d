package verify

// Databases for verify's tests: a fresh SQLite file, a fresh PostgreSQL
// schema or a fresh MySQL/MariaDB database per call, dropped when the test
// ends (the pattern of engine/copy/servers_test.go). The servers are named
// by TIGHTROPE_TEST_PG_DSN and TIGHTROPE_TEST_MYSQL_DSN; without them the
// tests skip, except under CI (CI=true), where they fail.

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/runbooks"
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
func uniqueName(t testing.TB) string { return dbtest.UniqueName(t, "trv") }

// manySizes make a table of a few hundred rows span many batches, chunks,
// buckets and descent rounds.
var manySizes = Sizes{ReadBatch: 7, ChunkRows: 10, Buckets: 8, HeldRows: 15}

// newDB makes a fresh, empty database of the driver for this test.
func newDB(t testing.TB, driver string) db.DB {
	t.Helper()
	switch driver {
	case db.Postgres:
		return newPostgres(t, "")
	case db.MySQL:
		return newMySQL(t, "")
	}
	path := filepath.Join(t.TempDir(), "db.sqlite")
	if err := os.WriteFile(path, nil, 0o644); err != nil { // an empty file is an empty database
		t.Fatal(err)
	}
	d, err := openDSN(t, db.SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// newPostgres opens a schema as the search_path: a fresh one dropped at
// the end when keep is "", else the schema keep, created if missing and
// kept.
func newPostgres(t testing.TB, keep string) db.DB {
	t.Helper()
	base := serverDSN(t, pgDSNEnv, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	admin, err := openDSN(t, db.Postgres, base)
	if err != nil {
		serverDown(t, pgDSNEnv, err)
	}
	schema := keep
	if keep == "" {
		schema = uniqueName(t)
		t.Cleanup(func() {
			if _, err := admin.SQL().Exec("DROP SCHEMA " + admin.Quote(schema) + " CASCADE"); err != nil {
				t.Errorf("drop schema %s: %v", schema, err)
			}
		})
	}
	mustExec(t, admin, "CREATE SCHEMA IF NOT EXISTS "+admin.Quote(schema))
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL for these tests", pgDSNEnv)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	d, err := openDSN(t, db.Postgres, u.String())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// newMySQL opens a database (utf8mb4): a fresh one dropped at the end
// when keep is "", else the database keep, created if missing and kept.
func newMySQL(t testing.TB, keep string) db.DB {
	t.Helper()
	base := serverDSN(t, mysqlDSNEnv, "root@tcp(127.0.0.1:3306)/test")
	admin, err := openDSN(t, db.MySQL, base)
	if err != nil {
		serverDown(t, mysqlDSNEnv, err)
	}
	name := keep
	if keep == "" {
		name = uniqueName(t)
		t.Cleanup(func() {
			if _, err := admin.SQL().Exec("DROP DATABASE " + admin.Quote(name)); err != nil {
				t.Errorf("drop database %s: %v", name, err)
			}
		})
	}
	mustExec(t, admin, "CREATE DATABASE IF NOT EXISTS "+admin.Quote(name)+" CHARACTER SET utf8mb4")
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("%s must be a go-sql-driver DSN (user@tcp(host:port)/db) for these tests: %v", mysqlDSNEnv, err)
	}
	cfg.DBName = name
	d, err := openDSN(t, db.MySQL, cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// createTable creates a table from per-driver column lists.
func createTable(t testing.TB, d db.DB, table string, cols map[string]string) {
	t.Helper()
	stmt := "CREATE TABLE " + d.Quote(table) + " (" + cols[d.Driver()] + ")"
	if d.Driver() == db.MySQL {
		stmt += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	}
	mustExec(t, d, stmt)
}

// sink is a copy.Sink that keeps nothing but the rejects' count; the
// copy is only the means to a clean target here.
type sink struct {
	mu      sync.Mutex
	rejects int
}

func (s *sink) Rejects(_ context.Context, _ string, rows []copyengine.Rejected) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejects += len(rows)
	return nil
}
func (s *sink) Cast(string, string, string, string, int64)          {}
func (s *sink) Progress(context.Context, copyengine.Counters) error { return nil }
func (s *sink) Created(string, []db.Mapping)                        {}
func (s *sink) Retry(string, int, time.Duration, error)             {}

// copyTable copies one table with the tightrope copier.
func copyTable(t testing.TB, src, dst db.DB, name string, step runbooks.Step) copyengine.Counters {
	t.Helper()
	step.ID, step.Kind = "copy", runbooks.KindCopy
	step.Tables = []string{name}
	if step.Batch == 0 {
		step.Batch = 1000
	}
	c, err := copyengine.Table(testCtx(t), src, dst, name, step, "verify-test/"+name, &sink{})
	if err != nil {
		t.Fatalf("copy %s (%s → %s): %v", name, src.Driver(), dst.Driver(), err)
	}
	return c
}

// countingDB is a real database that counts its keyset reads: a test seam
// to prove how often verify reads each side.
type countingDB struct {
	db.DB
	mu    sync.Mutex
	calls int
	rows  int
}

func (c *countingDB) ReadBatch(ctx context.Context, t db.Table, cols []string, after []any, limit int) ([][]any, error) {
	rows, err := c.DB.ReadBatch(ctx, t, cols, after, limit)
	c.mu.Lock()
	c.calls++
	c.rows += len(rows)
	c.mu.Unlock()
	return rows, err
}

func (c *countingDB) reads() (calls, rows int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls, c.rows
}

func (c *countingDB) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.rows = 0, 0
}
