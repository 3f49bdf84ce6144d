package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/drill/scorecard"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// cdcDrill is one change-capture drill: the runbook
// (runbooks/examples/drill-cdc-*.yaml) run by the real binary with one
// fault, the drill databases made on the throwaway change-capture servers,
// and an application writing to the source from the moment the fault
// strikes.
type cdcDrill struct {
	spec, expect string
	mariadb      bool // drill-cdc-mariadb.yaml: a MariaDB source
	ownServer    bool // a PostgreSQL source on a server of its own (a whole-server fault)
	console      bool // in the full-screen console (tmux), the decision typed there
	check        func(t *testing.T, r cdcDrillRun)
}

// cdcDrillRun is what a drill left: its output, its journal's events, the
// written rows' ids and the two drill databases.
type cdcDrillRun struct {
	out            string
	code           int
	events         []journal.Event
	state          journal.State
	card           scorecard.Card
	written        []int // ids the application committed to the source after the fault
	faultSeq       int64 // the fault_injected event
	source, target *sql.DB
}

// Acceptance (issue 14 item 7): each change-capture fault, injected by
// `tightrope drill` into a change-capture migration while the application
// writes, reaches its trigger with the evidence, the decision is taken,
// and the scorecard names the fault and the trigger. The six drills run
// side by side on separate databases; the whole-server faults get a server
// of their own (slot invalidation) or the only stream on it (binlog purge).
func TestDrillCDCFaults(t *testing.T) {
	drills := map[string]cdcDrill{
		"cdc-cut": {spec: "cdc-cut:source@soak:2s:1s", expect: "continue", check: checkCut},
		// a cut of 10s: the capture's backoff (250ms doubling) retries
		// next 15.75s after the loss, the lag sampler within 2s of the
		// heal — the sampler must see the slot lost first
		"cdc-slot-invalidate": {spec: "cdc-slot-invalidate:source@soak:10s:1s", expect: "rollback", ownServer: true,
			check: func(t *testing.T, r cdcDrillRun) {
				checkPositionLost(t, r, "wal_status lost", "seen by the lag sample")
			}},
		"binlog-purge": {spec: "binlog-purge:source@soak:6s:1s", expect: "rollback", mariadb: true,
			check: func(t *testing.T, r cdcDrillRun) { checkPositionLost(t, r, "binlog purged") }},
		"cdc-ddl": {spec: "cdc-ddl:source@soak:items:1s", expect: "rollback", check: checkDDL},
		// the same through the console: the alarm, r, the migration id
		"cdc-ddl-console": {spec: "cdc-ddl:source@soak:items:1s", expect: "rollback", console: true, check: checkDDL},
		// held 5s past a 2s threshold: 3s of age over it, more than the
		// sampler's 2s interval, so a sample sees it there
		"cdc-long-tx": {spec: "cdc-long-tx:source@soak:items:5s:1s", expect: "continue", check: checkLongTx},
		"apply-lock":  {spec: "apply-lock:target@soak:items:4s:1s", expect: "rollback", check: checkApplyLock},
	}
	for name, d := range drills {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			r := d.run(t)
			t.Logf("drill %s: exit %d in %s\n%s", d.spec, r.code, time.Since(start).Round(time.Millisecond), r.out)
			d.common(t, r)
			d.check(t, r)
		})
	}
}

