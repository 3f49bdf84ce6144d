package engine

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// bgExample loads runbooks/examples/blue-green-mariadb-to-postgres.yaml as
// it is, with w's migration id and DSNs (blue MariaDB, green PostgreSQL),
// and drops its reverse stream when the test ends.
func bgExample(t *testing.T, w *myWorld, greenDSN string) *runbooks.Runbook {
	t.Helper()
	text, err := os.ReadFile("../runbooks/examples/blue-green-mariadb-to-postgres.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(text), "migration_id: MIG-2026-071", "migration_id: "+w.mig, 1)
	t.Setenv("SHOP_BLUE_MARIADB_DSN", myURL(t, w.src))
	t.Setenv("SHOP_GREEN_PG_DSN", greenDSN)
	path := filepath.Join(w.dir, "bg.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(rb); err != nil {
		t.Fatal(err)
	}
	if ws := runbooks.Lint(rb); len(ws) != 0 {
		t.Fatalf("lint: %v", ws)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for ctx.Err() == nil {
			err := cdc.PGStream{DSN: w.dst, Stream: reverseStreamName(w.mig, "cutover")}.Drop(ctx)
			if err == nil || strings.Contains(err.Error(), "does not exist") {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	return rb
}

// switchOf returns the switched events of a step (the switch, then any
// switch-back).
func switchOf(t *testing.T, path string) []journal.SwitchPayload {
	t.Helper()
	return eventsOf[journal.SwitchPayload](t, path, journal.Switched)
}

// TestBlueGreenAcrossEngines is issue 14's blue-green across engines, on
// the example runbook as it is: MariaDB blue, PostgreSQL green, tightrope's
// own capture both ways. The application writes on blue through copy and
// catch-up; the switch proves the way back while blue still takes writes
// (reverse-path, journaled before any freeze) and asks go before writes
// stop, then freezes blue itself, drains, verifies, starts the reverse
// stream and routes — writes stopped for under 5 s. Writes on green reach
// blue; a no-go switches back — green frozen, the reverse stream drained,
// the undo hook, blue writable — in under 5 s, with blue equal to green.
func TestBlueGreenAcrossEngines(t *testing.T) {
	w := newMyWorld(t, 300)
	rb := bgExample(t, w, w.dst)
	r := startRun(t, rb, w.dir, "alice", "")
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range readCDC(t, r.journal).logs {
				t.Log("journal: " + l)
			}
		}
	})
	wr := startMyWriter(t, w.app, 100000, 10*time.Millisecond) // about 100 transactions a second
	done := runAsync(r)
	waitLong(t, r.c, "the switch's go question", 2*time.Minute, func(s *journal.State) bool {
		return s.Pending != nil && s.Pending.Kind == journal.AwaitGate && s.Pending.StepID == "cutover"
	})
	// The way back is proven and go is asked while blue takes writes.
	checks := eventsOf[journal.SwitchCheckPayload](t, r.journal, journal.SwitchCheck)
	if len(checks) != 1 || checks[0].Check != journal.CheckReversePath || !checks[0].OK ||
		!strings.Contains(checks[0].Detail, "temporary pgoutput slot created and dropped") || !strings.Contains(checks[0].Detail, "writes through read_only") {
		t.Fatalf("before go: %+v", checks)
	}
	t.Logf("reverse path (%d ms): %s", checks[0].DurationMS, checks[0].Detail)
	if fz := eventsOf[journal.FreezePayload](t, r.journal, journal.Freeze); len(fz) != 0 {
		t.Fatalf("blue frozen before the go: %+v", fz)
	}
	before := wr.txs.Load()
	time.Sleep(300 * time.Millisecond)
	if wr.txs.Load() == before || wr.refused.Load() != 0 {
		t.Fatalf("the application did not write freely while go was asked (%d → %d transactions, %d refused)", before, wr.txs.Load(), wr.refused.Load())
	}

	t0 := time.Now()
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceGo})
	waitLong(t, r.c, "the keep gate", time.Minute, func(s *journal.State) bool {
		return s.Pending != nil && s.Pending.StepID == "keep"
	})
	switchWall := time.Since(t0)
	wr.halt(t)
	if wr.refused.Load() == 0 {
		t.Error("the writer was never refused: the switch did not freeze blue")
	}
	if b, err := os.ReadFile(filepath.Join(w.dir, "route.txt")); err != nil || strings.TrimSpace(string(b)) != "green" {
		t.Fatalf("route.txt after the switch: %q %v", b, err)
	}
	if ok, diff := w.equal(t); !ok {
		t.Fatalf("after the switch: %s", diff)
	}
	var names []string
	for _, c := range eventsOf[journal.SwitchCheckPayload](t, r.journal, journal.SwitchCheck) {
		if !c.OK {
			t.Errorf("%s failed: %s", c.Check, c.Detail)
		}
		names = append(names, fmt.Sprintf("%s", c.Check))
	}
	want := []string{journal.CheckReversePath, journal.CheckGo, journal.CheckFrozen, journal.CheckDrained, journal.CheckSequences, journal.CheckVerify, journal.CheckReverse}
	if !slices.Equal(names, want) {
		t.Fatalf("switch checks %v, want %v", names, want)
	}
	sw := switchOf(t, r.journal)
	if len(sw) != 1 || !sw[0].OK || sw[0].Live != "green" || sw[0].FrozenMS <= 0 || sw[0].FrozenMS >= 5000 {
		t.Fatalf("switched %+v: writes must stop for under 5 s", sw)
	}
	t.Logf("switch: writes stopped %d ms (hook %d ms); go to the keep gate %s (wall)", sw[0].FrozenMS, sw[0].HookMS, switchWall.Round(time.Millisecond))
	fwd := streamName(w.mig, "capture")
	ev := readCDC(t, r.journal)
	checkStreamAppliedOnce(t, ev, fwd, "green")
	reportApply(t, r.journal, fwd)

	// Blue stays in step: green's writes reach it.
	my, err := sql.Open("mysql", w.src)
	if err != nil {
		t.Fatal(err)
	}
	defer my.Close()
	t1 := time.Now()
	cdcExec(t, w.dst, "INSERT INTO orders VALUES (900001, 7, 1.50, 'written on green', now())")
	for {
		var n int
		if err := my.QueryRow("SELECT count(*) FROM orders WHERE id = 900001").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Since(t1) > 30*time.Second {
			t.Fatal("a write on green did not reach blue within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("reverse lag: a write on green was on blue after %s", time.Since(t1).Round(time.Millisecond))
	cdcExec(t, w.dst, `UPDATE orders SET amount = amount + 100, note = 'updated on green' WHERE id IN (SELECT id FROM orders ORDER BY id LIMIT 5);
		DELETE FROM orders WHERE id IN (SELECT id FROM orders ORDER BY id DESC LIMIT 3 OFFSET 1);
		UPDATE customers SET tier = 'platinum' WHERE id = 1`)
	w.eventually(t, 30*time.Second, "green's writes never reached blue")

	// Switch back: the last write on green must reach blue.
	cdcExec(t, w.dst, "UPDATE customers SET name = 'last before the switch back' WHERE id = 2")
	t2 := time.Now()
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceNoGo})
	waitOutcome(t, done, journal.OutcomeRolledBack)
	backWall := time.Since(t2)
	if ok, diff := w.equal(t); !ok {
		t.Fatalf("after the switch back blue differs from green: %s", diff)
	}
	if b, err := os.ReadFile(filepath.Join(w.dir, "route.txt")); err != nil || strings.TrimSpace(string(b)) != "blue" {
		t.Fatalf("route.txt after the switch back: %q %v", b, err)
	}
	sw = switchOf(t, r.journal)
	if len(sw) != 2 || !sw[1].Back || !sw[1].OK || sw[1].Live != "blue" || sw[1].TotalMS <= 0 || sw[1].TotalMS >= 5000 {
		t.Fatalf("switched back %+v: must take under 5 s", sw)
	}
	rbs := eventsOf[journal.RollbackPayload](t, r.journal, journal.RollbackFinished)
	if len(rbs) != 1 || !rbs[0].OK {
		t.Fatalf("rollback_finished %+v", rbs)
	}
	t.Logf("switch back: writes stopped %d ms (undo hook %d ms); rollback %d ms; no-go to the end %s (wall)", sw[1].FrozenMS, sw[1].HookMS, rbs[0].DurationMS, backWall.Round(time.Millisecond))
	checkStreamAppliedOnce(t, readCDC(t, r.journal), reverseStreamName(w.mig, "cutover"), "blue")
	// Blue takes the application's writes again; green stays frozen.
	myExec(t, w.app, "INSERT INTO customers VALUES (777777, 'blue again', 'x')")
	var frozen bool
	r.c.withState(func(s *journal.State) { _, frozen = s.ActiveFreeze("green") })
	if !frozen {
		t.Error("green is not frozen after the switch back")
	}
}

