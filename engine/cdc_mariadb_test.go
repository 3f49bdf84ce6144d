package engine

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// myWorld is a MariaDB source (binlog ROW + GTID, the throwaway server)
// and a PostgreSQL target (the throwaway logical server, so the target
// can be captured back after the switch).
type myWorld struct {
	src, dst       string // DSNs: root on MariaDB, postgres on PostgreSQL
	app            string // the application's MariaDB account: read_only stops it
	srcEnv, dstEnv string
	mig, dir       string
}

const myDDL = `CREATE TABLE orders (id INT PRIMARY KEY, customer INT NOT NULL, amount DECIMAL(12,2), note VARCHAR(100), at DATETIME) ENGINE=InnoDB;
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(200) NOT NULL, tier VARCHAR(20)) ENGINE=InnoDB`

const myPGDDL = `CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, amount numeric(12,2), note varchar(100), at timestamp(0));
CREATE TABLE customers (id int PRIMARY KEY, name varchar(200) NOT NULL, tier varchar(20))`

func newMyWorld(t *testing.T, orders int) *myWorld {
	t.Helper()
	my, pg := cdctest.MariaDB(t), cdctest.Postgres(t)
	b := make([]byte, 4)
	rand.Read(b)
	tag := hex.EncodeToString(b)
	name := dbtest.UniqueName(t, "mysrc")
	w := &myWorld{
		src: my.CreateDatabase(t, name), dst: pg.CreateDatabase(t, dbtest.UniqueName(t, "pgdst")),
		srcEnv: "TR_MY_SRC_" + tag, dstEnv: "TR_MY_DST_" + tag, mig: "MIG-MY-" + tag, dir: t.TempDir(),
	}
	user := "app_" + tag
	myExec(t, my.DSN, fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pw'; GRANT SELECT, INSERT, UPDATE, DELETE ON `%s`.* TO '%s'@'%%'", user, name, user))
	w.app = strings.Replace(w.src, "root@", user+":pw@", 1)
	t.Setenv(w.srcEnv, w.src)
	t.Setenv(w.dstEnv, w.dst)
	myExec(t, w.src, myDDL)
	cdcExec(t, w.dst, myPGDDL)
	var sb strings.Builder
	sb.WriteString("INSERT INTO customers VALUES ")
	for i := 1; i <= 200; i++ {
		if i > 1 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, "(%d, 'c%d', 'gold')", i, i)
	}
	myExec(t, w.src, sb.String())
	for lo := 1; lo <= orders; lo += 1000 {
		sb.Reset()
		sb.WriteString("INSERT INTO orders VALUES ")
		for i := lo; i < lo+1000 && i <= orders; i++ {
			if i > lo {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, "(%d, %d, %d.25, '%s', '2026-01-02 03:04:05')", i, 1+i%200, i, strings.Repeat("x", i%40))
		}
		myExec(t, w.src, sb.String())
	}
	t.Cleanup(func() {
		myExec(t, my.DSN, "SET GLOBAL read_only = 0; DROP USER IF EXISTS '"+user+"'@'%'")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for ctx.Err() == nil { // the reverse slot pins the target's WAL
			err := cdc.PGStream{DSN: w.dst, Stream: reverseStreamName(w.mig, "flip")}.Drop(ctx)
			if err == nil || strings.Contains(err.Error(), "does not exist") {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	return w
}

func myExec(t testing.TB, dsn, stmts string) {
	t.Helper()
	if !strings.Contains(dsn, "?") {
		dsn += "?multiStatements=true"
	}
	d, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(stmts); err != nil {
		t.Fatalf("%s: %v", stmts, err)
	}
}

// rows is every row of both tables on each side as comparable text, in
// key order.
func (w *myWorld) rows(t *testing.T, table string) (mysqlRows, pgRows []string) {
	t.Helper()
	cols := map[string]string{"orders": "id, customer, amount, note, at", "customers": "id, name, tier"}[table]
	d, err := sql.Open("mysql", w.src)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r, err := d.Query("SELECT CONCAT_WS('|', " + cols + ") FROM " + table + " ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		var s string
		if err := r.Scan(&s); err != nil {
			t.Fatal(err)
		}
		mysqlRows = append(mysqlRows, s)
	}
	conn, err := pgx.Connect(context.Background(), w.dst)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	pr, err := conn.Query(context.Background(), "SELECT concat_ws('|', "+cols+") FROM "+table+" ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	pgRows, err = pgx.CollectRows(pr, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return mysqlRows, pgRows
}

// equal tells whether both tables are equal on both sides; diff says
// where they first differ.
func (w *myWorld) equal(t *testing.T) (bool, string) {
	t.Helper()
	for _, table := range []string{"orders", "customers"} {
		a, b := w.rows(t, table)
		if slices.Equal(a, b) {
			continue
		}
		for i := range max(len(a), len(b)) {
			var x, y string
			if i < len(a) {
				x = a[i]
			}
			if i < len(b) {
				y = b[i]
			}
			if x != y {
				return false, fmt.Sprintf("%s: MariaDB %d rows, PostgreSQL %d; first difference at row %d: MariaDB %q, PostgreSQL %q", table, len(a), len(b), i, x, y)
			}
		}
	}
	return true, ""
}

// eventually waits up to d for both sides to be equal.
func (w *myWorld) eventually(t *testing.T, d time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, diff := w.equal(t)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, diff)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// myWriter is the application on MariaDB: transactions of one to four
// inserts, updates and deletes over both tables until stopped. A write
// refused by the freeze (read_only, error 1290) is counted, not fatal.
// It pauses between transactions (a steady application, not a flood: an
// unpaced writer on a loaded machine outruns a -race build's applier and
// the catch-up never converges).
type myWriter struct {
	dsn     string
	pause   time.Duration
	nextID  atomic.Int64
	txs     atomic.Int64
	changes atomic.Int64
	refused atomic.Int64
	stop    chan struct{}
	done    chan error
	once    sync.Once
}

func startMyWriter(t *testing.T, dsn string, firstID int, pause time.Duration) *myWriter {
	wr := &myWriter{dsn: dsn, pause: pause, stop: make(chan struct{}), done: make(chan error, 1)}
	wr.nextID.Store(int64(firstID))
	go func() { wr.done <- wr.run() }()
	t.Cleanup(func() { wr.halt(t) })
	return wr
}

func (wr *myWriter) run() error {
	d, err := sql.Open("mysql", wr.dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	d.SetMaxOpenConns(1)
	for {
		select {
		case <-wr.stop:
			return nil
		default:
		}
		tx, err := d.Begin()
		if err != nil {
			return err
		}
		n := 0
		for range 1 + rnd(4) {
			hi := int(wr.nextID.Load())
			var q string
			var args []any
			switch rnd(7) {
			case 0, 1, 2:
				q, args = "INSERT INTO orders VALUES (?, ?, ?, ?, NOW())", []any{wr.nextID.Add(1), 1 + rnd(200), fmt.Sprintf("%d.%02d", rnd(1000), rnd(100)), strings.Repeat("n", rnd(30))}
			case 3, 4:
				q, args = "UPDATE orders SET amount = amount + 1, note = ?, at = NOW() WHERE id = ?", []any{fmt.Sprintf("u%d", rnd(1e6)), 1 + rnd(hi)}
			case 5:
				q, args = "DELETE FROM orders WHERE id = ?", []any{1 + rnd(hi)}
			default:
				q, args = "UPDATE customers SET tier = ?, name = CONCAT(LEFT(name, 150), '.') WHERE id = ?", []any{[]string{"gold", "silver", "lead"}[rnd(3)], 1 + rnd(200)}
			}
			if _, err = tx.Exec(q, args...); err != nil {
				break
			}
			n++
		}
		if err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
		if err != nil {
			if strings.Contains(err.Error(), "1290") || strings.Contains(err.Error(), "read-only") || strings.Contains(err.Error(), "read_only") {
				wr.refused.Add(1)
				time.Sleep(20 * time.Millisecond)
				continue
			}
			return err
		}
		wr.txs.Add(1)
		wr.changes.Add(int64(n))
		time.Sleep(wr.pause)
	}
}

func (wr *myWriter) halt(t *testing.T) {
	wr.once.Do(func() {
		close(wr.stop)
		if err := <-wr.done; err != nil {
			t.Errorf("writer: %v", err)
		}
	})
}

// TestCDCMariaDBToPostgres is issue 14's acceptance: MariaDB → PostgreSQL
// with strategy cdc. The application writes on MariaDB through the bulk
// copy (which reads the stream's consistent snapshot) and the catch-up,
// and keeps trying through the freeze (refused by read_only); the switch
// drains the stream, proves the reverse stream, runs its hook (a marker
// file) and is answered go. The target then equals the source exactly and
// every spooled source transaction was applied once. Writes on the
// PostgreSQL target after the switch reach MariaDB by the reverse stream;
// a no-go afterwards rolls back: the new side is frozen, the reverse
// stream drained, the undo hook run, the old side unfrozen, and MariaDB
// equals PostgreSQL — the rollback timed under the RTO.
func TestCDCMariaDBToPostgres(t *testing.T) {
	w := newMyWorld(t, 20000)
	t.Setenv(w.srcEnv, myURL(t, w.src)) // the URL form reaches capture, applier and sampler too
	text := fmt.Sprintf(`version: 1
name: MariaDB to PostgreSQL
migration_id: %s
decision_maker: alice
strategy: cdc
objectives: { rto: 2m, rpo: 0s, expected: 10m, window: 1h }
connections:
  source: { driver: mysql, dsn_env: %s }
  target: { driver: postgres, dsn_env: %s }
steps:
  - { id: capture, kind: cdc-start, tables: [orders, customers] }
  - { id: bulk, kind: copy, tables: [orders, customers], batch: 500 }
  - { id: catch-up, kind: cdc-catchup, lag: 2s, timeout: 2m }
  - { id: ready, kind: manual, instructions: the application is told to stop writing }
  - { id: freeze, kind: freeze, on: source }
  - { id: flip, kind: switch, run: "echo switched > switched.marker", undo: "echo back > back.marker", tables: [orders, customers] }
  - { id: keep, kind: gate, question: Keep PostgreSQL live? }
`, w.mig, w.srcEnv, w.dstEnv)
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
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range readCDC(t, r.journal).logs {
				t.Log("journal: " + l)
			}
		}
	})
	wr := startMyWriter(t, w.app, 20000, 10*time.Millisecond)
	done := runAsync(r)
	waitLong(t, r.c, "the manual step", 3*time.Minute, pendingManual("ready"))
	// the binlog connection drops while the writer writes: the capture
	// reconnects from the journal's position and says so in the log
	killBinlogDumps(t, cdctest.MariaDB(t).DSN)
	waitLong(t, r.c, "the reconnect's warning", time.Minute, func(*journal.State) bool {
		return anyLog(readCDC(t, r.journal).logs, "binlog connection dropped")
	})
	r.c.Send(Command{Kind: CmdConfirm, Actor: "alice", StepID: "ready"})
	// the writer goes on: the freeze refuses it
	waitLong(t, r.c, "the switch's go question", 2*time.Minute, func(s *journal.State) bool {
		return s.Pending != nil && s.Pending.Kind == journal.AwaitGate && s.Pending.StepID == "flip"
	})
	if ok, diff := w.equal(t); !ok {
		t.Fatalf("drained, but the target differs: %s", diff)
	}
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceGo})
	waitLong(t, r.c, "the keep gate", time.Minute, func(s *journal.State) bool {
		return s.Pending != nil && s.Pending.StepID == "keep"
	})
	wr.halt(t)
	if wr.refused.Load() == 0 {
		t.Error("the writer was never refused: the freeze did not stop the application")
	}
	if b, err := os.ReadFile(filepath.Join(w.dir, "switched.marker")); err != nil || strings.TrimSpace(string(b)) != "switched" {
		t.Fatalf("the routing hook's marker: %q, %v", b, err)
	}
	if ok, diff := w.equal(t); !ok {
		t.Fatalf("after the switch: %s", diff)
	}
	ev := readCDC(t, r.journal)
	fwd := streamName(w.mig, "capture")
	checkStreamAppliedOnce(t, ev, fwd, "target")
	var checks []string
	for _, c := range eventsOf[journal.SwitchCheckPayload](t, r.journal, journal.SwitchCheck) {
		if !c.OK {
			t.Errorf("precondition %s failed: %s", c.Check, c.Detail)
		}
		checks = append(checks, c.Check)
		if c.Check == journal.CheckReverse {
			t.Logf("reverse path: %s (%d ms)", c.Detail, c.DurationMS)
			if !strings.Contains(c.Detail, "capture connected") || !strings.Contains(c.Detail, "writable") {
				t.Errorf("reverse evidence: %s", c.Detail)
			}
		}
	}
	if !slices.Equal(checks, []string{journal.CheckFrozen, journal.CheckDrained, journal.CheckSequences, journal.CheckVerify, journal.CheckGo, journal.CheckReverse}) {
		t.Fatalf("preconditions %v", checks)
	}
	t.Logf("forward: the application committed %d transactions (%d statements; some match no row and change nothing), %d refused by the freeze; %d spooled",
		wr.txs.Load(), wr.changes.Load(), wr.refused.Load(), countStream(ev, fwd))
	writtenThroughout(t, r.journal, ev, fwd)
	reportApply(t, r.journal, fwd)

	// The application now writes on PostgreSQL: the reverse stream carries
	// it back to MariaDB.
	cdcExec(t, w.dst, `INSERT INTO orders VALUES (900001, 7, 1.50, 'written on the new side', now());
		UPDATE orders SET amount = amount + 100, note = 'updated on the new side', at = '2027-03-04 05:06:07' WHERE id IN (SELECT id FROM orders ORDER BY id LIMIT 5);
		DELETE FROM orders WHERE id IN (SELECT id FROM orders ORDER BY id DESC LIMIT 3 OFFSET 1);
		UPDATE customers SET tier = 'platinum' WHERE id = 1`)
	for i := range 50 {
		cdcExec(t, w.dst, fmt.Sprintf("INSERT INTO orders VALUES (%d, %d, 2.00, 'new side %d', now())", 910000+i, 1+i, i))
	}
	w.eventually(t, time.Minute, "the new side's writes never reached MariaDB")
	rev := reverseStreamName(w.mig, "flip")
	t.Logf("reverse: %d transactions spooled from PostgreSQL, now on MariaDB", countStream(readCDC(t, r.journal), rev))

	// A last write on the new side, then no-go: the rollback must carry it.
	cdcExec(t, w.dst, "UPDATE customers SET name = 'last before the rollback' WHERE id = 2")
	t0 := time.Now()
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceNoGo})
	waitOutcome(t, done, journal.OutcomeRolledBack)
	t.Logf("rollback decided to finished (wall): %s", time.Since(t0).Round(time.Millisecond))
	if ok, diff := w.equal(t); !ok {
		t.Fatalf("after the rollback MariaDB differs from PostgreSQL: %s", diff)
	}
	if b, err := os.ReadFile(filepath.Join(w.dir, "back.marker")); err != nil || strings.TrimSpace(string(b)) != "back" {
		t.Fatalf("the undo hook's marker: %q, %v", b, err)
	}
	rbs := eventsOf[journal.RollbackPayload](t, r.journal, journal.RollbackFinished)
	if len(rbs) != 1 || !rbs[0].OK || rbs[0].RTOMS != (2*time.Minute).Milliseconds() || rbs[0].DurationMS <= 0 || rbs[0].DurationMS > rbs[0].RTOMS {
		t.Fatalf("rollback_finished %+v", rbs)
	}
	t.Logf("rollback took %d ms against the RTO of %d ms", rbs[0].DurationMS, rbs[0].RTOMS)
	ev = readCDC(t, r.journal)
	checkStreamAppliedOnce(t, ev, rev, "source")
	if !anyLog(ev.logs, "rollback: reverse stream "+rev+" drained into source") || !anyLog(ev.logs, "rollback: source equals target") {
		t.Error("the rollback did not say it drained the reverse stream and verified")
	}
	// MariaDB takes writes again; PostgreSQL stays frozen.
	myExec(t, w.app, "INSERT INTO customers VALUES (777777, 'after the rollback', 'x')")
	var frozen bool
	r.c.withState(func(s *journal.State) { _, frozen = s.ActiveFreeze("target") })
	if !frozen {
		t.Error("the new side is not frozen after the rollback")
	}
}

