package bluegreen

import (
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestSwitchWithFailedVerifyLeavesBlueLive: a green row changed by hand
// makes the verification fail; the switch aborts, names the row, and
// leaves blue unfrozen (the application writes to it), forward
// replication running (the write reaches green) and no reverse path
// started.
func TestSwitchWithFailedVerifyLeavesBlueLive(t *testing.T) {
	w := newWorld(t, 10000, 50)
	p := w.open(t)
	ctx := dbtest.Ctx(t)
	if _, err := p.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	exec(t, w.green, `UPDATE items SET name = 'changed by hand' WHERE id = 4242`)

	sw, err := p.Switch(ctx)
	if err == nil {
		t.Fatalf("the switch went through with green differing from blue: %+v", sw)
	}
	t.Logf("refused: %v", err)
	for _, want := range []string{"verify", "public.items", "(4242)", "blue is live and writable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	if sw.To != "blue" {
		t.Errorf("a refused switch reports %q live, want blue", sw.To)
	}
	id, err := appInsert(w.appBlue, "after the refused switch")
	if err != nil {
		t.Fatalf("blue is not writable by the application after a refused switch: %v", err)
	}
	waitFor(t, "blue's write on green through forward replication", func() bool {
		return count(t, w.green, `SELECT count(*) FROM items WHERE id = $1`, id) == 1
	})
	if _, err := appInsert(w.appGreen, "on the replica"); !denied(err) {
		t.Fatalf("green took the application's write after a refused switch: %v", err)
	}
	if got := w.slots(t); len(got) != 1 || got[0] != w.cfg.ForwardName() {
		t.Fatalf("slots after a refused switch: %v, want only the forward one", got)
	}
	if n := count(t, w.blue, `SELECT count(*) FROM pg_subscription WHERE subname = $1`, w.cfg.ReverseName()); n != 0 {
		t.Fatal("a refused switch left a reverse subscription on blue")
	}
	lag, err := p.WaitCaughtUp(ctx, 10*time.Second)
	if err != nil || lag.From != "blue" || !lag.SlotActive {
		t.Fatalf("forward replication after a refused switch: %+v, %v", lag, err)
	}
}

// TestPrepareRefusesATableWithoutIdentity: a table with neither a primary
// key nor REPLICA IDENTITY FULL is refused by name, with the fix, before
// anything is created.
func TestPrepareRefusesATableWithoutIdentity(t *testing.T) {
	w := newWorld(t, 10, 10)
	for _, dsn := range []string{w.blue, w.green} {
		exec(t, dsn, `CREATE TABLE notes (body text)`)
	}
	w.cfg.Tables = append(w.cfg.Tables, "notes")
	p := w.open(t)
	_, err := p.Prepare(dbtest.Ctx(t))
	if err == nil || !strings.Contains(err.Error(), "table public.notes on blue has no primary key") ||
		!strings.Contains(err.Error(), `ALTER TABLE "public"."notes" REPLICA IDENTITY FULL`) {
		t.Fatalf("prepare of a table without a key: %v", err)
	}
	if got := w.slots(t); len(got) != 0 {
		t.Fatalf("a refused prepare created slots %v", got)
	}
	if n := count(t, w.blue, `SELECT count(*) FROM pg_publication`); n != 0 {
		t.Fatal("a refused prepare created a publication")
	}
	exec(t, w.blue, `ALTER TABLE notes REPLICA IDENTITY FULL`)
	exec(t, w.blue, `INSERT INTO notes VALUES ('one'), ('two')`)
	if _, err := p.Prepare(dbtest.Ctx(t)); err != nil {
		t.Fatalf("prepare with REPLICA IDENTITY FULL: %v", err)
	}
	mustEqualIncluding(t, p, 3)
}

// TestPrepareWithoutCopy: green filled beforehand (tightrope's own copy)
// is subscribed with copy_data = false; later writes on blue reach it and
// nothing is copied twice.
func TestPrepareWithoutCopy(t *testing.T) {
	w := newWorld(t, 2000, 20)
	exec(t, w.green,
		`INSERT INTO items (name, qty, note) SELECT 'item ' || g, g % 97, CASE WHEN g % 5 = 0 THEN NULL ELSE md5(g::text) END FROM generate_series(1, 2000) g`,
		`INSERT INTO accounts (balance) SELECT g * 1.25 FROM generate_series(1, 20) g`)
	w.cfg.CopyData = false
	p := w.open(t)
	ctx := dbtest.Ctx(t)
	prep, err := p.Prepare(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if prep.Tables != 2 || !prep.SlotCreated {
		t.Fatalf("prepare: %+v", prep)
	}
	again, err := p.Prepare(ctx) // a resumed run prepares again: it continues what is there
	if err != nil || again.SlotCreated || again.SlotLSN == "" || again.Tables != 2 {
		t.Fatalf("prepare again: %+v, %v", again, err)
	}
	exec(t, w.appBlue, `UPDATE items SET qty = -1 WHERE id <= 10`, `DELETE FROM accounts WHERE id = 20`)
	if _, err := appInsert(w.appBlue, "new"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitCaughtUp(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, p)
	if n := count(t, w.green, `SELECT count(*) FROM items`); n != 2001 {
		t.Fatalf("green has %d items, want 2001", n)
	}
}

// TestCopyRefusesAGreenWithRows: copy_data into a green that has rows
// would collide; Prepare says so before creating anything.
func TestCopyRefusesAGreenWithRows(t *testing.T) {
	w := newWorld(t, 10, 10)
	exec(t, w.green, `INSERT INTO accounts (balance) VALUES (1)`)
	p := w.open(t)
	_, err := p.Prepare(dbtest.Ctx(t))
	if err == nil || !strings.Contains(err.Error(), "table public.accounts on green has rows") {
		t.Fatalf("prepare copying into a green with rows: %v", err)
	}
	if got := w.slots(t); len(got) != 0 {
		t.Fatalf("a refused prepare created slots %v", got)
	}
}

// TestCheckReverseRefuses: a column only green has, and a conninfo blue
// cannot reach green through, are each refused before any switch, and
// the refusal never shows the conninfo's password; Switch runs the check
// itself and refuses too, changing nothing.
func TestCheckReverseRefuses(t *testing.T) {
	w := newWorld(t, 10, 10)
	ctx := dbtest.Ctx(t)

	exec(t, w.green, `ALTER TABLE items ADD COLUMN extra int`)
	p := w.open(t)
	if _, err := p.Prepare(ctx); err == nil || !strings.Contains(err.Error(), "table public.items differs") {
		t.Fatalf("prepare with a column only on green: %v", err)
	}
	_, err := p.CheckReverse(ctx)
	if err == nil || !strings.Contains(err.Error(), "extra integer") {
		t.Fatalf("reverse check with a column only on green: %v", err)
	}
	exec(t, w.green, `ALTER TABLE items DROP COLUMN extra`)

	w2 := *w
	w2.cfg.Name = "bg" + randHex(4)
	// a port nobody listens on, with a password that must never show
	w2.cfg.Green.ConnInfo = "host=127.0.0.1 port=1 user=postgres password=s3cr3tpw dbname=x connect_timeout=2"
	p2 := w2.open(t)
	if _, err := p2.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = p2.CheckReverse(ctx)
	if err == nil || !strings.Contains(err.Error(), "blue could not reach green through the configured conninfo") {
		t.Fatalf("reverse check through an unreachable conninfo: %v", err)
	}
	sw, err := p2.Switch(ctx)
	if err == nil || !strings.Contains(err.Error(), "switch refused before anything changed") {
		t.Fatalf("switch without a working reverse path: %v", err)
	}
	for _, e := range []string{err.Error()} {
		if strings.Contains(e, "s3cr3tpw") {
			t.Fatalf("an error shows the conninfo's password: %s", e)
		}
	}
	if len(sw.Phases) != 0 {
		t.Fatalf("a refused switch ran phases: %+v", sw.Phases)
	}
	if _, err := appInsert(w.appBlue, "still live"); err != nil {
		t.Fatalf("blue not writable after a refused switch: %v", err)
	}
}

func mustEqualIncluding(t *testing.T, p *pgPair, tables int) {
	t.Helper()
	sums, err := p.Compare(dbtest.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != tables {
		t.Fatalf("compared %d tables, want %d", len(sums), tables)
	}
	for _, s := range sums {
		if !s.Equal || s.Rows == 0 {
			t.Fatalf("blue and green differ: %+v", s)
		}
	}
}

// TestSwitchThatCannotCatchUpLeavesBlueLive: forward replication stopped
// (the subscription disabled by hand) means green never gets blue's last
// write; the switch gives up after its catch-up timeout and blue is
// unfrozen.
func TestSwitchThatCannotCatchUpLeavesBlueLive(t *testing.T) {
	w := newWorld(t, 100, 10)
	w.cfg.CatchUpTimeout = time.Second
	p := w.open(t)
	ctx := dbtest.Ctx(t)
	if _, err := p.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	exec(t, w.green, "ALTER SUBSCRIPTION "+w.cfg.ForwardName()+" DISABLE")
	if _, err := appInsert(w.appBlue, "never replicated"); err != nil {
		t.Fatal(err)
	}
	_, err := p.Switch(ctx)
	if err == nil || !strings.Contains(err.Error(), PhaseDrained+":") || !strings.Contains(err.Error(), "blue is live and writable") {
		t.Fatalf("switch with replication stopped: %v", err)
	}
	if _, err := appInsert(w.appBlue, "after"); err != nil {
		t.Fatalf("blue is not writable after a switch that could not catch up: %v", err)
	}
}

// TestSwitchFailingAfterTheForwardDropRestartsIt: the reverse slot cannot
// be created (its name taken on the server after the reverse check) once
// the forward subscription is gone; the switch puts forward replication
// back (both sides frozen and equal) and unfreezes blue, and blue's next
// write reaches green.
func TestSwitchFailingAfterTheForwardDropRestartsIt(t *testing.T) {
	w := newWorld(t, 1000, 10)
	p := w.open(t)
	ctx := dbtest.Ctx(t)
	if _, err := p.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.CheckReverse(ctx); err != nil {
		t.Fatal(err)
	}
	// a slot of the reverse name, on another database of the server
	exec(t, w.srv.DSN, "SELECT pg_create_logical_replication_slot('"+w.cfg.ReverseName()+"', 'pgoutput')")
	t.Cleanup(func() { exec(t, w.srv.DSN, "SELECT pg_drop_replication_slot('"+w.cfg.ReverseName()+"')") })

	sw, err := p.Switch(ctx)
	if err == nil || !strings.Contains(err.Error(), PhaseReplicate) || !strings.Contains(err.Error(), "blue is live and writable") {
		t.Fatalf("switch whose reverse slot cannot be made: %v", err)
	}
	var dropped bool
	for _, ph := range sw.Phases {
		dropped = dropped || ph.Name == PhaseDetach
	}
	if !dropped {
		t.Fatalf("the test meant the failure to come after the forward drop: phases %+v", sw.Phases)
	}
	id, err := appInsert(w.appBlue, "after the failed switch")
	if err != nil {
		t.Fatalf("blue is not writable after the failed switch: %v", err)
	}
	waitFor(t, "blue's write on green through the restarted forward replication", func() bool {
		return count(t, w.green, `SELECT count(*) FROM items WHERE id = $1`, id) == 1
	})
	if _, err := appInsert(w.appGreen, "on the replica"); !denied(err) {
		t.Fatalf("green took the application's write after the failed switch: %v", err)
	}
	mustEqual(t, p)
}