// TestBlueGreenReversePathRefused: green's account cannot be captured
// (no REPLICATION), so the way back cannot work. The switch refuses at its
// reverse-path check, before go is asked and before any write stops: no
// freeze is journaled, the hook never runs, the application writes on
// blue throughout (through the rollback its step_failed trigger asks for,
// too), and the evidence names the ALTER ROLE to run.
func TestBlueGreenReversePathRefused(t *testing.T) {
	w := newMyWorld(t, 50)
	srv := cdctest.Postgres(t)
	u, err := url.Parse(w.dst)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	role := "g_" + strings.ToLower(w.mig[len(w.mig)-8:])
	cdcExec(t, srv.DSN, "CREATE ROLE "+role+" LOGIN; ALTER DATABASE "+dbName+" OWNER TO "+role)
	cdcExec(t, w.dst, "ALTER TABLE orders OWNER TO "+role+"; ALTER TABLE customers OWNER TO "+role)
	t.Cleanup(func() {
		cdcExec(t, srv.DSN, "DROP DATABASE "+dbName+" WITH (FORCE)")
		cdcExec(t, srv.DSN, "DROP ROLE "+role)
	})
	u.User = url.User(role)
	rb := bgExample(t, w, u.String())
	r := startRun(t, rb, w.dir, "alice", journal.ChoiceRollback) // the failed switch raises step_failed
	wr := startMyWriter(t, w.app, 100000, 10*time.Millisecond)
	outcome, _ := r.c.Run(t.Context())
	if outcome != journal.OutcomeRolledBack {
		t.Fatalf("outcome %q", outcome)
	}
	checks := eventsOf[journal.SwitchCheckPayload](t, r.journal, journal.SwitchCheck)
	if len(checks) != 1 || checks[0].Check != journal.CheckReversePath || checks[0].OK ||
		!strings.Contains(checks[0].Detail, "has no REPLICATION: ALTER ROLE") {
		t.Fatalf("switch checks %+v", checks)
	}
	t.Logf("refused in %d ms: %s", checks[0].DurationMS, checks[0].Detail)
	if fz := eventsOf[journal.FreezePayload](t, r.journal, journal.Freeze); len(fz) != 0 {
		t.Fatalf("a freeze was made: %+v", fz)
	}
	if _, err := os.Stat(filepath.Join(w.dir, "route.txt")); err == nil {
		t.Fatal("the routing hook ran without a way back")
	}
	sw := switchOf(t, r.journal)
	if len(sw) != 1 || sw[0].OK || !strings.Contains(sw[0].Error, journal.CheckReversePath) || sw[0].FrozenMS != 0 {
		t.Fatalf("switched %+v", sw)
	}
	before := wr.txs.Load()
	time.Sleep(300 * time.Millisecond)
	wr.halt(t)
	if wr.txs.Load() == before || wr.refused.Load() != 0 {
		t.Fatalf("blue did not stay writable: %d → %d transactions, %d refused", before, wr.txs.Load(), wr.refused.Load())
	}
	if strings.Contains(checks[0].Detail, "@127.0.0.1") {
		t.Fatal("a DSN reached the evidence")
	}
}