// run prepares the drill databases, runs the drill and reads its journal.
func (d cdcDrill) run(t *testing.T) cdcDrillRun {
	t.Helper()
	pg := cdctest.Postgres(t)
	const seed = 40
	rb, srcEnv, dstEnv := "runbooks/examples/drill-cdc-postgres.yaml", "ITEMS_PG_DRILL_DSN", "ITEMS_NEW_PG_DRILL_DSN"
	var srcDSN, srcDriver string
	switch {
	case d.mariadb:
		rb, srcEnv, dstEnv = "runbooks/examples/drill-cdc-mariadb.yaml", "ITEMS_MARIADB_DRILL_DSN", "ITEMS_PG_DRILL_DSN"
		srcDSN, srcDriver = cdctest.MariaDB(t).CreateDatabase(t, dbtest.UniqueName(t, "s")), "mysql"
	case d.ownServer:
		srcDSN, srcDriver = cdctest.NewPostgres(t).CreateDatabase(t, dbtest.UniqueName(t, "s")), "pgx"
	default:
		srcDSN, srcDriver = pg.CreateDatabase(t, dbtest.UniqueName(t, "s")), "pgx"
	}
	dstDSN := pg.CreateDatabase(t, dbtest.UniqueName(t, "t"))
	var r cdcDrillRun
	r.source, r.target = openSQL(t, srcDriver, srcDSN), openSQL(t, "pgx", dstDSN)
	ddl := "CREATE TABLE items (id int PRIMARY KEY, name varchar(40) NOT NULL, qty int NOT NULL)"
	mustExec(t, r.source, ddl)
	mustExec(t, r.target, ddl)
	for i := 1; i <= seed; i++ {
		mustExec(t, r.source, fmt.Sprintf("INSERT INTO items VALUES (%d, 'item %d', %d)", i, i, i))
	}
	// the stream (slot) is named after the migration: each drill gets its
	// own, as the drills share a server
	text, err := os.ReadFile(rb)
	if err != nil {
		t.Fatal(err)
	}
	mig := "MIG-" + strings.ToUpper(strings.ReplaceAll(t.Name()[strings.LastIndex(t.Name(), "/")+1:], "-", ""))
	text = regexp.MustCompile(`(?m)^migration_id: .*$`).ReplaceAll(text, []byte("migration_id: "+mig))
	rb = filepath.Join(t.TempDir(), filepath.Base(rb))
	if err := os.WriteFile(rb, text, 0o644); err != nil {
		t.Fatal(err)
	}
	if srcDriver == "pgx" {
		t.Cleanup(func() {
			r.source.Exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()")
		})
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.written, r.faultSeq = writeAfterFault(ctx, t, dir, r.source, srcDriver) })
	env := []string{srcEnv + "=" + srcDSN, dstEnv + "=" + dstDSN}
	if d.console {
		r.out = d.inConsole(t, env, mig, "drill", rb, "--dir", dir, "--as", "dana", "--expect", d.expect, "--fault", d.spec)
	} else {
		r.out, r.code = tightrope(t, env, "drill", rb, "--dir", dir, "--plain", "--as", "dana",
			"--expect", d.expect, "--auto-decide", d.expect, "--fault", d.spec)
	}
	cancel()
	wg.Wait()
	js := drillJournals(t, dir)
	if len(js) != 1 {
		t.Fatalf("drill journals %v\n%s", js, r.out)
	}
	if r.events, err = journal.ReadAll(js[0]); err != nil {
		t.Fatal(err)
	}
	r.state = journal.Fold(r.events)
	r.card = scorecard.Score(r.events)
	return r
}

// inConsole runs the drill in the full-screen console: at the alarm the
// decision-maker rolls back (r, the migration id typed), the scorecard
// shows over the final screen naming the trigger, q leaves; it returns
// the terminal's last screen (the plain scorecard printed after the
// console).
func (d cdcDrill) inConsole(t *testing.T, env []string, mig string, args ...string) string {
	c := startConsoleEnv(t, 120, 50, env, args...)
	sc := c.waitFor("the alarm", func(s string) bool { return strings.Contains(s, "DECISION REQUIRED") })
	if !strings.Contains(sc, "changed shape") {
		t.Errorf("the alarm does not show the schema change:\n%s", sc)
	}
	c.keys("r")
	c.waitText("To confirm, type the migration id")
	c.keys(mig, "Enter")
	sc = c.waitText("esc closes")
	if !strings.Contains(sc, "by trigger cdc_schema_change") || !strings.Contains(sc, "decided    rollback") {
		t.Errorf("the console's scorecard does not name the trigger and the decision:\n%s", sc)
	}
	c.keys("q")
	return c.waitText("drill journal:")
}