// countStream counts the transactions spooled for a stream.
func countStream(ev cdcEvents, stream string) int {
	n := 0
	for _, p := range ev.changesP {
		if p.Stream == stream {
			n++
		}
	}
	return n
}

// checkStreamAppliedOnce: every transaction spooled for the stream was
// applied exactly once to target — cdc_applied seqs of the stream rise
// strictly, their counts add up to the spooled ones, and the last applied
// is the last spooled (none after it was applied twice or skipped).
func checkStreamAppliedOnce(t *testing.T, ev cdcEvents, stream, target string) {
	t.Helper()
	var seqs []int64
	for i, p := range ev.changesP {
		if p.Stream == stream {
			seqs = append(seqs, ev.changes[i].Seq)
		}
	}
	var last int64
	total := 0
	for _, a := range ev.applied {
		if a.Stream != stream {
			continue
		}
		if a.Seq <= last {
			t.Fatalf("stream %s: cdc_applied up to seq %d after %d: applied twice or out of order", stream, a.Seq, last)
		}
		if a.Target != target {
			t.Fatalf("stream %s applied to %s", stream, a.Target)
		}
		// the transactions it counts are exactly the spooled ones in (last, a.Seq]
		n := 0
		for _, s := range seqs {
			if s > last && s <= a.Seq {
				n++
			}
		}
		if n != a.Txs {
			t.Fatalf("stream %s: cdc_applied up to seq %d counts %d transactions, %d were spooled since seq %d", stream, a.Seq, a.Txs, n, last)
		}
		last, total = a.Seq, total+a.Txs
	}
	if len(seqs) == 0 || total != len(seqs) || last != seqs[len(seqs)-1] {
		t.Fatalf("stream %s: %d transactions spooled, %d applied, up to seq %d", stream, len(seqs), total, last)
	}
}

