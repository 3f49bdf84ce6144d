package drill

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/runbooks"
)

// serverDB creates a database of its own on a test server (dropped at the
// end) holding table p with n rows, and returns its DSN.
func serverDB(t *testing.T, driver, env string, n int) (dsn, name string) {
	t.Helper()
	base := dbtest.ServerDSN(t, env, "...")
	u := dbtest.UniqueName(t, "live")
	name = "live_" + u[len(u)-8:] // the random part: short enough for a clone name
	sqlDriver, admin := "mysql", base
	var err error
	if driver == db.Postgres {
		sqlDriver = "pgx"
		if admin, err = db.WithDatabase(driver, base, "postgres"); err != nil {
			t.Fatal(err)
		}
	} else {
		if admin, err = db.WithDatabase(driver, base, ""); err != nil {
			t.Fatal(err)
		}
	}
	a, err := sql.Open(sqlDriver, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Exec("CREATE DATABASE " + name); err != nil {
		dbtest.ServerDown(t, env, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open(sqlDriver, admin)
		if err == nil {
			drop := "DROP DATABASE IF EXISTS " + name
			if driver == db.Postgres {
				drop += " WITH (FORCE)"
			}
			a.Exec(drop)
			a.Close()
		}
	})
	if dsn, err = db.WithDatabase(driver, base, name); err != nil {
		t.Fatal(err)
	}
	d, err := dbtest.Open(t, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	dbtest.MustExec(t, d, "CREATE TABLE p (id INTEGER PRIMARY KEY, rating INTEGER)")
	for i := 1; i <= n; i++ {
		dbtest.MustExec(t, d, fmt.Sprintf("INSERT INTO p VALUES (%d, %d)", i, i%5))
	}
	d.Close()
	return dsn, name
}

func serverRunbook(t *testing.T, dir string) *runbooks.Runbook {
	t.Helper()
	rb, err := runbooks.Parse(filepath.Join(dir, "rb.yaml"), []byte(`version: 1
name: t
migration_id: T-1
decision_maker: dana
connections:
  source: { driver: mysql, dsn_env: DRILLTEST_LIVE_MYSQL }
  target: { driver: postgres, dsn_env: DRILLTEST_LIVE_PG }
steps:
  - { id: copy, kind: copy, tables: [p] }
`))
	if err != nil {
		t.Fatal(err)
	}
	return rb
}

func rowCount(t *testing.T, driver, dsn string) int64 {
	t.Helper()
	d, err := dbtest.Open(t, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	return dbtest.Count(t, d, "p")
}

// --clone on MariaDB → PostgreSQL: each clone holds the live rows under
// <db>_drill_<id>, the drill's runbook names only the clones, and Cleanup
// drops them; the live databases are untouched.
func TestCloneServersAndDrop(t *testing.T) {
	myDSN, myName := serverDB(t, db.MySQL, dbtest.MySQLEnv, 7)
	pgDSN, pgName := serverDB(t, db.Postgres, dbtest.PostgresEnv, 9)
	t.Setenv("DRILLTEST_LIVE_MYSQL", myDSN)
	t.Setenv("DRILLTEST_LIVE_PG", pgDSN)
	dir := t.TempDir()
	p, err := Prepare(dbtest.Ctx(t), Options{Runbook: serverRunbook(t, dir), Dir: dir, ID: "a1b2c3", Clone: true})
	if err != nil {
		t.Fatal(err)
	}
	drb, err := runbooks.Load(p.RunbookPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range drb.Connections {
		if c.DSNEnv == "DRILLTEST_LIVE_MYSQL" || c.DSNEnv == "DRILLTEST_LIVE_PG" {
			t.Fatalf("the drill's runbook names the live connection %s", c.DSNEnv)
		}
	}
	src, _ := drb.Connection("source")
	tgt, _ := drb.Connection("target")
	for _, c := range []struct {
		driver, env, want string
		rows              int64
	}{{db.MySQL, src.DSNEnv, myName + "_drill_a1b2c3", 7}, {db.Postgres, tgt.DSNEnv, pgName + "_drill_a1b2c3", 9}} {
		name, _ := db.DatabaseOf(c.driver, os.Getenv(c.env))
		if name != c.want {
			t.Errorf("%s clone is %q, want %q", c.driver, name, c.want)
		}
		if got := rowCount(t, c.driver, os.Getenv(c.env)); got != c.rows {
			t.Errorf("%s clone has %d rows, want %d", c.driver, got, c.rows)
		}
	}
	cloneDSNs := []string{os.Getenv(src.DSNEnv), os.Getenv(tgt.DSNEnv)}
	if err := p.Cleanup(dbtest.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	for i, driver := range []string{db.MySQL, db.Postgres} {
		if d, err := dbtest.Open(t, driver, cloneDSNs[i]); err == nil {
			if _, err := d.Count(dbtest.Ctx(t), "p"); err == nil {
				t.Errorf("the %s clone is still there after Cleanup", driver)
			}
		}
	}
	if rowCount(t, db.MySQL, myDSN) != 7 || rowCount(t, db.Postgres, pgDSN) != 9 {
		t.Error("a live database changed")
	}
}

// A PostgreSQL database with another session cannot be a template: the
// clone is then made with pg_dump | pg_restore, and says so; it holds the
// live rows and is dropped by Cleanup.
func TestClonePostgresInUseDumpsAndRestores(t *testing.T) {
	myDSN, _ := serverDB(t, db.MySQL, dbtest.MySQLEnv, 3)
	pgDSN, pgName := serverDB(t, db.Postgres, dbtest.PostgresEnv, 4)
	t.Setenv("DRILLTEST_LIVE_MYSQL", myDSN)
	t.Setenv("DRILLTEST_LIVE_PG", pgDSN)
	busy, err := dbtest.Open(t, db.Postgres, pgDSN) // another session on the template
	if err != nil {
		t.Fatal(err)
	}
	if _, err := busy.Count(dbtest.Ctx(t), "p"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := Prepare(dbtest.Ctx(t), Options{Runbook: serverRunbook(t, dir), Dir: dir, ID: "d4e5f6", Clone: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Cleanup(dbtest.Ctx(t))
	if !strings.Contains(strings.Join(p.Notes, "\n"), "to "+pgName+"_drill_d4e5f6 (pg_dump | pg_restore, as other sessions use it)") {
		t.Errorf("notes %q", p.Notes)
	}
	clone, _ := db.WithDatabase(db.Postgres, pgDSN, pgName+"_drill_d4e5f6")
	if got := rowCount(t, db.Postgres, clone); got != 4 {
		t.Errorf("the dumped clone has %d rows, want 4", got)
	}
}

// A clone that fails leaves no other clone behind: the MariaDB clone made
// first is dropped when the PostgreSQL one cannot be made.
func TestPrepareFailingCleansUp(t *testing.T) {
	myDSN, myName := serverDB(t, db.MySQL, dbtest.MySQLEnv, 3)
	t.Setenv("DRILLTEST_LIVE_MYSQL", myDSN)
	t.Setenv("DRILLTEST_LIVE_PG", "postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=2")
	dir := t.TempDir()
	if _, err := Prepare(dbtest.Ctx(t), Options{Runbook: serverRunbook(t, dir), Dir: dir, ID: "a0a0a0", Clone: true, Keep: true}); err == nil {
		t.Fatal("a clone of an unreachable server succeeded")
	}
	clone, _ := db.WithDatabase(db.MySQL, myDSN, myName+"_drill_a0a0a0")
	if d, err := dbtest.Open(t, db.MySQL, clone); err == nil {
		if _, err := d.Count(dbtest.Ctx(t), "p"); err == nil {
			t.Error("the MariaDB clone was left behind (even with --keep, a drill that does not start leaves nothing)")
		}
	}
}

// Without --clone, a connection with no drill: stand-in is refused, and a
// stand-in whose DSN is a live connection's is refused too.
func TestPrepareRefusesLiveConnections(t *testing.T) {
	dir := t.TempDir()
	rb := serverRunbook(t, dir)
	if _, err := Prepare(dbtest.Ctx(t), Options{Runbook: rb, Dir: dir}); err == nil || !strings.Contains(err.Error(), "no stand-in") {
		t.Errorf("error %v", err)
	}
	rb, err := runbooks.Parse(filepath.Join(dir, "rb.yaml"), append(rb.Text, []byte("drill:\n  source: { dsn_env: DRILLTEST_DRILL_MYSQL }\n  target: { dsn_env: DRILLTEST_DRILL_PG }\n")...))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DRILLTEST_LIVE_PG", "postgres://u@h/live")
	t.Setenv("DRILLTEST_DRILL_PG", "postgres://u@h/live") // the same database under another name
	t.Setenv("DRILLTEST_LIVE_MYSQL", "u@tcp(h)/a")
	t.Setenv("DRILLTEST_DRILL_MYSQL", "u@tcp(h)/b")
	if _, err := Prepare(dbtest.Ctx(t), Options{Runbook: rb, Dir: dir}); err == nil || !strings.Contains(err.Error(), `drill connection "target" is also the live connection "target"`) {
		t.Errorf("error %v", err)
	}
}