// writeAfterFault is the application: once the drill's journal records the
// fault, it inserts a row into the source every 100ms for 3s (ids from
// 1001) and returns the ids committed and the fault's seq.
func writeAfterFault(ctx context.Context, t *testing.T, dir string, src *sql.DB, driver string) ([]int, int64) {
	var seq int64
	for seq == 0 {
		select {
		case <-ctx.Done():
			return nil, 0
		case <-time.After(100 * time.Millisecond):
		}
		js, _ := filepath.Glob(filepath.Join(dir, "*", "*.journal"))
		if len(js) != 1 {
			continue
		}
		events, err := journal.ReadAll(js[0])
		if err != nil {
			continue
		}
		for _, e := range events {
			if e.Type == journal.FaultInjected {
				seq = e.Seq
				break
			}
		}
	}
	var ids []int
	ins := "INSERT INTO items (id, name, qty) VALUES ($1, $2, $3)"
	if driver == "mysql" {
		ins = "INSERT INTO items (id, name, qty) VALUES (?, ?, ?)"
	}
	end := time.Now().Add(3 * time.Second)
	for id := 1001; time.Now().Before(end); id++ {
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := src.ExecContext(wctx, ins, id, fmt.Sprintf("written %d", id), id)
		cancel()
		if err == nil {
			ids = append(ids, id)
		} else if ctx.Err() == nil {
			t.Logf("the application's insert %d: %v", id, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return ids, seq
}

func openSQL(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	d, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// common: the fault was injected and journaled, the drill passed its
// scorecard (exit 0) with the expected outcome, and the scorecard printed
// names the fault.
func (d cdcDrill) common(t *testing.T, r cdcDrillRun) {
	t.Helper()
	if r.code != 0 || !r.card.Pass { // (the console's exit code is not seen: the card says)
		t.Errorf("exit %d, scorecard pass %v: %v", r.code, r.card.Pass, r.card.Reasons)
	}
	if len(r.card.Injected) == 0 || r.card.Injected[0].Spec != d.spec || r.card.Injected[0].Error != "" || r.card.Injected[0].Step != "soak" {
		t.Errorf("injected %+v, want %s into soak", r.card.Injected, d.spec)
	}
	if r.faultSeq == 0 || len(r.written) == 0 { // a rollback decided at once ends the drill (and the writes) early
		t.Errorf("the application wrote %d rows after the fault (seq %d)", len(r.written), r.faultSeq)
	}
	wants := []string{"DRILL fault injected: " + d.spec, "fault      " + d.spec + " injected at", "expected " + d.expect + " · PASS"}
	if d.console { // the events scrolled by in the console: its screen holds the plain scorecard
		wants = wants[1:]
	}
	for _, want := range wants {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// the drill removed its stream's leftovers itself (a relayed
	// connection's variable lived only in the drill's process)
	if !d.mariadb {
		if n := count(t, r.source, "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"); n != 0 || !strings.Contains(r.out, "drill: dropped replication slot") {
			t.Errorf("%d replication slots left on the drill source", n)
		}
	}
	if n := count(t, r.target, "SELECT count(*) FROM information_schema.tables WHERE table_name = '_tightrope_cdc_position'"); n != 0 {
		t.Error("the drill left _tightrope_cdc_position on the target")
	}
	switch d.expect {
	case "rollback":
		if r.state.Outcome != journal.OutcomeRolledBack || r.card.Decided == nil || r.card.Decided.Choice != journal.ChoiceRollback || !r.card.DataProven {
			t.Errorf("outcome %s, decided %+v, data proven %v: want a decided rollback with the target's restore proven", r.state.Outcome, r.card.Decided, r.card.DataProven)
		}
		if n := count(t, r.target, "SELECT count(*) FROM items"); n != 0 {
			t.Errorf("the target holds %d rows after the rollback, want 0 (its snapshot was taken empty)", n)
		}
	case "continue":
		if r.state.Outcome != journal.OutcomeFinished || !r.card.Exact {
			t.Errorf("outcome %s, last verify exact %v", r.state.Outcome, r.card.Exact)
		}
	}
}

func count(t *testing.T, d *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := d.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// triggers are the journal's triggers named name.
func (r cdcDrillRun) triggers(name string) []journal.TriggerPayload {
	var out []journal.TriggerPayload
	for _, e := range r.events {
		if e.Type != journal.TriggerFired {
			continue
		}
		if p, err := journal.Decode(e); err == nil && p.(journal.TriggerPayload).Trigger == name {
			out = append(out, p.(journal.TriggerPayload))
		}
	}
	return out
}

// spooledAfter are the change events spooled after seq.
func (r cdcDrillRun) spooledAfter(seq int64) []journal.CDCChangesPayload {
	var out []journal.CDCChangesPayload
	for _, e := range r.events {
		if e.Type == journal.CDCChanges && e.Seq > seq {
			if p, err := journal.Decode(e); err == nil {
				out = append(out, p.(journal.CDCChangesPayload))
			}
		}
	}
	return out
}

// insertedIDs counts, per id, the inserts of items spooled.
func (r cdcDrillRun) insertedIDs() map[string]int {
	got := map[string]int{}
	for _, tx := range r.spooledAfter(0) {
		for _, c := range tx.Changes {
			if c.Op == "insert" && len(c.New) > 0 && c.New[0] != nil {
				got[*c.New[0]]++
			}
		}
	}
	return got
}

// checkCut: the capture was cut, retried and resumed from the journal's
// position; every row written (during the cut too) was spooled once and
// is on the target, and the scorecard counts the retries.
func checkCut(t *testing.T, r cdcDrillRun) {
	for _, want := range []string{"connection lost", "streaming again after", "retried    "} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	ins := r.insertedIDs()
	for _, id := range r.written {
		if n := ins[fmt.Sprint(id)]; n != 1 {
			t.Errorf("row %d spooled %d times, want once", id, n)
		}
	}
	if n, want := count(t, r.target, "SELECT count(*) FROM items"), count(t, r.source, "SELECT count(*) FROM items"); n != want {
		t.Errorf("target %d rows, source %d", n, want)
	}
}

// checkPositionLost: cdc_position_lost fired with the server's evidence
// (wal_status lost / the purged binlog), nothing written after the fault
// was spooled or applied (the gap), and the scorecard names the trigger.
func checkPositionLost(t *testing.T, r cdcDrillRun, evidence ...string) {
	tr := r.triggers("cdc_position_lost")
	if len(tr) != 1 {
		t.Fatalf("cdc_position_lost fired %d times, want once", len(tr))
	}
	for _, want := range evidence {
		if ev := fmt.Sprint(tr[0].Evidence["evidence"]); !strings.Contains(ev, want) || tr[0].Evidence["stream"] == nil {
			t.Errorf("cdc_position_lost evidence %v, want the stream and %q", tr[0].Evidence, want)
		}
	}
	if lag := r.triggers("cdc_lag"); len(lag) != 0 {
		t.Errorf("cdc_lag fired before the lost position was seen: %s", lag[0].Message)
	}
	if after := r.spooledAfter(r.faultSeq); len(after) != 0 {
		t.Errorf("%d transactions spooled past the gap: %+v", len(after), after)
	}
	if !strings.Contains(r.out, "by trigger cdc_position_lost") {
		t.Error("the scorecard does not name cdc_position_lost")
	}
}

// checkDDL: cdc_schema_change fired with both shapes of items, and the
// scorecard names it.
func checkDDL(t *testing.T, r cdcDrillRun) {
	tr := r.triggers("cdc_schema_change")
	if len(tr) != 1 {
		t.Fatalf("cdc_schema_change fired %d times, want once", len(tr))
	}
	before, after := fmt.Sprint(tr[0].Evidence["shape_before"]), fmt.Sprint(tr[0].Evidence["shape_after"])
	if tr[0].Evidence["table"] != "items" || strings.Contains(before, "tightrope_drill_ddl") || !strings.Contains(after, "tightrope_drill_ddl") {
		t.Errorf("evidence %v: want items' shape before without and after with tightrope_drill_ddl", tr[0].Evidence)
	}
	if !strings.Contains(r.out, "by trigger cdc_schema_change") {
		t.Error("the scorecard does not name cdc_schema_change")
	}
}

// checkLongTx: the long transaction's two changes were spooled whole, in
// commit order (after rows the application committed while it was open),
// and the target is exact.
func checkLongTx(t *testing.T, r cdcDrillRun) {
	txs := r.spooledAfter(r.faultSeq)
	long := -1
	for i, tx := range txs {
		if len(tx.Changes) == 2 && tx.Changes[0].Op == "update" && tx.Changes[1].Op == "update" {
			long = i
		}
	}
	if long < 1 {
		t.Fatalf("spooled after the fault %+v: want the long transaction's two updates, after others", txs)
	}
	// an open transaction is not lag: nothing committed is behind, so
	// the samples taken while it was open stay under the threshold; the
	// sampler sees the transaction itself, and cdc_lag fires on its age
	open := 0
	for _, e := range r.events {
		if e.Type == journal.CDCLagSample && e.Seq > r.faultSeq {
			p, err := journal.Decode(e)
			if err != nil {
				t.Fatal(err)
			}
			l := p.(journal.CDCLagPayload)
			if l.LagMS >= 2000 {
				t.Errorf("a lag sample of %dms while the long transaction was open", l.LagMS)
			}
			if l.OpenTx != nil {
				open++
			}
		}
	}
	tr := r.triggers("cdc_lag")
	if open == 0 || len(tr) == 0 {
		t.Fatalf("%d lag samples saw the open transaction, cdc_lag fired %d times", open, len(tr))
	}
	for _, want := range []string{"source transaction open ", " on pid ", "not yet in the log: its changes will arrive at once when it commits"} {
		if !strings.Contains(tr[0].Message, want) {
			t.Errorf("cdc_lag message %q lacks %q", tr[0].Message, want)
		}
	}
	if age, _ := tr[0].Evidence["open_tx_age_ms"].(float64); age <= 2000 || tr[0].Observed != age {
		t.Errorf("cdc_lag observed %v, evidence %v: want the open transaction's age over 2s", tr[0].Observed, tr[0].Evidence)
	}
	if pid, _ := tr[0].Evidence["open_tx_pid"].(float64); pid <= 0 {
		t.Errorf("cdc_lag evidence %v: want the open transaction's pid", tr[0].Evidence)
	}
	if !strings.Contains(r.out, "by trigger cdc_lag") || !strings.Contains(r.out, "source transaction open") {
		t.Error("the output does not show the open transaction or the scorecard does not name cdc_lag")
	}
}

// checkApplyLock: the apply stalled on the locked target, the lag samples
// grew past the threshold, and cdc_lag fired with the apply lag's
// evidence; the scorecard names it.
func checkApplyLock(t *testing.T, r cdcDrillRun) {
	tr := r.triggers("cdc_lag")
	if len(tr) == 0 {
		t.Fatal("cdc_lag never fired")
	}
	if txs, _ := tr[0].Evidence["apply_lag_txs"].(float64); txs < 1 {
		t.Errorf("cdc_lag evidence %v: want unapplied transactions", tr[0].Evidence)
	}
	if !strings.Contains(r.out, "by trigger cdc_lag") {
		t.Error("the scorecard does not name cdc_lag")
	}
}