// writtenThroughout: the stream spooled source transactions committed
// while the bulk copy ran (before its step finished) and during the
// catch-up (between the copy's end and the catch-up's): the writer wrote
// throughout, not only before or after.
func writtenThroughout(t *testing.T, path string, ev cdcEvents, stream string) {
	t.Helper()
	events, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	end := map[string]int64{}
	for _, e := range events {
		if e.Type == journal.StepFinished {
			end[e.StepID] = e.Seq
		}
	}
	var inCopy, inCatchup int
	for i, p := range ev.changesP {
		if p.Stream != stream {
			continue
		}
		switch seq := ev.changes[i].Seq; {
		case seq < end["bulk"]:
			inCopy++
		case seq < end["catch-up"]:
			inCatchup++
		}
	}
	if inCopy == 0 || inCatchup == 0 {
		t.Fatalf("transactions spooled during the copy: %d, during the catch-up: %d — the writer did not write throughout", inCopy, inCatchup)
	}
	t.Logf("spooled while copying: %d transactions, while catching up: %d", inCopy, inCatchup)
}

// reportApply logs the forward apply's throughput (row changes a second
// over the cdc_applied rounds that found a backlog) and the lag the
// sampler measured while the writer wrote steadily.
func reportApply(t *testing.T, path, stream string) {
	t.Helper()
	events, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	var first, last time.Time
	var changes, txs int
	var lags []int64
	for _, e := range events {
		p, err := journal.Decode(e)
		if err != nil {
			continue
		}
		switch x := p.(type) {
		case journal.CDCAppliedPayload:
			if x.Stream != stream {
				continue
			}
			if first.IsZero() {
				first = e.At
			}
			last, changes, txs = e.At, changes+x.Changes, txs+x.Txs
		case journal.CDCLagPayload:
			if x.Stream == stream && x.LagMS >= 0 {
				lags = append(lags, x.LagMS)
			}
		}
	}
	secs := last.Sub(first).Seconds()
	if secs <= 0 || len(lags) == 0 {
		t.Logf("apply: %d transactions, %d changes; too short to measure a rate (%d lag samples)", txs, changes, len(lags))
		return
	}
	slices.Sort(lags)
	t.Logf("apply: %d transactions, %d row changes in %.1fs = %.0f changes/s (paced by the writer); lag over %d samples: median %d ms, max %d ms",
		txs, changes, secs, float64(changes)/secs, len(lags), lags[len(lags)/2], lags[len(lags)-1])
}

