// Package dbtest holds what the integration tests of the engine packages
// share: finding the test servers (skip outside CI, fail under it), unique
// names, opening a database as a runbook connection would, and filling
// tables. It is imported by tests only. (engine/db's own tests cannot use
// it: it imports engine/db.)
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// The variables naming the test servers' DSNs.
const (
	PostgresEnv = "TIGHTROPE_TEST_PG_DSN"
	MySQLEnv    = "TIGHTROPE_TEST_MYSQL_DSN"
	openEnv     = "TIGHTROPE_DBTEST_DSN" // set just before db.Open reads it
)

// ServerDSN returns the DSN held by env; unset, it skips the test, or
// fails it under CI.
func ServerDSN(t testing.TB, env, example string) string {
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

// ServerDown skips (fails under CI) when a server does not answer.
func ServerDown(t testing.TB, env string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: cannot connect: %v", env, err)
	}
	t.Skipf("%s: cannot connect: %v", env, err)
}

// Ctx is a context bounded by the test's life.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var notIdent = regexp.MustCompile(`[^A-Za-z0-9]+`)

// UniqueName is a lower-case identifier unique to this test run, made of
// prefix, the test's name and a random suffix.
func UniqueName(t testing.TB, prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	name := strings.ToLower(notIdent.ReplaceAllString(t.Name(), "_"))
	return fmt.Sprintf("%s_%.40s_%s", prefix, name, hex.EncodeToString(b))
}

// Open opens a database through db.Open, as a runbook connection would
// (a SQLite dsn is a path), and closes it when the test ends.
func Open(t testing.TB, driver, dsn string) (db.DB, error) {
	t.Helper()
	c := runbooks.Connection{Name: driver, Driver: driver, DSNEnv: openEnv}
	if driver == db.SQLite {
		c = runbooks.Connection{Name: driver, Driver: driver, Path: dsn}
	} else {
		t.Setenv(openEnv, dsn)
	}
	d, err := db.Open(Ctx(t), c, "")
	if err == nil {
		t.Cleanup(func() { d.Close() })
	}
	return d, err
}

// MustExec runs statements or fails the test.
func MustExec(t testing.TB, d db.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := d.SQL().Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// InsertRows inserts rows into table with parameters, in one transaction
// of multi-row INSERTs.
func InsertRows(t testing.TB, d db.DB, table string, cols []string, rows [][]any) {
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

// Count counts a table's rows or fails the test.
func Count(t testing.TB, d db.DB, table string) int64 {
	t.Helper()
	n, err := d.Count(Ctx(t), table)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
