package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// TestMySQLInfileFallbackIsJournaledOnce: a copy into a MariaDB whose
// local_infile is off still copies every row (by INSERT), and the run's
// journal says so in one warn line, not once per batch.
func TestMySQLInfileFallbackIsJournaledOnce(t *testing.T) {
	dsn := dbtest.ServerDSN(t, dbtest.MySQLEnv, "root@tcp(127.0.0.1:3306)/test")
	d, err := dbtest.Open(t, db.MySQL, dsn)
	if err != nil {
		dbtest.ServerDown(t, dbtest.MySQLEnv, err)
	}
	table := dbtest.UniqueName(t, "fallback")
	dbtest.MustExec(t, d, "CREATE TABLE "+table+" (id integer PRIMARY KEY, n integer)")
	t.Cleanup(func() { d.SQL().Exec("DROP TABLE IF EXISTS " + table) })
	t.Setenv("TIGHTROPE_FALLBACK_DSN", dsn)
	r := smallRun(t, fmt.Sprintf(`version: 1
name: Fallback
migration_id: MIG-FALLBACK
decision_maker: alice
connections:
  source: { driver: sqlite, path: src.db }
  target: { driver: mysql, dsn_env: TIGHTROPE_FALLBACK_DSN }
steps:
  - { id: copy, kind: copy, tables: [%s], batch: 2 }
`, table), "alice", journal.ChoiceContinue)
	srcPath := filepath.Join(r.dir, "src.db")
	if err := os.WriteFile(srcPath, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	src := openSQLite(t, srcPath)
	mustExec(t, src, "CREATE TABLE "+table+" (id INTEGER PRIMARY KEY, n INTEGER)")
	mustExec(t, src, "INSERT INTO "+table+" VALUES (1, 10), (2, 20), (3, 30), (4, 40), (5, 50)")

	var was int
	if err := d.SQL().QueryRow("SELECT @@GLOBAL.local_infile").Scan(&was); err != nil {
		t.Fatal(err)
	}
	restore := func() {
		if _, err := d.SQL().Exec(fmt.Sprintf("SET GLOBAL local_infile = %d", was)); err != nil {
			t.Errorf("restoring local_infile: %v", err)
		}
	}
	t.Cleanup(restore)
	if _, err := d.SQL().Exec("SET GLOBAL local_infile = 0"); err != nil {
		t.Skipf("cannot switch local_infile off here: %v", err)
	}
	outcome, err := r.c.Run(t.Context())
	restore() // a short critical section: other tests load by LOAD DATA again
	if err != nil || outcome != journal.OutcomeFinished {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	var n int
	if err := d.SQL().QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil || n != 5 {
		t.Fatalf("the target holds %d rows (%v), want 5", n, err)
	}
	events, err := journal.ReadAll(r.journal)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range events {
		p, err := journal.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		if l, ok := p.(journal.LogPayload); ok && strings.Contains(l.Line, "LOAD DATA LOCAL INFILE") {
			if l.Stream != "warn" || e.StepID != "copy" || !strings.Contains(l.Line, "INSERT") {
				t.Errorf("the fallback line: stream %q, step %q: %q", l.Stream, e.StepID, l.Line)
			}
			lines = append(lines, l.Line)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d journal lines about LOAD DATA, want 1: %q", len(lines), lines)
	}
}
