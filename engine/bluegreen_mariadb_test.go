package engine

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/bluegreen"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks/examples"
)

// myBGWorld is the MariaDB example's two sides: one database of the same
// name on the two throwaway MariaDB servers, the example's tables, blue's
// rows, an ordinary account (the application) on each, and the example's
// environment variables. read_only is the whole server's: not parallel.
type myBGWorld struct {
	blue, green       string // root DSNs
	appBlue, appGreen string
	migration         string
}

func newMyBGWorld(t *testing.T) *myBGWorld {
	t.Helper()
	blueSrv, greenSrv := cdctest.TwoMariaDBs(t)
	u := dbtest.UniqueName(t, "bgm")
	name := "bgm_" + u[len(u)-8:]
	w := &myBGWorld{migration: "MIG-" + u[len(u)-8:]}
	w.blue = blueSrv.CreateDatabase(t, name)
	w.green = greenSrv.CreateDatabase(t, name)
	w.appBlue = blueSrv.Account(t, name, "SELECT, INSERT, UPDATE, DELETE")
	w.appGreen = greenSrv.Account(t, name, "SELECT, INSERT, UPDATE, DELETE")
	for _, dsn := range []string{w.blue, w.green} {
		myExecT(t, dsn,
			"CREATE TABLE accounts (id int AUTO_INCREMENT PRIMARY KEY, owner varchar(60) NOT NULL, balance decimal(12,2) NOT NULL DEFAULT 0)",
			"CREATE TABLE orders (id bigint AUTO_INCREMENT PRIMARY KEY, account_id int NOT NULL, total decimal(12,2))")
	}
	myExecT(t, w.blue,
		"INSERT INTO accounts (owner, balance) SELECT CONCAT('owner ', seq), seq * 1.5 FROM seq_1_to_1000",
		"INSERT INTO orders (account_id, total) SELECT 1 + seq % 1000, seq * 0.25 FROM seq_1_to_3000")
	t.Setenv("SHOP_BLUE_DSN", w.blue)
	t.Setenv("SHOP_GREEN_DSN", w.green)
	t.Setenv("SHOP_BLUE_REPL", fmt.Sprintf("root@tcp(127.0.0.1:%d)/", blueSrv.Port))
	t.Setenv("SHOP_GREEN_REPL", fmt.Sprintf("root@tcp(127.0.0.1:%d)/", greenSrv.Port))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		mysql := func(dsn string) bluegreen.Side { return bluegreen.Side{Driver: "mysql", DSN: dsn} }
		if p, err := bluegreen.Open(ctx, bluegreen.Config{
			Name: pairName(w.migration, "replicate"), Blue: mysql(w.blue), Green: mysql(w.green), Tables: []string{"accounts"},
		}); err == nil {
			if err := p.Teardown(ctx); err != nil {
				t.Errorf("teardown: %v", err)
			}
			p.Close(ctx)
		}
		for _, srv := range []*cdctest.MariaDBServer{blueSrv, greenSrv} {
			if d, err := sql.Open("mysql", srv.DSN); err == nil {
				d.Exec("SET GLOBAL read_only = 0")
				d.Exec("DROP DATABASE IF EXISTS `" + name + "`")
				d.Close()
			}
		}
	})
	return w
}