// TestCDCReverseNotReadyAbortsSwitch: a reverse stream that cannot be
// created (a slot of its name already holds the new side) fails the
// switch's reverse precondition after the go: the hook never runs, the
// old side is unfrozen (MariaDB read_only back off, the application
// writes again) and the switch is journaled aborted with the reason.
func TestCDCReverseNotReadyAbortsSwitch(t *testing.T) {
	w := newMyWorld(t, 500)
	name := reverseStreamName(w.mig, "flip")
	cdcExec(t, w.dst, "SELECT pg_create_logical_replication_slot('"+name+"', 'pgoutput')")
	text := fmt.Sprintf(`version: 1
name: reverse not ready
migration_id: %s
decision_maker: alice
strategy: cdc
connections:
  source: { driver: mysql, dsn_env: %s }
  target: { driver: postgres, dsn_env: %s }
steps:
  - { id: capture, kind: cdc-start, tables: [orders, customers] }
  - { id: bulk, kind: copy, tables: [orders, customers] }
  - { id: catch-up, kind: cdc-catchup, lag: 2s, timeout: 2m }
  - { id: freeze, kind: freeze, on: source }
  - { id: flip, kind: switch, run: "echo switched > switched.marker", tables: [orders, customers] }
`, w.mig, w.srcEnv, w.dstEnv)
	path := filepath.Join(w.dir, "rb.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := startRun(t, rb, w.dir, "alice", "")
	done := runAsync(r)
	waitLong(t, r.c, "the switch's go question", 2*time.Minute, func(s *journal.State) bool {
		return s.Pending != nil && s.Pending.Kind == journal.AwaitGate && s.Pending.StepID == "flip"
	})
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceGo})
	waitOutcome(t, done, journal.OutcomeFailed)
	if _, err := os.Stat(filepath.Join(w.dir, "switched.marker")); err == nil {
		t.Fatal("the routing hook ran without a reverse path")
	}
	var reverse *journal.SwitchCheckPayload
	for _, c := range eventsOf[journal.SwitchCheckPayload](t, r.journal, journal.SwitchCheck) {
		if c.Check == journal.CheckReverse {
			reverse = &c
		}
	}
	if reverse == nil || reverse.OK || !strings.Contains(reverse.Detail, "already exists") {
		t.Fatalf("reverse precondition %+v", reverse)
	}
	sw := eventsOf[journal.SwitchPayload](t, r.journal, journal.Switched)
	if len(sw) != 1 || sw[0].OK || !strings.Contains(sw[0].Error, "reverse") {
		t.Fatalf("switched %+v", sw)
	}
	var frozen bool
	r.c.withState(func(s *journal.State) { _, frozen = s.ActiveFreeze("source") })
	if frozen {
		t.Fatal("the old side is still frozen after the aborted switch")
	}
	myExec(t, w.app, "INSERT INTO customers VALUES (888888, 'writes again', 'x')") // read_only is off
}

