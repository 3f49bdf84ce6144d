package bluegreen

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// myWorld is one database of the same name on two throwaway MariaDB
// servers (blue the first, green the second), an ordinary account on each
// (the application: read_only stops it), blue's rows, and a Config.
// MariaDB's freeze (read_only) and gtid_slave_pos are the whole server's:
// these tests never run in parallel.
type myWorld struct {
	blueSrv, greenSrv *cdctest.MariaDBServer
	blue, green       string // root DSNs of the database
	appBlue, appGreen string
	cfg               Config
}

const myDDL = `CREATE TABLE items (id bigint AUTO_INCREMENT PRIMARY KEY, name varchar(80) NOT NULL, qty int, price decimal(10,2), at datetime(3))`

func newMyWorld(t *testing.T, items int) *myWorld {
	t.Helper()
	w := &myWorld{}
	w.blueSrv, w.greenSrv = cdctest.TwoMariaDBs(t)
	name := dbtest.UniqueName(t, "bgm")
	name = name[:min(len(name), 60)]
	w.blue = w.blueSrv.CreateDatabase(t, name)
	w.green = w.greenSrv.CreateDatabase(t, name)
	w.appBlue = w.blueSrv.Account(t, name, "SELECT, INSERT, UPDATE, DELETE")
	w.appGreen = w.greenSrv.Account(t, name, "SELECT, INSERT, UPDATE, DELETE")
	myExec(t, w.blue, myDDL)
	myExec(t, w.green, myDDL)
	myExec(t, w.blue, fmt.Sprintf(`INSERT INTO items (name, qty, price, at)
		SELECT CONCAT('item ', seq), IF(seq %% 7 = 0, NULL, seq %% 97), seq * 0.25, '2026-01-02 03:04:05.678' + INTERVAL seq SECOND FROM seq_1_to_%d`, items))
	w.cfg = Config{
		Name:     "bgm" + randHex(4),
		Blue:     Side{Name: "blue", Driver: "mysql", DSN: w.blue},
		Green:    Side{Name: "green", Driver: "mysql", DSN: w.green},
		Tables:   []string{"items"},
		Freezer:  &memFreezer{plans: map[string]journal.FreezePayload{}},
		CopyData: true,
	}
	t.Cleanup(func() {
		for _, srv := range []*cdctest.MariaDBServer{w.blueSrv, w.greenSrv} {
			d, err := sql.Open("mysql", srv.DSN)
			if err != nil {
				continue
			}
			for _, q := range []string{"SET GLOBAL read_only = 0", "DROP DATABASE IF EXISTS `" + name + "`"} {
				if _, err := d.Exec(q); err != nil {
					t.Errorf("%s: %v", q, err)
				}
			}
			d.Close()
		}
	})
	return w
}

// open opens the world's pair and removes its replica connections when
// the test ends, then checks none is left.
func (w *myWorld) open(t *testing.T) *myPair {
	t.Helper()
	ctx := dbtest.Ctx(t)
	opened, err := Open(ctx, w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := opened.(*myPair)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.Teardown(ctx); err != nil {
			t.Errorf("teardown: %v", err)
		}
		for _, srv := range []*cdctest.MariaDBServer{w.blueSrv, w.greenSrv} {
			d, _ := sql.Open("mysql", srv.DSN)
			if left, err := myLeftovers(ctx, d, w.cfg.Name); err != nil || len(left) > 0 {
				t.Errorf("left after teardown on server %d: %v %v", srv.ServerID, left, err)
			}
			d.Close()
		}
		p.Close(ctx)
	})
	return p
}

