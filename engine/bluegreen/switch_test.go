package bluegreen

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestSwitchAndSwitchBack is the blue-green acceptance: forward
// replication prepared while the application writes to blue; the reverse
// path proven; the switch and the switch-back each under 5 s on 10k rows,
// losing no committed write; a write on green reaches blue through the
// reverse path; the frozen side refuses the application and the live side
// takes its writes; blue equals green at the end.
func TestSwitchAndSwitchBack(t *testing.T) {
	const items, accounts = 10000, 500
	w := newWorld(t, items, accounts)
	p := w.open(t)
	ctx := dbtest.Ctx(t)

	wr := startWriter(w.appBlue, accounts)
	defer wr.halt()
	waitFor(t, "the writer's first writes", func() bool { return wr.writes() > 10 })
	prep, err := p.Prepare(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !prep.SlotCreated || prep.Tables != 2 {
		t.Fatalf("prepare: %+v", prep)
	}
	t.Logf("prepare (initial copy of %d items, %d accounts): %s", items, accounts, prep.Took)
	if _, err := appInsert(w.appGreen, "on the replica"); err == nil {
		t.Fatal("the application wrote to green, the replica, after Prepare froze it")
	}

	ev, err := p.CheckReverse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sawConn bool
	for _, c := range ev.Checks {
		t.Logf("reverse check %s: %s", c.What, c.Detail)
		sawConn = sawConn || (c.What == "connection" && strings.Contains(c.Detail, "saw 2 published tables"))
	}
	if !sawConn {
		t.Fatalf("CheckReverse has no evidence of blue reaching green: %+v", ev)
	}
	lag, err := p.Lag(ctx)
	if err != nil || lag.From != "blue" || lag.To != "green" {
		t.Fatalf("lag before the switch: %+v, %v", lag, err)
	}

	before := wr.writes()
	waitFor(t, "more writes", func() bool { return wr.writes() > before+20 })
	sw, err := p.Switch(ctx) // the writer keeps writing to blue throughout
	committed := wr.halt()
	if wr.failures == 0 {
		t.Error("the writer on blue never failed: the freeze did not stop it")
	}
	if err != nil {
		t.Fatal(err)
	}
	logSwitch(t, "switch", sw)
	if sw.From != "blue" || sw.To != "green" || sw.ReplicaLSN == "" {
		t.Fatalf("switch: %+v", sw)
	}
	if total := sum(sw.Phases); total >= 5*time.Second || sw.Frozen >= 5*time.Second {
		t.Errorf("switch took %s (frozen %s), want under 5s", total, sw.Frozen)
	}
	// no write the application saw committed on blue is missing on green
	if n := count(t, w.green, `SELECT count(*) FROM items WHERE id = ANY($1)`, committed); n != int64(len(committed)) {
		t.Fatalf("green has %d of the %d writes committed on blue", n, len(committed))
	}
	mustEqual(t, p)
	if _, err := appInsert(w.appBlue, "on old blue"); !denied(err) {
		t.Fatalf("the application's write on blue after the switch: %v, want permission denied", err)
	}

	// green is live: the sequence was carried over, and its writes reach blue
	id, err := appInsert(w.appGreen, "written on green")
	if err != nil {
		t.Fatalf("the application cannot write to green after the switch: %v", err)
	}
	if id <= committed[len(committed)-1] || id <= items {
		t.Fatalf("green handed out id %d, not above blue's %d: sequences not synced", id, committed[len(committed)-1])
	}
	if _, err := p.WaitCaughtUp(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "green's write on blue", func() bool {
		return count(t, w.blue, `SELECT count(*) FROM items WHERE id = $1 AND name = 'written on green'`, id) == 1
	})
	exec(t, w.appGreen, `UPDATE accounts SET balance = balance - 100 WHERE id = 7`, `DELETE FROM items WHERE id = 3`)

	back, err := p.SwitchBack(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	logSwitch(t, "switch back", back)
	if back.From != "green" || back.To != "blue" {
		t.Fatalf("switch back: %+v", back)
	}
	if total := sum(back.Phases); total >= 5*time.Second || back.Frozen >= 5*time.Second {
		t.Errorf("switch back took %s (frozen %s), want under 5s", total, back.Frozen)
	}
	if n := count(t, w.blue, `SELECT count(*) FROM items WHERE id = 3`); n != 0 {
		t.Fatal("green's delete did not reach blue")
	}
	mustEqual(t, p)
	id2, err := appInsert(w.appBlue, "blue again")
	if err != nil {
		t.Fatalf("the application cannot write to blue after the switch back: %v", err)
	}
	if id2 <= id {
		t.Fatalf("blue handed out id %d, not above green's %d", id2, id)
	}
	if _, err := appInsert(w.appGreen, "on green after the switch back"); !denied(err) {
		t.Fatalf("the application's write on green after the switch back: %v, want permission denied", err)
	}
	// forward replication runs again
	waitFor(t, "blue's write on green", func() bool {
		return count(t, w.green, `SELECT count(*) FROM items WHERE id = $1`, id2) == 1
	})
	if got := w.slots(t); len(got) != 1 || got[0] != w.cfg.ForwardName() {
		t.Fatalf("slots after the switch back: %v, want only %s", got, w.cfg.ForwardName())
	}
}

func denied(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42501"
}

func sum(ps []Phase) time.Duration {
	var d time.Duration
	for _, p := range ps {
		d += p.Took
	}
	return d
}

func logSwitch(t *testing.T, what string, s Switched) {
	t.Helper()
	var parts []string
	for _, p := range s.Phases {
		parts = append(parts, fmt.Sprintf("%s %s", p.Name, p.Took.Round(time.Millisecond)))
	}
	t.Logf("%s %s → %s: total %s, frozen %s; %s; replica slot from %s; sequences %+v; warnings %v",
		what, s.From, s.To, sum(s.Phases).Round(time.Millisecond), s.Frozen.Round(time.Millisecond),
		strings.Join(parts, ", "), s.ReplicaLSN, s.Sequences, s.Warnings)
}

func mustEqual(t *testing.T, p *pgPair) {
	t.Helper()
	sums, err := p.Compare(dbtest.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sums {
		if !s.Equal || s.Rows == 0 {
			t.Fatalf("blue and green differ: %+v", s)
		}
	}
}
