package db

// Helpers and shared scenarios for the integration tests against real
// PostgreSQL and MySQL/MariaDB servers. The servers are named by
// TIGHTROPE_TEST_PG_DSN and TIGHTROPE_TEST_MYSQL_DSN; without them the
// tests skip, except under CI (CI=true), where they fail. Each test gets a
// fresh schema (PostgreSQL) or database (MySQL), dropped at the end.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/tightrope/tightrope/runbooks"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tightrope/tightrope/engine/convert"
)

const (
	pgDSNEnv    = "TIGHTROPE_TEST_PG_DSN"
	mysqlDSNEnv = "TIGHTROPE_TEST_MYSQL_DSN"
)

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

// serverDown skips (fails under CI) when the server named by env does not
// answer.
func serverDown(t *testing.T, env string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: cannot connect: %v", env, err)
	}
	t.Skipf("%s: cannot connect: %v", env, err)
}

// testCtx is a context bounded by the test's life.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// uniqueName is a lower-case identifier unique to this test run.
func uniqueName(t *testing.T) string {
	b := make([]byte, 4)
	rand.Read(b)
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "_"))
	return fmt.Sprintf("tr_%.40s_%s", name, hex.EncodeToString(b))
}

// pgTestDB opens the PostgreSQL test server with search_path set to a
// fresh schema, dropped when the test ends.
func pgTestDB(t *testing.T) DB {
	t.Helper()
	dsn := serverDSN(t, pgDSNEnv, "postgres://postgres@127.0.0.1:5432/test")
	ctx := testCtx(t)
	admin, err := openPostgres(ctx, dsn)
	if err != nil {
		serverDown(t, pgDSNEnv, err)
	}
	schema := uniqueName(t)
	mustExec(t, admin, "CREATE SCHEMA "+admin.Quote(schema))
	t.Cleanup(func() {
		if _, err := admin.SQL().Exec("DROP SCHEMA " + admin.Quote(schema) + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	d, err := openPostgresConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// mysqlTestDB opens the MySQL/MariaDB test server on a fresh database,
// dropped when the test ends.
func mysqlTestDB(t *testing.T) DB {
	t.Helper()
	dsn := serverDSN(t, mysqlDSNEnv, "mysql://root@127.0.0.1:3306/test")
	ctx := testCtx(t)
	admin, err := openMySQL(ctx, dsn)
	if err != nil {
		serverDown(t, mysqlDSNEnv, err)
	}
	name := uniqueName(t)
	mustExec(t, admin, "CREATE DATABASE "+admin.Quote(name)+" CHARACTER SET utf8mb4")
	t.Cleanup(func() {
		if _, err := admin.SQL().Exec("DROP DATABASE " + admin.Quote(name)); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	cfg, err := parseMySQLDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = name
	d, err := openMySQLConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// mustExec runs statements on the adapter's pool.
func mustExec(t *testing.T, d DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := d.SQL().Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// mustTable reads a table's shape.
func mustTable(t *testing.T, d DB, name string) Table {
	t.Helper()
	tb, err := d.Table(testCtx(t), name)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// readAll pages through a whole table with ReadBatch, feeding each batch's
// last key back in.
func readAll(t *testing.T, d DB, tb Table, cols []string, batch int) [][]any {
	t.Helper()
	var out [][]any
	var after []any
	for calls := 0; ; calls++ {
		rows, err := d.ReadBatch(testCtx(t), tb, cols, after, batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) > batch {
			t.Fatalf("batch of %d returned %d rows", batch, len(rows))
		}
		out = append(out, rows...)
		if len(rows) < batch {
			return out
		}
		after = rows[len(rows)-1][:len(tb.Key)]
		if calls > 100000 {
			t.Fatal("paging does not end")
		}
	}
}

// checkQuoting creates a table whose name and columns need quoting
// (spaces, mixed case, reserved words, the engine's own quote character),
// and runs it through the whole adapter.
func checkQuoting(t *testing.T, d DB, textType string) {
	ctx := testCtx(t)
	q := d.Quote
	for _, name := range []string{"Order Items", "we\"ird`name"} {
		mustExec(t, d, "CREATE TABLE "+q(name)+" ("+q("order")+" INTEGER NOT NULL PRIMARY KEY, "+
			q("Group")+" "+textType+", "+q("select")+" "+textType+")")
		tables, err := d.Tables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(tables, name) {
			t.Fatalf("Tables() = %q, want %q in it", tables, name)
		}
		tb := mustTable(t, d, name)
		if got := colNames(tb); !reflect.DeepEqual(got, []string{"order", "Group", "select"}) || !reflect.DeepEqual(tb.Key, []string{"order"}) {
			t.Fatalf("Table(%q) = columns %q key %q", name, got, tb.Key)
		}
		cols := colNames(tb)
		rows := [][]any{{int64(1), "a", "x"}, {int64(2), "b", nil}, {int64(3), "", "z"}}
		if err := d.LoadBatch(ctx, tb, cols, rows, Marker{CopyID: "quoting", LastKey: []any{int64(3)}, Read: 3, Written: 3}); err != nil {
			t.Fatal(err)
		}
		if n, err := d.Count(ctx, name); err != nil || n != 3 {
			t.Fatalf("Count = %d, %v; want 3", n, err)
		}
		if got := readAll(t, d, tb, cols, 2); !reflect.DeepEqual(got, rows) {
			t.Fatalf("read back %v, want %v", got, rows)
		}
		if m, ok, err := d.Progress(ctx, "quoting", name); err != nil || !ok || m.Table != name {
			t.Fatalf("Progress = %+v, %v, %v", m, ok, err)
		}
	}
}

// checkPaging reads a composite-key table in batches of 1, 7 and 1000 and
// compares with one ORDER BY query: same rows, same order, none twice.
func checkPaging(t *testing.T, d DB, table string) {
	tb := mustTable(t, d, table)
	cols := colNames(tb)
	want := readAll(t, d, tb, cols, 1<<30)
	if len(want) < 100 {
		t.Fatalf("fixture too small: %d rows", len(want))
	}
	for _, batch := range []int{1, 7, 1000} {
		got := readAll(t, d, tb, cols, batch)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("batch %d: read %d rows, want %d in the same order", batch, len(got), len(want))
		}
		seen := map[string]bool{}
		for _, r := range got {
			k := fmt.Sprint(r[:len(tb.Key)]...)
			if seen[k] {
				t.Fatalf("batch %d: key %s read twice", batch, k)
			}
			seen[k] = true
		}
	}
}

// checkProgress loads two batches and reads the marker back after each;
// a third batch with a duplicate key fails and commits nothing.
func checkProgress(t *testing.T, d DB, table string) {
	ctx := testCtx(t)
	if _, ok, err := d.Progress(ctx, "run1/copy", table); err != nil || ok {
		t.Fatalf("Progress before any load = %v, %v; want none", ok, err)
	}
	tb := mustTable(t, d, table)
	cols := colNames(tb)
	m1 := Marker{CopyID: "run1/copy", Table: table, LastKey: []any{int64(2), "b"}, Read: 3, Written: 2, Rejected: 1}
	if err := d.LoadBatch(ctx, tb, cols, [][]any{{int64(1), "a", "one"}, {int64(2), "b", "two"}}, m1); err != nil {
		t.Fatal(err)
	}
	mustProgress(t, d, m1)
	m2 := Marker{CopyID: "run1/copy", Table: table, LastKey: []any{int64(4), "d"}, Read: 5, Written: 4, Rejected: 1}
	if err := d.LoadBatch(ctx, tb, cols, [][]any{{int64(3), "c", "three"}, {int64(4), "d", nil}}, m2); err != nil {
		t.Fatal(err)
	}
	mustProgress(t, d, m2)
	if _, ok, err := d.Progress(ctx, "run2/copy", table); err != nil || ok {
		t.Fatalf("Progress of another copy = %v, %v; want none", ok, err)
	}

	bad := Marker{CopyID: "run1/copy", Table: table, LastKey: []any{int64(6), "f"}, Read: 7, Written: 6, Rejected: 1}
	err := d.LoadBatch(ctx, tb, cols, [][]any{{int64(5), "e", "five"}, {int64(1), "a", "dup"}, {int64(6), "f", "six"}}, bad)
	if err == nil {
		t.Fatal("LoadBatch with a duplicate key succeeded")
	}
	if n, err := d.Count(ctx, table); err != nil || n != 4 {
		t.Fatalf("after the failed batch Count = %d, %v; want 4 (nothing of it committed)", n, err)
	}
	mustProgress(t, d, m2)
}

func mustProgress(t *testing.T, d DB, want Marker) {
	t.Helper()
	got, ok, err := d.Progress(testCtx(t), want.CopyID, want.Table)
	if err != nil || !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("Progress = %#v, %v, %v; want %#v", got, ok, err, want)
	}
}

// checkNumeric loads exact decimals and reads them back unchanged, both
// with the column's catalog type and with the type marked Decimal.
func checkNumeric(t *testing.T, d DB, table string) {
	ctx := testCtx(t)
	values := []string{"123456789012.12345678", "-0.00000001", "999999999999.99999999", "0.00000000"}
	tb := mustTable(t, d, table)
	for pass := range 2 {
		if pass == 1 {
			mustExec(t, d, "DELETE FROM "+d.Quote(table))
			tb.Columns[1].Type.Kind = convert.Decimal
		}
		var rows [][]any
		for i, v := range values {
			rows = append(rows, []any{int64(i + 1), v})
		}
		if err := d.LoadBatch(ctx, tb, []string{"id", "amount"}, rows, Marker{CopyID: "num", Table: table}); err != nil {
			t.Fatalf("pass %d: %v", pass, err)
		}
		got := readAll(t, d, tb, []string{"id", "amount"}, 3)
		if !reflect.DeepEqual(got, rows) {
			t.Fatalf("pass %d: read back %#v, want %#v", pass, got, rows)
		}
	}
}

func colNames(tb Table) []string {
	var out []string
	for _, c := range tb.Columns {
		out = append(out, c.Name)
	}
	return out
}

// checkParallelLoads loads two tables from two goroutines at once, as a
// copy step with parallel: 2 does, on a handle that has not yet created
// ProgressTable.
func checkParallelLoads(t *testing.T, d DB, tables ...string) {
	ctx := testCtx(t)
	errs := make(chan error, len(tables))
	for _, name := range tables {
		go func() {
			tb, err := d.Table(ctx, name)
			for b := 0; b < 5 && err == nil; b++ {
				var rows [][]any
				for i := range 200 {
					rows = append(rows, []any{int64(b*200 + i), fmt.Sprint(i)})
				}
				err = d.LoadBatch(ctx, tb, []string{"id", "v"}, rows, Marker{CopyID: "par", LastKey: []any{int64(b*200 + 199)}, Read: int64(b*200 + 200), Written: int64(b*200 + 200)})
			}
			errs <- err
		}()
	}
	for range tables {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range tables {
		mustProgress(t, d, Marker{CopyID: "par", Table: name, LastKey: []any{int64(999)}, Read: 1000, Written: 1000})
		if n, err := d.Count(ctx, name); err != nil || n != 1000 {
			t.Fatalf("Count(%s) = %d, %v", name, n, err)
		}
	}
}

// checkOpenHidesPassword opens each DSN (each must fail) directly and through
// Open from a dsn_env variable, and requires that no error shows secret.
func checkOpenHidesPassword(t *testing.T, ctx context.Context, driver, secret string, dsns []string, open opener) {
	t.Helper()
	for _, dsn := range dsns {
		_, err := open(ctx, dsn)
		if err == nil {
			t.Fatalf("open %q succeeded", RedactDSN(driver, dsn))
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows the password: %v", err)
		}
		t.Setenv("TR_TEST_OPEN_DSN", dsn)
		_, err = Open(ctx, runbooks.Connection{Name: "conn", Driver: driver, DSNEnv: "TR_TEST_OPEN_DSN"}, "")
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("Open: error %v", err)
		}
	}
}
