package engine

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// TestStallTimeoutDefaultsTo30s: a runbook that sets no stall_timeout
// bounds every wait on a silent database at 30s, the copy's batches too.
func TestStallTimeoutDefaultsTo30s(t *testing.T) {
	r := smallRun(t, controlsHeader+"steps:\n  - { id: hello, kind: shell, run: \"true\" }\n", "alice", journal.ChoiceContinue)
	if got := r.c.stall(); got != 30*time.Second {
		t.Errorf("stall timeout %s, want 30s", got)
	}
	if got := r.c.copyTuning().BatchTimeout; got != 30*time.Second {
		t.Errorf("copy batch timeout %s, want 30s", got)
	}
}

// stallHeader is the header of the stall tests' runbooks: a SQLite source
// and a target of driver reached through $TIGHTROPE_STALL_TARGET (see
// holedServer), with a stall timeout of 2s.
func stallHeader(driver string) string {
	return `version: 1
name: Stall
migration_id: MIG-STALL
decision_maker: alice
objectives: { stall_timeout: 2s }
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: ` + driver + `, dsn_env: TIGHTROPE_STALL_TARGET }
`
}

// holedServer puts a black hole in front of the test server of driver,
// points $TIGHTROPE_STALL_TARGET at it, and creates a table prefix_… of
// (id, n) there, dropped when the test ends; it returns the hole, a
// direct connection to the server and the table's name.
func holedServer(t *testing.T, driver, prefix string) (*blackHole, db.DB, string) {
	t.Helper()
	dsn, d := server(t, driver)
	addr, through := serverAddr(t, driver, dsn)
	hole := startBlackHole(t, addr)
	t.Setenv("TIGHTROPE_STALL_TARGET", through(hole.addr()))
	table := dbtest.UniqueName(t, prefix)
	dbtest.MustExec(t, d, "CREATE TABLE "+table+" (id integer PRIMARY KEY, n integer)")
	t.Cleanup(func() { hole.close(); d.SQL().Exec("DROP TABLE IF EXISTS " + table) }) // first end the server sessions the hole keeps open
	return hole, d, table
}

// serverAddr returns a server DSN's host:port and the same DSN at another
// address.
func serverAddr(t *testing.T, driver, dsn string) (string, func(addr string) string) {
	t.Helper()
	if driver == db.MySQL {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Addr, func(addr string) string { c := cfg.Clone(); c.Addr = addr; return c.FormatDSN() }
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host, func(addr string) string { v := *u; v.Host = addr; return v.String() }
}

// sourceRows creates the table in the run's SQLite source with n rows.
func sourceRows(t *testing.T, dir, table string, n int) {
	t.Helper()
	src := seedSQLite(t, dir)
	mustExec(t, src, "CREATE TABLE "+table+" (id INTEGER PRIMARY KEY, n INTEGER)")
	mustExec(t, src, fmt.Sprintf("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM g WHERE i < %d) INSERT INTO %s SELECT i, i FROM g", n, table))
}

// TestStallDuringVerifyIsDetected: the target's network goes silent (the
// sockets stay open) just before a verify; the stall is noticed within
// the stall timeout, retried, and reported as the step's failure — on
// PostgreSQL and on MySQL/MariaDB.
func TestStallDuringVerifyIsDetected(t *testing.T) {
	for _, driver := range []string{db.Postgres, db.MySQL} {
		t.Run(driver, func(t *testing.T) { stallDuringVerify(t, driver) })
	}
}

func stallDuringVerify(t *testing.T, driver string) {
	hole, d, table := holedServer(t, driver, "stall")
	rows := make([][]any, 2000)
	for i := range rows {
		rows[i] = []any{i + 1, i + 1}
	}
	dbtest.InsertRows(t, d, table, []string{"id", "n"}, rows)
	r := smallRun(t, stallHeader(driver)+`steps:
  - { id: ready, kind: gate, question: "verify now?" }
  - { id: check, kind: verify, tables: [`+table+`] }
`, "alice", "")
	sourceRows(t, r.dir, table, 2000)
	r.c.opts.Copy = copyengine.Tuning{Retries: 1, RetryWait: 100 * time.Millisecond}
	h := runHoledAtGate(t, r, hole)
	outcome, err, holed, took := h.outcome, h.err, h.holed, h.took
	if outcome != journal.OutcomeFailed || err == nil || !strings.Contains(err.Error(), "stopped answering") {
		t.Fatalf("outcome %q after %s, err %v", outcome, took, err)
	}
	// Noticed within the 2s stall timeout; surfaced after two attempts and
	// the wait between them.
	retried, ok := logAt(r.c.State(), "check", "retry 1")
	if !ok {
		t.Fatalf("the stall was not retried on the record")
	}
	if d := retried.Sub(holed); d > 3*time.Second {
		t.Errorf("the stall was noticed after %s (stall timeout 2s)", d)
	}
	if took > 8*time.Second {
		t.Errorf("the stall took %s to surface", took)
	}
	t.Logf("black hole during a %s verify: noticed after %s, failed after %s: %v", driver,
		retried.Sub(holed).Round(time.Millisecond), took.Round(time.Millisecond), err)
}

// holedRun is how a run with a black hole ended: its outcome and error,
// when the hole opened and how long after it the run ended.
type holedRun struct {
	outcome string
	err     error
	holed   time.Time
	took    time.Duration
}

// runHoledAtGate runs r, whose first step is a gate: the answer to the
// gate opens the hole.
func runHoledAtGate(t *testing.T, r *demoRun, hole *blackHole) holedRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	var holed atomic.Value
	go answerer(ctx, r.c, func(p journal.Pending) Command {
		holed.Store(time.Now())
		hole.hole() // the partition starts as the step is about to
		return Command{Kind: CmdDecide, Actor: "alice", StepID: p.StepID, Choice: journal.ChoiceGo}
	})
	outcome, err := r.c.Run(ctx)
	at, _ := holed.Load().(time.Time)
	return holedRun{outcome, err, at, time.Since(at)}
}