// TestBlueGreenPostgresToMariaDB: the other direction — PostgreSQL blue,
// MariaDB green, strategy blue-green through capture. The application's
// role writes on blue through copy and catch-up; the switch proves MariaDB
// can be captured back (MyPreflight, its GTID position) and PostgreSQL
// applied to, freezes blue (its privileges revoked) and routes; green's
// writes reach blue; the switch back leaves blue equal to green and the
// application writing on blue again. Both within 5 s of frozen writes.
func TestBlueGreenPostgresToMariaDB(t *testing.T) {
	pg, my := cdctest.Postgres(t), cdctest.MariaDB(t)
	w := &myWorld{dir: t.TempDir()}
	w.src = my.CreateDatabase(t, dbtest.UniqueName(t, "green"))
	w.dst = pg.CreateDatabase(t, dbtest.UniqueName(t, "blue"))
	tag := w.dst[len(w.dst)-len("?sslmode=disable")-8 : len(w.dst)-len("?sslmode=disable")] // UniqueName's random suffix
	role := "app_" + tag
	w.mig = "MIG-PGMY-" + tag
	myExec(t, w.src, myDDL)
	cdcExec(t, w.dst, myPGDDL+`;
		INSERT INTO customers SELECT g, 'c' || g, 'gold' FROM generate_series(1, 200) g;
		INSERT INTO orders SELECT g, 1 + g % 200, g * 1.25, repeat('x', g % 40), '2026-01-02 03:04:05' FROM generate_series(1, 300) g;
		CREATE ROLE `+role+` LOGIN; GRANT SELECT, INSERT, UPDATE, DELETE ON orders, customers TO `+role)
	t.Cleanup(func() {
		myExec(t, my.DSN, "SET GLOBAL read_only = 0") // the switch back leaves green frozen
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for ctx.Err() == nil {
			err := cdc.PGStream{DSN: w.dst, Stream: streamName(w.mig, "capture")}.Drop(ctx)
			if err == nil || strings.Contains(err.Error(), "does not exist") {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		cdcExec(t, w.dst, "DROP OWNED BY "+role)
		cdcExec(t, pg.DSN, "DROP ROLE "+role)
	})
	t.Setenv("TR_BG_BLUE", w.dst)
	t.Setenv("TR_BG_GREEN", myURL(t, w.src))
	text := fmt.Sprintf(`version: 1
name: PostgreSQL to MariaDB, blue-green
migration_id: %s
decision_maker: alice
strategy: blue-green
objectives: { rto: 1m, rpo: 0s, expected: 10m, window: 1h }
connections:
  blue: { driver: postgres, dsn_env: TR_BG_BLUE }
  green: { driver: mysql, dsn_env: TR_BG_GREEN }
rollback: [{ id: say, kind: shell, run: "true" }]
steps:
  - { id: capture, kind: cdc-start, from: blue, to: green, tables: [orders, customers] }
  - { id: bulk, kind: copy, from: blue, to: green, tables: [orders, customers] }
  - { id: catch-up, kind: cdc-catchup, from: blue, to: green, lag: 2s, timeout: 2m }
  - { id: flip, kind: switch, from: blue, to: green, run: "echo green > route.txt", undo: "echo blue > route.txt", tables: [orders, customers] }
  - { id: keep, kind: gate, question: Keep green? }
`, w.mig)
	path := filepath.Join(w.dir, "rb.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(rb); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, rb, w.dir, "alice", "")
	u, err := url.Parse(w.dst)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	app := u.String()
	wr := startWriter(t, app, 100000, 10*time.Millisecond)
	done := runAsync(r)
	waitLong(t, r.c, "the switch's go question", 2*time.Minute, func(s *journal.State) bool {
		return s.Pending != nil && s.Pending.Kind == journal.AwaitGate && s.Pending.StepID == "flip"
	})
	wr.halt(t) // its writes stop before the freeze: a refused write ends it
	checks := eventsOf[journal.SwitchCheckPayload](t, r.journal, journal.SwitchCheck)
	if len(checks) != 1 || checks[0].Check != journal.CheckReversePath || !checks[0].OK || !strings.Contains(checks[0].Detail, "GTID position") {
		t.Fatalf("before go: %+v", checks)
	}
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceGo})
	waitLong(t, r.c, "the keep gate", time.Minute, func(s *journal.State) bool {
		return s.Pending != nil && s.Pending.StepID == "keep"
	})
	if ok, diff := w.equal(t); !ok {
		t.Fatalf("after the switch: %s", diff)
	}
	if err := pgTry(app, "INSERT INTO customers VALUES (999999, 'frozen?', 'x')"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("blue is not frozen after the switch: %v", err)
	}
	sw := switchOf(t, r.journal)
	if len(sw) != 1 || !sw[0].OK || sw[0].Live != "green" || sw[0].FrozenMS <= 0 || sw[0].FrozenMS >= 5000 {
		t.Fatalf("switched %+v", sw)
	}
	myExec(t, w.src, `INSERT INTO orders VALUES (900001, 7, 1.50, 'written on green', '2027-01-01 00:00:00');
		UPDATE orders SET amount = amount + 100, note = 'updated on green' WHERE id <= 5;
		DELETE FROM orders WHERE id BETWEEN 10 AND 12;
		UPDATE customers SET tier = 'platinum' WHERE id = 1`)
	w.eventually(t, 30*time.Second, "green's writes never reached blue")
	myExec(t, w.src, "UPDATE customers SET name = 'last before the switch back' WHERE id = 2")
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceNoGo})
	waitOutcome(t, done, journal.OutcomeRolledBack)
	if ok, diff := w.equal(t); !ok {
		t.Fatalf("after the switch back: %s", diff)
	}
	sw = switchOf(t, r.journal)
	if len(sw) != 2 || !sw[1].Back || !sw[1].OK || sw[1].Live != "blue" || sw[1].TotalMS <= 0 || sw[1].TotalMS >= 5000 {
		t.Fatalf("switched back %+v", sw)
	}
	t.Logf("PostgreSQL → MariaDB: switch froze writes %d ms; switch back %d ms", sw[0].FrozenMS, sw[1].TotalMS)
	if err := pgTry(app, "INSERT INTO customers VALUES (999999, 'blue again', 'x')"); err != nil {
		t.Fatalf("blue does not take the application's writes after the switch back: %v", err)
	}
}

// pgTry runs one statement on dsn and returns its error.
func pgTry(dsn, stmt string) error {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, stmt)
	return err
}