func myExec(t testing.TB, dsn string, stmts ...string) {
	t.Helper()
	d, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, s := range stmts {
		if _, err := d.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func myInt(t testing.TB, dsn, q string, args ...any) int64 {
	t.Helper()
	d, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int64
	if err := d.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// myAppInsert inserts one item through dsn (the application's account)
// and returns its id.
func myAppInsert(dsn, name string) (int64, error) {
	d, err := sql.Open("mysql", dsn)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	res, err := d.Exec("INSERT INTO items (name, qty) VALUES (?, 1)", name)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// proveLive: live takes an application write that replication carries
// to the other side, and the other side refuses one (read_only).
func (w *myWorld) proveLive(t *testing.T, live, when string) int64 {
	t.Helper()
	liveApp, replica, replicaApp := w.appBlue, w.green, w.appGreen
	if live == "green" {
		liveApp, replica, replicaApp = w.appGreen, w.blue, w.appBlue
	}
	id, err := myAppInsert(liveApp, "on "+live+" "+when)
	if err != nil {
		t.Fatalf("%s %s: %v", live, when, err)
	}
	waitFor(t, live+"'s write replicated "+when, func() bool {
		return myInt(t, replica, "SELECT count(*) FROM items WHERE id = ?", id) == 1
	})
	if _, err := myAppInsert(replicaApp, "on the replica "+when); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("the replica of %s took the application's write %s: %v", live, when, err)
	}
	return id
}

// TestMariaDBSwitchAndSwitchBack: Prepare copies blue into an empty green
// from one snapshot and starts green's GTID replica at its position; the
// reverse path is proven before the switch; the switch (under an
// application writing blue) and the switch-back each stop writes for
// under 5 s; after the switch green takes the application's writes, hands
// out ids past blue's, and replicates them to blue; after the switch-back
// blue is live again and replicates to green.
func TestMariaDBSwitchAndSwitchBack(t *testing.T) {
	w := newMyWorld(t, 500)
	p := w.open(t)
	ctx := dbtest.Ctx(t)
	prep, err := p.Prepare(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !prep.SlotCreated || prep.SlotLSN == "" || prep.Tables != 1 {
		t.Fatalf("prepared %+v", prep)
	}
	if n := myInt(t, w.green, "SELECT count(*) FROM items"); n != 500 {
		t.Fatalf("green has %d rows after the copy, want 500", n)
	}
	t.Logf("prepare: %d ms (copy included), green from GTID %s", prep.Took.Milliseconds(), prep.SlotLSN)
	w.proveLive(t, "blue", "before the switch")

	ev, err := p.CheckReverse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var what []string
	for _, c := range ev.Checks {
		what = append(what, c.What)
	}
	if got := strings.Join(what, ","); !strings.Contains(got, "connection") || !strings.Contains(got, "server ids") {
		t.Fatalf("reverse evidence %v", what)
	}
	if _, there, _ := p.blue.replica(ctx, p.cfg.probeName()); there {
		t.Fatal("the probe replica connection is left on blue")
	}

	sw, err := p.SwitchWith(ctx, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	var phases []string
	for _, ph := range sw.Phases {
		phases = append(phases, ph.Name)
		t.Logf("switch %-9s %4d ms  %s", ph.Name, ph.Took.Milliseconds(), ph.Detail)
	}
	if got := strings.Join(phases, " "); got != "frozen drained verify detach replicate sequences unfrozen" {
		t.Fatalf("phases %q", got)
	}
	t.Logf("SWITCH blue → green: frozen %d ms; blue replicates from %s", sw.Frozen.Milliseconds(), sw.ReplicaLSN)
	if sw.To != "green" || sw.Frozen >= 5*time.Second || len(sw.Tables) != 1 || !sw.Tables[0].Equal {
		t.Fatalf("switched %+v", sw)
	}
	if _, fwd, _ := p.green.replica(ctx, p.cfg.ForwardName()); fwd {
		t.Fatal("the forward replica connection is still on green")
	}
	maxBlue := myInt(t, w.blue, "SELECT max(id) FROM items")
	id := w.proveLive(t, "green", "after the switch")
	if id <= maxBlue {
		t.Fatalf("green handed out id %d, not past blue's %d", id, maxBlue)
	}

	back, err := p.SwitchBackWith(ctx, true, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SWITCH BACK green → blue: frozen %d ms; green replicates from %s", back.Frozen.Milliseconds(), back.ReplicaLSN)
	if back.To != "blue" || back.Frozen >= 5*time.Second {
		t.Fatalf("switched back %+v", back)
	}
	w.proveLive(t, "blue", "after the switch-back")
	mustMyEqual(t, p)
}

// TestMariaDBFailedVerifyLeavesBlueLive: a row of green changed behind
// the replication fails the switch's verification: the error names the
// differing key, blue is unfrozen and takes the application's writes,
// and forward replication still carries them to green.
func TestMariaDBFailedVerifyLeavesBlueLive(t *testing.T) {
	w := newMyWorld(t, 50)
	p := w.open(t)
	ctx := dbtest.Ctx(t)
	if _, err := p.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	// root is not stopped by read_only; sql_log_bin = 0 keeps the change
	// out of green's binlog, as a hand-made drift would not bother to
	myExec(t, w.green+"?sql_log_bin=0", "UPDATE items SET qty = 4242 WHERE id = 7")
	sw, err := p.SwitchWith(ctx, Hooks{})
	if err == nil {
		t.Fatalf("the switch passed with green differing: %+v", sw)
	}
	if !strings.Contains(err.Error(), "differ") || !strings.Contains(err.Error(), "blue is live and writable") {
		t.Fatalf("error %v", err)
	}
	if sw.To != "blue" {
		t.Fatalf("switched %+v; want blue left live", sw)
	}
	st, fwd, err := p.green.replica(ctx, p.cfg.ForwardName())
	if err != nil || !fwd || !st.running() {
		t.Fatalf("forward replica connection after the failed switch: %+v there=%v %v", st, fwd, err)
	}
	if _, rev, _ := p.blue.replica(ctx, p.cfg.ReverseName()); rev {
		t.Fatal("a reverse replica connection was created")
	}
	w.proveLive(t, "blue", "after the failed switch")
}

// mustMyEqual compares both sides with the pair's verification.
func mustMyEqual(t *testing.T, p *myPair) {
	t.Helper()
	var out Switched
	if _, err := p.verify(dbtest.Ctx(t), p.blue, p.green, &out); err != nil {
		t.Fatal(err)
	}
}

// TestMariaDBResumeSwitchBetweenTheDetachAndTheReverseStart: a switch
// interrupted after it removed the forward connection and before it
// started the reverse one leaves no replication and blue frozen: a plain
// switch refuses that state; ResumeSwitch compares the frozen sides
// again, starts green → blue, unfreezes green, and green's writes reach
// blue.
func TestMariaDBResumeSwitchBetweenTheDetachAndTheReverseStart(t *testing.T) {
	w := newMyWorld(t, 50)
	p := w.open(t)
	ctx := dbtest.Ctx(t)
	if _, err := p.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if left, err := myLeftovers(ctx, p.green.pool, w.cfg.Name); err != nil || len(left) != 1 || left[0] != "replica connection "+w.cfg.ForwardName() {
		t.Fatalf("leftovers on green after Prepare: %v %v; want the forward connection", left, err)
	}
	if _, err := myAppInsert(w.appBlue, "before the switch"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitCaughtUp(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// The interrupted switch: blue frozen, the forward connection removed.
	if err := p.cfg.Freezer.Freeze(ctx, p.blue.Side, p.cfg.Tables); err != nil {
		t.Fatal(err)
	}
	if err := p.green.removeReplica(ctx, w.cfg.ForwardName()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SwitchWith(ctx, Hooks{}); err == nil || !strings.Contains(err.Error(), "switch refused") {
		t.Fatalf("a plain switch with no replication: %v; want it refused", err)
	}
	var names []string
	sw, err := p.ResumeSwitch(ctx, Hooks{Phase: func(ph Phase, err error) { names = append(names, ph.Name) }})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(names, " "), "frozen verify replicate sequences unfrozen"; got != want {
		t.Fatalf("phases %q, want %q", got, want)
	}
	if sw.To != "green" {
		t.Fatalf("resumed switch %+v", sw)
	}
	w.proveLive(t, "green", "after the resumed switch")
}

// TestMariaDBPrepareWithoutCopy: a green that already holds blue's rows
// needs the GTID position they are from — without it Prepare refuses;
// with it green's replica starts there and blue's next writes reach it.
func TestMariaDBPrepareWithoutCopy(t *testing.T) {
	w := newMyWorld(t, 40)
	myExec(t, w.green+"?sql_log_bin=0", fmt.Sprintf(`INSERT INTO items (name, qty, price, at)
		SELECT CONCAT('item ', seq), IF(seq %% 7 = 0, NULL, seq %% 97), seq * 0.25, '2026-01-02 03:04:05.678' + INTERVAL seq SECOND FROM seq_1_to_%d`, 40))
	w.cfg.CopyData = false
	ctx := dbtest.Ctx(t)
	if _, err := w.open(t).Prepare(ctx); err == nil || !strings.Contains(err.Error(), "from which GTID position is not known") {
		t.Fatalf("Prepare without a start position: %v", err)
	}
	d, err := sql.Open("mysql", w.blue)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.QueryRow("SELECT @@GLOBAL.gtid_binlog_pos").Scan(&w.cfg.StartGTID); err != nil {
		t.Fatal(err)
	}
	p := w.open(t)
	prep, err := p.Prepare(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if prep.SlotLSN != w.cfg.StartGTID || !prep.SlotCreated {
		t.Fatalf("prepared %+v, want green started at %s", prep, w.cfg.StartGTID)
	}
	w.proveLive(t, "blue", "after a prepare without copy")
	mustMyEqual(t, p)
}

// TestMariaDBReverseRefusedWithoutThePassword: green's replication DSN
// with a wrong password fails CheckReverse on the probe's connection —
// the server's refusal, not a guess — and no message quotes the password;
// no probe connection is left on blue.
func TestMariaDBReverseRefusedWithoutThePassword(t *testing.T) {
	w := newMyWorld(t, 10)
	const secret = "s3cr3t'pw\\x"
	w.cfg.Green.ConnInfo = fmt.Sprintf("root:%s@tcp(127.0.0.1:%d)/", secret, w.greenSrv.Port)
	p := w.open(t)
	ctx := dbtest.Ctx(t)
	if _, err := p.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := p.CheckReverse(ctx)
	if err == nil || !strings.Contains(err.Error(), "could not replicate from green") || !strings.Contains(err.Error(), "Access denied") {
		t.Fatalf("CheckReverse with a wrong password: %v", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("the error quotes the password: %v", err)
	}
	if _, there, _ := p.blue.replica(ctx, p.cfg.probeName()); there {
		t.Fatal("the probe replica connection is left on blue")
	}
}