// TestConnectToBlackHoleIsDetected: a server that accepts the connection
// and never answers is reported within the stall timeout per attempt.
func TestConnectToBlackHoleIsDetected(t *testing.T) {
	dsn, _ := pgServer(t)
	_, through := serverAddr(t, db.Postgres, dsn)
	hole := startBlackHole(t, "")
	t.Setenv("TIGHTROPE_STALL_TARGET", through(hole.addr()))
	r := smallRun(t, strings.Replace(stallHeader(db.Postgres), "2s", "1s", 1)+`steps:
  - { id: empty, kind: sql, on: target, run: "SELECT 1" }
`, "alice", journal.ChoiceContinue)
	seedSQLite(t, r.dir)
	r.c.opts.Copy = copyengine.Tuning{Retries: 1, RetryWait: 100 * time.Millisecond}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	start := time.Now()
	outcome, err := r.c.Run(ctx)
	took := time.Since(start)
	if outcome != journal.OutcomeFailed || err == nil || !strings.Contains(err.Error(), "no answer within 1s") {
		t.Fatalf("outcome %q after %s, err %v", outcome, took, err)
	}
	if took > 8*time.Second {
		t.Errorf("the black hole took %s to surface", took)
	}
	t.Logf("connect to a black hole: failed after %s: %v", took.Round(time.Millisecond), err)
}