// TestCDCMariaDBPreflight: a run whose cdc-start captures MariaDB as an
// account without the replication grants fails its pre-flight, before the
// first step, with MyPreflight's text naming the GRANT to run.
func TestCDCMariaDBPreflight(t *testing.T) {
	w := newMyWorld(t, 10)
	t.Setenv(w.srcEnv, w.app) // the application's account: no REPLICATION SLAVE
	text := fmt.Sprintf(`version: 1
name: preflight
migration_id: %s
decision_maker: alice
strategy: cdc
connections:
  source: { driver: mysql, dsn_env: %s }
  target: { driver: postgres, dsn_env: %s }
steps:
  - { id: capture, kind: cdc-start, tables: [orders] }
  - { id: bulk, kind: copy, tables: [orders] }
`, w.mig, w.srcEnv, w.dstEnv)
	path := filepath.Join(w.dir, "rb.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := startRun(t, rb, w.dir, "alice", "")
	outcome, err := r.c.Run(t.Context())
	if outcome != journal.OutcomeFailed || err == nil {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "pre-flight") || !strings.Contains(msg, `step capture: change capture from source cannot start`) || !strings.Contains(msg, "GRANT REPLICATION SLAVE") {
		t.Fatalf("err: %v", err)
	}
	if strings.Contains(msg, ":pw@") {
		t.Fatal("the DSN's password reached the error")
	}
	if st := stepStatus(r.c.State(), "capture"); st != journal.StatusPending {
		t.Fatalf("a step ran before the pre-flight passed: %s", st)
	}
}

// myURL turns root@tcp(host:port)/db into mysql://root@host:port/db.
func myURL(t *testing.T, dsn string) string {
	t.Helper()
	user, rest, ok1 := strings.Cut(dsn, "@tcp(")
	addr, name, ok2 := strings.Cut(rest, ")/")
	if !ok1 || !ok2 {
		t.Fatalf("unexpected DSN form")
	}
	return "mysql://" + user + "@" + addr + "/" + name
}

// TestCDCResumeAfterSwitchMariaDB: the process stops after a strategy-cdc
// switch, while the new side takes writes. The resumed run reopens the
// reverse stream from the journal alone — the writes made while no
// process ran reach MariaDB — and does not restart the forward stream
// (which would carry them back); a rollback then leaves both sides equal.
func TestCDCResumeAfterSwitchMariaDB(t *testing.T) {
	w := newMyWorld(t, 2000)
	text := fmt.Sprintf(`version: 1
name: resume after the switch
migration_id: %s
decision_maker: alice
strategy: cdc
objectives: { rto: 2m }
connections:
  source: { driver: mysql, dsn_env: %s }
  target: { driver: postgres, dsn_env: %s }
steps:
  - { id: capture, kind: cdc-start, tables: [orders, customers] }
  - { id: bulk, kind: copy, tables: [orders, customers] }
  - { id: catch-up, kind: cdc-catchup, lag: 2s, timeout: 2m }
  - { id: freeze, kind: freeze, on: source }
  - { id: flip, kind: switch, run: "true", undo: "true", tables: [orders, customers] }
  - { id: keep, kind: gate, question: Keep PostgreSQL live? }
`, w.mig, w.srcEnv, w.dstEnv)
	path := filepath.Join(w.dir, "rb.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := startRun(t, rb, w.dir, "alice", "")
	wr := startMyWriter(t, w.app, 2000, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan string, 1)
	go func() {
		o, _ := r.c.Run(ctx)
		done <- o
	}()
	waitLong(t, r.c, "the switch's go question", 2*time.Minute, func(s *journal.State) bool {
		return s.Pending != nil && s.Pending.StepID == "flip"
	})
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceGo})
	waitLong(t, r.c, "the keep gate", time.Minute, func(s *journal.State) bool {
		return s.Pending != nil && s.Pending.StepID == "keep"
	})
	wr.halt(t)
	cdcExec(t, w.dst, "INSERT INTO orders VALUES (900001, 7, 1.50, 'before the stop', now())")
	w.eventually(t, time.Minute, "the reverse stream before the stop")
	cancel()
	waitOutcome(t, done, Interrupted)
	cdcExec(t, w.dst, `INSERT INTO orders VALUES (900002, 8, 2.50, 'while no process ran', NULL);
		UPDATE customers SET tier = 'written while down' WHERE id = 3;
		DELETE FROM orders WHERE id = 10`)

	c := resumeRun(t, r, "")
	done2 := runAsync(&demoRun{c: c})
	w.eventually(t, time.Minute, "the writes made while no process ran never reached MariaDB")
	if c.stream("capture") != nil {
		t.Fatal("the resumed run restarted the forward stream after the switch")
	}
	if s := c.stream("flip"); s == nil || !s.reverse {
		t.Fatal("the resumed run did not reopen the reverse stream")
	}
	waitLong(t, c, "the keep gate again", time.Minute, func(s *journal.State) bool {
		return s.Pending != nil && s.Pending.StepID == "keep"
	})
	cdcExec(t, w.dst, "UPDATE customers SET name = 'last' WHERE id = 4")
	c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceNoGo})
	waitOutcome(t, done2, journal.OutcomeRolledBack)
	if ok, diff := w.equal(t); !ok {
		t.Fatalf("after the rollback: %s", diff)
	}
	ev := readCDC(t, r.journal)
	checkStreamAppliedOnce(t, ev, reverseStreamName(w.mig, "flip"), "source")
}

// killBinlogDumps kills the MariaDB server's binlog dump threads (every
// capture's connection); it fails the test when there was none.
func killBinlogDumps(t *testing.T, adminDSN string) {
	t.Helper()
	d, err := sql.Open("mysql", adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.Query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 {
		t.Fatal("no binlog dump thread to kill: the capture is not connected")
	}
	for _, id := range ids {
		d.Exec(fmt.Sprintf("KILL %d", id))
	}
}