func myExecT(t *testing.T, dsn string, stmts ...string) {
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

func myCount(t *testing.T, dsn, q string, args ...any) int64 {
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

// proveLive: live takes an application write that replication carries to
// the other side; the other side, a frozen replica, refuses one.
func (w *myBGWorld) proveLive(t *testing.T, live, when string) {
	t.Helper()
	liveApp, replica, replicaApp := w.appBlue, w.green, w.appGreen
	if live == "green" {
		liveApp, replica, replicaApp = w.appGreen, w.blue, w.appBlue
	}
	insert := func(dsn string) (int64, error) {
		d, err := sql.Open("mysql", dsn)
		if err != nil {
			return 0, err
		}
		defer d.Close()
		res, err := d.Exec("INSERT INTO accounts (owner) VALUES (?)", "on "+live+" "+when)
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	}
	id, err := insert(liveApp)
	if err != nil {
		t.Fatalf("%s %s: %v", live, when, err)
	}
	waitFor(t, live+"'s write replicated "+when, func() bool {
		return myCount(t, replica, "SELECT count(*) FROM accounts WHERE id = ?", id) == 1
	})
	if _, err := insert(replicaApp); err == nil {
		t.Fatalf("the replica of %s took the application's write %s", live, when)
	}
}

// TestBlueGreenMariaDBExample runs the shipped MariaDB blue-green runbook:
// replicate copies blue into green, starts green's GTID replica and
// journals the reverse path's evidence before any switch; the switch's
// phases are journaled in order and stop writes for under 5 s; green is
// live and replicates to blue; a no-go on the keep gate rolls back with a
// switch-back under 5 s, after which blue is live and replicates to green.
func TestBlueGreenMariaDBExample(t *testing.T) {
	w := newMyBGWorld(t)
	text := strings.Replace(string(examples.BlueGreenMariaDB), "migration_id: MIG-2026-052", "migration_id: "+w.migration, 1)
	text = strings.ReplaceAll(text, "./route.sh green", "echo green > marker")
	text = strings.ReplaceAll(text, "./route.sh blue", "echo blue > marker")
	r := smallRun(t, text, "alice", "")
	done := runAsync(r)
	waitPending(t, r.c, journal.AwaitGate) // ready: replicate is done
	reps := eventsOf[journal.ReplicatedPayload](t, r.journal, journal.Replicated)
	if len(reps) != 1 || reps[0].SlotLSN == "" || !reps[0].Copy || len(reps[0].Reverse) < 5 {
		t.Fatalf("replicated events %+v; want one with green's start GTID and the reverse path's evidence", reps)
	}
	if last := reps[0].Reverse[len(reps[0].Reverse)-1]; last.What != "connection" {
		t.Fatalf("the reverse evidence ends with %+v, not blue's server reaching green", last)
	}
	t.Logf("replicate: prepare %d ms (copy included), reverse proven in %d ms, green from GTID %s", reps[0].PrepareMS, reps[0].ReverseMS, reps[0].SlotLSN)
	if n := myCount(t, w.green, "SELECT count(*) FROM orders"); n != 3000 {
		t.Fatalf("green has %d orders after replicate, want 3000", n)
	}
	w.proveLive(t, "blue", "before the switch")

	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceGo}) // ready
	p := waitState(t, r.c, "the switch's go question", func(s journal.State) bool { return s.Pending != nil && s.Pending.StepID == "cutover" })
	if !strings.Contains(p.Pending.Question, "transactions behind") {
		t.Fatalf("question %q does not say the lag in transactions", p.Pending.Question)
	}
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceGo})
	waitState(t, r.c, "the keep gate", func(s journal.State) bool { return s.Pending != nil && s.Pending.StepID == "keep" })
	if b, err := os.ReadFile(filepath.Join(r.dir, "marker")); err != nil || string(b) != "green\n" {
		t.Fatalf("the hook's marker: %q, %v", b, err)
	}
	var names []string
	for _, c := range checksOf(t, r.journal) {
		if !c.OK {
			t.Errorf("phase %s failed: %s", c.Check, c.Detail)
		}
		names = append(names, c.Check)
		t.Logf("switch %-9s %4d ms  %s", c.Check, c.DurationMS, c.Detail)
	}
	if got, want := strings.Join(names, " "), "reverse go frozen drained verify detach replicate sequences route unfrozen"; got != want {
		t.Fatalf("phases journaled %q, want %q", got, want)
	}
	sw := eventsOf[journal.SwitchPayload](t, r.journal, journal.Switched)
	if len(sw) != 1 || !sw[0].OK || sw[0].Live != "green" || sw[0].FrozenMS <= 0 || sw[0].FrozenMS >= 5000 {
		t.Fatalf("switched %+v; want green live after under 5 s frozen", sw)
	}
	t.Logf("SWITCH blue → green: frozen_ms %d (hook %d ms); blue replicates from GTID %s", sw[0].FrozenMS, sw[0].HookMS, sw[0].ReplicaLSN)
	w.proveLive(t, "green", "after the switch")

	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceNoGo}) // keep: no
	waitOutcome(t, done, journal.OutcomeRolledBack)
	if b, _ := os.ReadFile(filepath.Join(r.dir, "marker")); string(b) != "blue\n" {
		t.Fatalf("the undo hook's marker: %q", b)
	}
	sw = eventsOf[journal.SwitchPayload](t, r.journal, journal.Switched)
	if len(sw) != 2 || !sw[1].Back || !sw[1].OK || sw[1].Live != "blue" || sw[1].FrozenMS <= 0 || sw[1].FrozenMS >= 5000 {
		t.Fatalf("switched %+v; want the switch-back, blue live after under 5 s frozen", sw)
	}
	t.Logf("SWITCH BACK green → blue: frozen_ms %d (hook %d ms); green replicates from GTID %s", sw[1].FrozenMS, sw[1].HookMS, sw[1].ReplicaLSN)
	w.proveLive(t, "blue", "after the switch-back")
	for _, q := range []string{"SELECT count(*) FROM accounts", "SELECT count(*) FROM orders"} {
		if b, g := myCount(t, w.blue, q), myCount(t, w.green, q); b != g {
			t.Fatalf("%s: blue %d, green %d", q, b, g)
		}
	}
}