// TestLongStatementIsNoStall: a statement that rightly runs longer than
// the stall timeout on a server that answers is not cut, and the wait
// shows as heartbeat lines.
func TestLongStatementIsNoStall(t *testing.T) {
	dsn, _ := pgServer(t)
	t.Setenv("TIGHTROPE_STALL_TARGET", dsn)
	r := smallRun(t, strings.Replace(stallHeader(db.Postgres), "2s", "1s", 1)+`steps:
  - { id: slow, kind: sql, on: target, run: "SELECT pg_sleep(2.5)" }
`, "alice", journal.ChoiceContinue)
	seedSQLite(t, r.dir)
	outcome, err := r.c.Run(t.Context())
	if outcome != journal.OutcomeFinished || err != nil {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	if !hasLog(r.c.State(), "slow", "still running after") {
		t.Errorf("no heartbeat line during a 2.5s statement with a 1s stall timeout")
	}
}

// seedSQLite creates the empty SQLite source a.db of a run and opens it.
func seedSQLite(t *testing.T, dir string) db.DB {
	t.Helper()
	path := dir + "/a.db"
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return openSQLite(t, path)
}

// hasLog tells whether the step journaled a log line containing text.
func hasLog(s journal.State, stepID, text string) bool {
	for _, l := range s.Log {
		if l.StepID == stepID && strings.Contains(l.Line, text) {
			return true
		}
	}
	return false
}

// logAt is when the step journaled its first log line containing text.
func logAt(s journal.State, stepID, text string) (time.Time, bool) {
	for _, l := range s.Log {
		if l.StepID == stepID && strings.Contains(l.Line, text) {
			return l.At, true
		}
	}
	return time.Time{}, false
}

// TestStallDuringCopyIsDetected: the target's network goes silent as a
// copy starts; the copy notices within the stall timeout, retries, and
// the step fails with the reason.
func TestStallDuringCopyIsDetected(t *testing.T) {
	hole, _, table := holedServer(t, db.Postgres, "stallcopy")
	r := smallRun(t, stallHeader(db.Postgres)+`steps:
  - { id: ready, kind: gate, question: "copy now?" }
  - { id: copy, kind: copy, tables: [`+table+`] }
`, "alice", "")
	sourceRows(t, r.dir, table, 2000)
	r.c.opts.Copy = copyengine.Tuning{Retries: 1, RetryWait: 100 * time.Millisecond}
	h := runHoledAtGate(t, r, hole)
	outcome, err, holed, took := h.outcome, h.err, h.holed, h.took
	if outcome != journal.OutcomeFailed || err == nil {
		t.Fatalf("outcome %q after %s, err %v", outcome, took, err)
	}
	if took > 10*time.Second {
		t.Errorf("the stall took %s to surface", took)
	}
	retried, ok := logAt(r.c.State(), "copy", "retry 1")
	if !ok || retried.Sub(holed) > 3*time.Second {
		t.Errorf("the stall was not noticed within the stall timeout (2s): retry logged %v, %s after the hole", ok, retried.Sub(holed))
	}
	t.Logf("black hole during copy: noticed after %s, failed after %s: %v", retried.Sub(holed).Round(time.Millisecond), took.Round(time.Millisecond), err)
}

// TestCopyGoesOnAfterAStall: the network goes silent in the middle of a
// copy and comes back after the stall was noticed; the copy runs again
// from its checkpoints and every row arrives once — with the engine's two
// workers, whose retries would wait on the row locks of the server session
// the stall left behind, were it not ended by the server.
func TestCopyGoesOnAfterAStall(t *testing.T) {
	hole, pg, table := holedServer(t, db.Postgres, "stallheal")
	r := smallRun(t, stallHeader(db.Postgres)+`steps:
  - { id: ready, kind: gate, question: "copy now?" }
  - { id: copy, kind: copy, tables: [`+table+`], batch: 100, parallel: 2 }
  - { id: check, kind: verify, tables: [`+table+`] }
`, "alice", "")
	sourceRows(t, r.dir, table, 20000)
	r.c.opts.Copy = copyengine.Tuning{Retries: 3, RetryWait: 100 * time.Millisecond}

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var atStall atomic.Int64
	go answerer(ctx, r.c, func(p journal.Pending) Command {
		hole.holeAfter(150 << 10) // about half of the batches
		go func() {               // the network comes back once the stall is on the record
			if r.c.waitFor(ctx, func(s *journal.State) bool { _, ok := logAt(*s, "copy", "retry 1"); return ok }) == nil {
				atStall.Store(dbtest.Count(t, pg, table))
				hole.heal()
			}
		}()
		return Command{Kind: CmdDecide, Actor: "alice", StepID: p.StepID, Choice: journal.ChoiceGo}
	})
	outcome, err := r.c.Run(ctx)
	if outcome != journal.OutcomeFinished || err != nil {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	s := r.c.State()
	if len(s.Tables) != 1 || s.Tables[0].Read != 20000 || s.Tables[0].Written != 20000 {
		t.Errorf("tables: %+v", s.Tables)
	}
	if n := dbtest.Count(t, pg, table); n != 20000 {
		t.Errorf("the target holds %d rows", n)
	}
	if !hasLog(s, "copy", "retry 1") {
		t.Errorf("no stall on the record")
	}
	if n := atStall.Load(); n == 0 || n == 20000 {
		t.Errorf("the target held %d rows when the stall was noticed: not in the middle of the copy", n)
	}
	t.Logf("stalled with %d of 20000 rows in the target", atStall.Load())
}
