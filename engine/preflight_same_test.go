package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// sameDatabaseRunbook truncates the target, then copies and verifies: with
// source and target one database, the TRUNCATE would empty the source.
const sameDatabaseRunbook = `version: 1
name: Same
migration_id: MIG-SAME
decision_maker: alice
connections:
  source: %s
  target: %s
steps:
  - { id: empty_target, kind: sql, on: target, run: "DELETE FROM %s" }
  - { id: copy, kind: copy, tables: [%s] }
  - { id: check, kind: verify, tables: [%s] }
`

// refusesSameDatabase runs the runbook and requires the pre-flight to
// refuse it before any step, leaving the table's rows where they were.
func refusesSameDatabase(t *testing.T, source, target, table string, d db.DB) {
	t.Helper()
	text := strings.NewReplacer("%s", "\x00").Replace(sameDatabaseRunbook)
	for _, v := range []string{source, target, table, table, table} {
		text = strings.Replace(text, "\x00", v, 1)
	}
	r := smallRun(t, text, "alice", journal.ChoiceContinue)
	if d == nil { // SQLite: the files live in the run's directory
		a := filepath.Join(r.dir, "a.db")
		if err := os.WriteFile(a, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(a, filepath.Join(r.dir, "b.db")); err != nil {
			t.Fatal(err)
		}
		d = openSQLite(t, a)
		mustExec(t, d, "CREATE TABLE "+table+" (id INTEGER PRIMARY KEY, n INTEGER)")
		mustExec(t, d, "INSERT INTO "+table+" VALUES (1, 1), (2, 2), (3, 3)")
	}
	outcome, err := r.c.Run(t.Context())
	if outcome != journal.OutcomeFailed || err == nil {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	for _, want := range []string{"pre-flight", "step copy", "step check", "same database"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	s := r.c.State()
	for _, id := range []string{"empty_target", "copy", "check"} {
		if st := stepStatus(s, id); st != journal.StatusPending {
			t.Errorf("step %s ran: %s", id, st)
		}
	}
	var n int
	if err := d.SQL().QueryRowContext(t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil || n != 3 {
		t.Errorf("the source holds %d rows (err %v), want 3", n, err)
	}
}

func TestPreflightRefusesSameSQLiteFile(t *testing.T) {
	refusesSameDatabase(t, "{ driver: sqlite, path: a.db }", "{ driver: sqlite, path: b.db }", "same_t", nil)
}

func TestPreflightRefusesSamePostgresDatabase(t *testing.T) {
	dsn, d := server(t, db.Postgres)
	table := dbtest.UniqueName(t, "same")
	dbtest.MustExec(t, d, "CREATE TABLE "+table+" (id integer PRIMARY KEY, n integer)", "INSERT INTO "+table+" VALUES (1, 1), (2, 2), (3, 3)")
	t.Cleanup(func() { d.SQL().Exec("DROP TABLE IF EXISTS " + table) })
	// Two spellings of one server: an address and a host name.
	t.Setenv("TIGHTROPE_SAME_A", dsn)
	t.Setenv("TIGHTROPE_SAME_B", strings.Replace(dsn, "127.0.0.1", "localhost", 1))
	refusesSameDatabase(t, "{ driver: postgres, dsn_env: TIGHTROPE_SAME_A }", "{ driver: postgres, dsn_env: TIGHTROPE_SAME_B }", table, d)
}

func TestPreflightRefusesSameMySQLSchema(t *testing.T) {
	dsn, d := server(t, db.MySQL)
	table := dbtest.UniqueName(t, "same")
	dbtest.MustExec(t, d, "CREATE TABLE "+table+" (id integer PRIMARY KEY, n integer)", "INSERT INTO "+table+" VALUES (1, 1), (2, 2), (3, 3)")
	t.Cleanup(func() { d.SQL().Exec("DROP TABLE IF EXISTS " + table) })
	t.Setenv("TIGHTROPE_SAME_A", dsn)
	t.Setenv("TIGHTROPE_SAME_B", strings.Replace(dsn, "127.0.0.1", "localhost", 1))
	refusesSameDatabase(t, "{ driver: mysql, dsn_env: TIGHTROPE_SAME_A }", "{ driver: mysql, dsn_env: TIGHTROPE_SAME_B }", table, d)
}

// TestSizeOfServerData: db.Size, which the disk-space pre-flight weighs,
// counts a schema's tables on both servers.
func TestSizeOfServerData(t *testing.T) {
	for _, driver := range []string{db.Postgres, db.MySQL} {
		t.Run(driver, func(t *testing.T) {
			_, d := server(t, driver)
			table := dbtest.UniqueName(t, "size")
			dbtest.MustExec(t, d, "CREATE TABLE "+table+" (id integer PRIMARY KEY, pad varchar(2000))")
			t.Cleanup(func() { d.SQL().Exec("DROP TABLE IF EXISTS " + table) })
			rows := make([][]any, 2000)
			for i := range rows {
				rows[i] = []any{i, strings.Repeat("x", 1000)}
			}
			dbtest.InsertRows(t, d, table, []string{"id", "pad"}, rows)
			if driver == db.MySQL {
				dbtest.MustExec(t, d, "ANALYZE TABLE "+table) // information_schema sizes are statistics
			}
			after, err := db.Size(t.Context(), d)
			if err != nil {
				t.Fatal(err)
			}
			if after < 1<<20 { // other tests' tables come and go: only a floor is certain
				t.Errorf("a schema holding 2 MB of rows measures %d bytes", after)
			}
		})
	}
}
