package engine

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/cutover"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// switchSides is a database of the test's own on the shared PostgreSQL
// with two schemas, src (blue) and dst (green), each holding items; a
// login role (writer) that may write src.items, like the application; and
// the environment variables SW_SRC and SW_DST the runbooks name.
type switchSides struct {
	src, dst, writer db.DB
	role             string
}

func pgSwitchSides(t *testing.T) switchSides {
	t.Helper()
	base, admin := pgServer(t)
	name := dbtest.UniqueName(t, "sw")
	name = name[:20] + name[len(name)-9:]
	role := "w_" + name[len(name)-8:]
	dbtest.MustExec(t, admin, "CREATE DATABASE "+name, "CREATE ROLE "+role+" LOGIN")
	t.Cleanup(func() {
		if _, err := admin.SQL().Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		if _, err := admin.SQL().Exec("DROP ROLE IF EXISTS " + role); err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	dsn := func(user, schema string) string {
		v := *u
		v.User = url.User(user)
		q := v.Query()
		q.Set("search_path", schema)
		v.RawQuery = q.Encode()
		return v.String()
	}
	owner := u.User.Username()
	open := func(user, schema string) db.DB {
		d, err := dbtest.Open(t, db.Postgres, dsn(user, schema))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	setup := open(owner, "public")
	dbtest.MustExec(t, setup,
		"CREATE SCHEMA src", "CREATE SCHEMA dst",
		"CREATE TABLE src.items (id serial PRIMARY KEY, v text)",
		"CREATE TABLE dst.items (id serial PRIMARY KEY, v text)",
		"INSERT INTO src.items (v) SELECT 'item ' || g FROM generate_series(1, 300) g",
		"GRANT USAGE ON SCHEMA src TO "+role,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON src.items TO "+role,
		"GRANT USAGE ON SEQUENCE src.items_id_seq TO "+role,
	)
	t.Setenv("SW_SRC", dsn(owner, "src"))
	t.Setenv("SW_DST", dsn(owner, "dst"))
	return switchSides{src: open(owner, "src"), dst: open(owner, "dst"), writer: open(role, "src"), role: role}
}

const switchHeader = `version: 1
name: Blue-green switch
migration_id: MIG-SW
decision_maker: alice
objectives: { rto: 5m, rpo: 0s, expected: 10m, window: 1h }
connections:
  source: { driver: postgres, dsn_env: SW_SRC }
  target: { driver: postgres, dsn_env: SW_DST }
`

// canWrite tries an insert as the application's role.
func (s switchSides) canWrite(t *testing.T) error {
	t.Helper()
	_, err := s.writer.SQL().Exec("INSERT INTO items (v) VALUES ('from the application')")
	return err
}

// srcACL is the privileges on src.items as PostgreSQL holds them.
func (s switchSides) srcACL(t *testing.T) string {
	t.Helper()
	var acl sql.NullString
	if err := s.src.SQL().QueryRow("SELECT relacl::text FROM pg_class WHERE oid = 'src.items'::regclass").Scan(&acl); err != nil {
		t.Fatal(err)
	}
	return acl.String
}

// eventsOf lists the journal's events of one type, decoded.
func eventsOf[P any](t *testing.T, path string, typ journal.Type) []P {
	t.Helper()
	events, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []P
	for _, e := range events {
		if e.Type != typ {
			continue
		}
		p, err := journal.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.(P))
	}
	return out
}

// TestSwitchPostgresToPostgres: the switch runs its hook only after its
// five preconditions passed, in order, each journaled with its duration;
// the green side's sequence is past the copied keys; blue stays frozen
// after the switch. A no-go afterwards rolls back: the switch's undo runs
// and blue takes writes again with exactly the privileges it had.
func TestSwitchPostgresToPostgres(t *testing.T) {
	sides := pgSwitchSides(t)
	before := sides.srcACL(t)
	r := smallRun(t, switchHeader+`steps:
  - { id: copy, kind: copy, tables: [items] }
  - { id: freeze, kind: freeze, on: source }
  - { id: flip, kind: switch, run: "echo green > marker", undo: "rm marker" }
  - { id: keep, kind: gate, question: Keep green? }
rollback:
  - { id: say, kind: shell, run: "echo rolled back > rollback-ran" }
`, "alice", "")
	done := runAsync(r)
	p := waitPending(t, r.c, journal.AwaitGate)
	if p.StepID != "flip" || !strings.Contains(p.Question, "Switch source → target") {
		t.Fatalf("pending %+v; want the switch's go question", p)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "marker")); err == nil {
		t.Fatal("the hook ran before the decision-maker said go")
	}
	if err := sides.canWrite(t); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("the application wrote to blue while the switch waited: %v", err)
	}
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceGo})
	waitState(t, r.c, "the keep gate", func(s journal.State) bool { return s.Pending != nil && s.Pending.StepID == "keep" })
	if b, err := os.ReadFile(filepath.Join(r.dir, "marker")); err != nil || string(b) != "green\n" {
		t.Fatalf("the hook's marker: %q, %v", b, err)
	}
	var names []string
	for _, c := range eventsOf[journal.SwitchCheckPayload](t, r.journal, journal.SwitchCheck) {
		if !c.OK {
			t.Errorf("precondition %s failed: %s", c.Check, c.Detail)
		}
		names = append(names, c.Check)
	}
	for _, c := range eventsOf[journal.SwitchCheckPayload](t, r.journal, journal.SwitchCheck) {
		t.Logf("precondition %-9s %4d ms  %s", c.Check, c.DurationMS, c.Detail)
	}
	if got, want := strings.Join(names, " "), "frozen drained sequences verify go"; got != want {
		t.Fatalf("preconditions journaled %q, want %q", got, want)
	}
	sw := eventsOf[journal.SwitchPayload](t, r.journal, journal.Switched)
	if len(sw) == 1 {
		t.Logf("switch: hook %d ms, total %d ms (the go question's wait included)", sw[0].HookMS, sw[0].TotalMS)
	}
	if len(sw) != 1 || !sw[0].OK || sw[0].From != "source" || sw[0].To != "target" || sw[0].TotalMS < sw[0].HookMS {
		t.Fatalf("switched events %+v", sw)
	}
	seqs := eventsOf[journal.SequencesPayload](t, r.journal, journal.SequencesSynced)
	if len(seqs) != 1 || len(seqs[0].Sets) != 1 || seqs[0].Sets[0].NextAfter != 301 {
		t.Fatalf("sequences synced %+v; want items.id moved to 301", seqs)
	}
	var id int64
	if err := sides.dst.SQL().QueryRow("INSERT INTO items (v) VALUES ('first on green') RETURNING id").Scan(&id); err != nil || id != 301 {
		t.Fatalf("the first insert on green: id %d, %v; want 301", id, err)
	}
	if err := sides.canWrite(t); err == nil {
		t.Fatal("blue took a write after the switch: the freeze must hold")
	}

	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", Choice: journal.ChoiceNoGo})
	waitOutcome(t, done, journal.OutcomeRolledBack)
	if _, err := os.Stat(filepath.Join(r.dir, "marker")); !os.IsNotExist(err) {
		t.Fatalf("the switch's undo did not run on rollback: %v", err)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "rollback-ran")); err != nil {
		t.Fatalf("the rollback steps did not run: %v", err)
	}
	if err := sides.canWrite(t); err != nil {
		t.Fatalf("blue after the rollback: %v", err)
	}
	if after := sides.srcACL(t); after != before {
		t.Fatalf("blue's privileges after the rollback: %s, before the freeze: %s", after, before)
	}
	sw = eventsOf[journal.SwitchPayload](t, r.journal, journal.Switched)
	if len(sw) == 2 {
		t.Logf("switch-back: hook %d ms", sw[1].HookMS)
	}
	if len(sw) != 2 || !sw[1].Back || !sw[1].OK {
		t.Fatalf("switched events %+v; want the switch and its switch-back", sw)
	}
	un := eventsOf[journal.UnfreezePayload](t, r.journal, journal.Unfreeze)
	for _, f := range eventsOf[journal.FrozenPayload](t, r.journal, journal.WritesFrozen) {
		t.Logf("freeze: %d ms; unfreeze: %d ms", f.DurationMS, un[0].DurationMS)
	}
	if len(un) != 1 || un[0].Reason != "rollback" || len(un[0].Regranted) != 3 {
		t.Fatalf("unfreezes %+v; want one, by the rollback, granting back INSERT, UPDATE and DELETE", un)
	}
}

// TestSwitchWithAFailedVerifyLeavesBlueLive: a target row changed after
// the copy fails the switch's verify; the hook does not run, the
// decision-maker is not asked, and blue is unfrozen and writable.
func TestSwitchWithAFailedVerifyLeavesBlueLive(t *testing.T) {
	sides := pgSwitchSides(t)
	before := sides.srcACL(t)
	r := smallRun(t, switchHeader+`steps:
  - { id: copy, kind: copy, tables: [items] }
  - { id: drift, kind: sql, on: target, run: "UPDATE items SET v = 'changed on green' WHERE id = 7" }
  - { id: freeze, kind: freeze, on: source }
  - { id: flip, kind: switch, run: "echo green > marker" }
rollback:
  - { id: say, kind: shell, run: "true" }
`, "alice", journal.ChoiceContinue)
	waitOutcome(t, runAsync(r), journal.OutcomeFailed)
	if _, err := os.Stat(filepath.Join(r.dir, "marker")); !os.IsNotExist(err) {
		t.Fatalf("the hook ran though verify failed: %v", err)
	}
	var got []string
	for _, c := range eventsOf[journal.SwitchCheckPayload](t, r.journal, journal.SwitchCheck) {
		got = append(got, fmt.Sprintf("%s=%v", c.Check, c.OK))
		if c.Check == journal.CheckVerify && !strings.Contains(c.Detail, "1 rows differ") {
			t.Errorf("verify's detail %q does not say what differs", c.Detail)
		}
	}
	if want := "frozen=true drained=true sequences=true verify=false"; strings.Join(got, " ") != want {
		t.Fatalf("preconditions %v, want %s (and no go question)", got, want)
	}
	if err := sides.canWrite(t); err != nil {
		t.Fatalf("blue after the aborted switch: %v", err)
	}
	if after := sides.srcACL(t); after != before {
		t.Fatalf("blue's privileges after the aborted switch: %s, before: %s", after, before)
	}
	un := eventsOf[journal.UnfreezePayload](t, r.journal, journal.Unfreeze)
	if len(un) != 1 || !strings.HasPrefix(un[0].Reason, "switch aborted: verify") {
		t.Fatalf("unfreezes %+v; want one, by the aborted switch", un)
	}
	sw := eventsOf[journal.SwitchPayload](t, r.journal, journal.Switched)
	if len(sw) != 1 || sw[0].OK || sw[0].HookMS != 0 || !strings.Contains(sw[0].Error, "verify") {
		t.Fatalf("switched %+v; want one aborted at verify, no hook", sw)
	}
	st := stepByID(t, r.c.State(), "flip")
	if st.Status != journal.StatusFailed || !strings.Contains(st.Error, "source stays live") {
		t.Fatalf("the switch step: %s %q", st.Status, st.Error)
	}
}

// frozenThenKilled runs, on pgSwitchSides' source, a freeze, a manual
// hold and an unfreeze, and stops the process at the hold: the freeze is
// journaled and in force.
func frozenThenKilled(t *testing.T) *demoRun {
	t.Helper()
	first := smallRun(t, switchHeader+`steps:
  - { id: freeze, kind: freeze, on: source, tables: [items] }
  - { id: hold, kind: manual, instructions: Check the banner }
  - { id: thaw, kind: unfreeze, on: source }
rollback:
  - { id: say, kind: shell, run: "true" }
`, "alice", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan string, 1)
	go func() { o, _ := first.c.Run(ctx); done <- o }()
	waitPending(t, first.c, journal.AwaitManual)
	cancel()
	waitOutcome(t, done, Interrupted)
	return first
}

// TestFreezeResumedAfterACrashGrantsBackOnce: the process dies after the
// freeze was journaled and the privileges revoked, before writes_frozen.
// The resumed run re-applies the journaled record (reading the privileges
// again would find none to give back), and the unfreeze grants back
// exactly what there was, once.
func TestFreezeResumedAfterACrashGrantsBackOnce(t *testing.T) {
	sides := pgSwitchSides(t)
	before := sides.srcACL(t)
	first := frozenThenKilled(t) // the first process: freeze journaled and applied, then killed
	if err := sides.canWrite(t); err == nil {
		t.Fatal("blue took a write while frozen")
	}
	// Make it as if the process had died inside the freeze step: a later
	// start of the same step, still running.
	if _, err := first.store.Append(context.Background(), "alice", "freeze", journal.StepStarted, journal.StepStartedPayload{Kind: "freeze"}); err != nil {
		t.Fatal(err)
	}
	if o, err := resumeRun(t, first, journal.ChoiceContinue).Run(context.Background()); o != journal.OutcomeFinished {
		t.Fatalf("the resumed run: %s, %v", o, err)
	}
	if n := len(eventsOf[journal.FreezePayload](t, first.journal, journal.Freeze)); n != 1 {
		t.Fatalf("%d freeze records; the resumed freeze must re-apply the first, not read the frozen privileges as a new one", n)
	}
	if n := len(eventsOf[journal.FrozenPayload](t, first.journal, journal.WritesFrozen)); n != 2 {
		t.Fatalf("%d writes_frozen events, want 2 (the first run and the re-applied freeze)", n)
	}
	un := eventsOf[journal.UnfreezePayload](t, first.journal, journal.Unfreeze)
	if len(un) != 1 || len(un[0].Regranted) != 3 {
		t.Fatalf("unfreezes %+v; want exactly one giving back INSERT, UPDATE and DELETE", un)
	}
	if err := sides.canWrite(t); err != nil {
		t.Fatalf("blue after the unfreeze: %v", err)
	}
	if after := sides.srcACL(t); after != before {
		t.Fatalf("privileges after the resumed unfreeze: %s, before the freeze: %s", after, before)
	}
}

// TestPreflightRefusesAFreezeItCannotHold: a table to freeze that the
// application's role owns (it could grant itself back) fails the
// pre-flight, before the copy — not the freeze in the middle of the window.
func TestPreflightRefusesAFreezeItCannotHold(t *testing.T) {
	sides := pgSwitchSides(t)
	dbtest.MustExec(t, sides.src, "ALTER TABLE items OWNER TO "+sides.role)
	r := smallRun(t, switchHeader+`steps:
  - { id: copy, kind: copy, tables: [items] }
  - { id: freeze, kind: freeze, on: source }
  - { id: flip, kind: switch, run: "echo green > marker" }
rollback:
  - { id: say, kind: shell, run: "true" }
`, "alice", journal.ChoiceContinue)
	o, err := r.c.Run(context.Background())
	if o != journal.OutcomeFailed || err == nil || !strings.Contains(err.Error(), "pre-flight") ||
		!strings.Contains(err.Error(), "items (owner "+sides.role+")") {
		t.Fatalf("outcome %s, %v; want a pre-flight naming items and its owner", o, err)
	}
	if st := stepStatus(r.c.State(), "copy"); st != journal.StatusPending {
		t.Fatalf("the copy ran (%s) before the pre-flight refused the freeze", st)
	}
}

// TestPreflightRefusesAFreezeADefinerTriggerEscapes: a SECURITY DEFINER
// trigger on a table the freeze leaves alone writes a frozen one as
// tightrope's role whoever fires it — the freeze cannot close that (a
// trigger's function is not checked for EXECUTE), so the pre-flight
// refuses it by name, before the copy.
func TestPreflightRefusesAFreezeADefinerTriggerEscapes(t *testing.T) {
	sides := pgSwitchSides(t)
	dbtest.MustExec(t, sides.src,
		"CREATE TABLE side_note (id int)",
		`CREATE FUNCTION side_to_items() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS 'BEGIN DELETE FROM items; RETURN NEW; END'`,
		"CREATE TRIGGER side_writes AFTER INSERT ON side_note FOR EACH ROW EXECUTE FUNCTION side_to_items()",
		"GRANT INSERT ON side_note TO "+sides.role,
	)
	r := smallRun(t, switchHeader+`steps:
  - { id: copy, kind: copy, tables: [items] }
  - { id: freeze, kind: freeze, on: source }
  - { id: flip, kind: switch, run: "echo green > marker" }
rollback:
  - { id: say, kind: shell, run: "true" }
`, "alice", journal.ChoiceContinue)
	o, err := r.c.Run(context.Background())
	if o != journal.OutcomeFailed || err == nil || !strings.Contains(err.Error(), "pre-flight") ||
		!strings.Contains(err.Error(), "trigger side_writes on side_note runs SECURITY DEFINER function side_to_items()") {
		t.Fatalf("outcome %s, %v; want a pre-flight naming the trigger", o, err)
	}
	if st := stepStatus(r.c.State(), "copy"); st != journal.StatusPending {
		t.Fatalf("the copy ran (%s) before the pre-flight refused the freeze", st)
	}
}

// TestNoGoAtTheSwitchLeavesBlueLive: the decision-maker answers no-go to
// the switch's own question; the hook does not run, blue is unfrozen by the
// aborted switch (once: the rollback finds nothing left to unfreeze) and
// the run rolls back.
func TestNoGoAtTheSwitchLeavesBlueLive(t *testing.T) {
	sides := pgSwitchSides(t)
	r := smallRun(t, switchHeader+`steps:
  - { id: copy, kind: copy, tables: [items] }
  - { id: freeze, kind: freeze, on: source }
  - { id: flip, kind: switch, run: "echo green > marker", undo: "echo back > switched-back" }
rollback:
  - { id: say, kind: shell, run: "true" }
`, "alice", journal.ChoiceRollback)
	waitOutcome(t, runAsync(r), journal.OutcomeRolledBack)
	for _, f := range []string{"marker", "switched-back"} {
		if _, err := os.Stat(filepath.Join(r.dir, f)); !os.IsNotExist(err) {
			t.Fatalf("%s exists: a switch answered no-go ran a hook (%v)", f, err)
		}
	}
	if err := sides.canWrite(t); err != nil {
		t.Fatalf("blue after the no-go: %v", err)
	}
	un := eventsOf[journal.UnfreezePayload](t, r.journal, journal.Unfreeze)
	if len(un) != 1 || !strings.Contains(un[0].Reason, "no-go") {
		t.Fatalf("unfreezes %+v; want one, by the switch answered no-go", un)
	}
}

// TestSwitchPostgresToMySQL: across engines, the switch syncs the MySQL
// side's AUTO_INCREMENT past the copied keys and verifies across the type
// mapping; the first insert on the new side takes the next key.
func TestSwitchPostgresToMySQL(t *testing.T) {
	sides := pgSwitchSides(t)
	base, admin := server(t, db.MySQL)
	name := dbtest.UniqueName(t, "swmy")
	name = name[:20] + name[len(name)-9:]
	dbtest.MustExec(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { admin.SQL().Exec("DROP DATABASE IF EXISTS " + name) })
	dsn, err := db.WithDatabase(db.MySQL, base, name)
	if err != nil {
		t.Fatal(err)
	}
	green, err := dbtest.Open(t, db.MySQL, dsn)
	if err != nil {
		t.Fatal(err)
	}
	dbtest.MustExec(t, green, "CREATE TABLE items (id int AUTO_INCREMENT PRIMARY KEY, v text)")
	t.Setenv("SW_DST", dsn)
	r := smallRun(t, strings.Replace(switchHeader, "target: { driver: postgres", "target: { driver: mysql", 1)+`steps:
  - { id: copy, kind: copy, tables: [items] }
  - { id: freeze, kind: freeze, on: source }
  - { id: flip, kind: switch, run: "echo green > marker" }
rollback:
  - { id: say, kind: shell, run: "true" }
`, "alice", journal.ChoiceContinue)
	waitOutcome(t, runAsync(r), journal.OutcomeFinished)
	seqs := eventsOf[journal.SequencesPayload](t, r.journal, journal.SequencesSynced)
	if len(seqs) != 1 || seqs[0].Conn != "target" || len(seqs[0].Sets) != 1 {
		t.Fatalf("sequences synced %+v; want items.id on the MySQL side", seqs)
	}
	if s := seqs[0].Sets[0]; s.Max == nil || *s.Max != 300 || s.NextAfter != 301 {
		t.Fatalf("AUTO_INCREMENT sync %+v; want max 300, next 301", s)
	}
	res, err := green.SQL().Exec("INSERT INTO items (v) VALUES ('first on green')")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := res.LastInsertId(); id != 301 {
		t.Fatalf("the first insert on green took id %d, want 301", id)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "marker")); err != nil {
		t.Fatalf("the hook did not run: %v", err)
	}
	if err := sides.canWrite(t); err == nil {
		t.Fatal("blue took a write after the switch")
	}
}

// TestUnfreezeResumedAfterACrashIsJournaledOnce: the process dies inside
// the unfreeze step after the privileges were granted back, before its
// event. The resumed run undoes the same record again — a no-op — and
// journals one unfreeze; the privileges are exactly the ones from before.
func TestUnfreezeResumedAfterACrashIsJournaledOnce(t *testing.T) {
	sides := pgSwitchSides(t)
	before := sides.srcACL(t)
	first := frozenThenKilled(t)
	// As if the next process had confirmed hold, started thaw, granted
	// back — and died before journaling it.
	rec, ok := first.c.State().ActiveFreeze("source")
	if !ok {
		t.Fatal("no freeze in force after the first run")
	}
	for _, e := range []struct {
		step string
		typ  journal.Type
		p    any
	}{
		{"hold", journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusDone}},
		{"thaw", journal.StepStarted, journal.StepStartedPayload{Kind: "unfreeze"}},
	} {
		if _, err := first.store.Append(context.Background(), "alice", e.step, e.typ, e.p); err != nil {
			t.Fatal(err)
		}
	}
	if err := cutoverUndo(sides.src, rec); err != nil {
		t.Fatal(err)
	}
	if o, err := resumeRun(t, first, journal.ChoiceContinue).Run(context.Background()); o != journal.OutcomeFinished {
		t.Fatalf("the resumed run: %s, %v", o, err)
	}
	if un := eventsOf[journal.UnfreezePayload](t, first.journal, journal.Unfreeze); len(un) != 1 {
		t.Fatalf("%d unfreeze events, want exactly one", len(un))
	}
	if after := sides.srcACL(t); after != before {
		t.Fatalf("privileges after the resumed unfreeze: %s, before the freeze: %s", after, before)
	}
	if err := sides.canWrite(t); err != nil {
		t.Fatalf("blue after the unfreeze: %v", err)
	}
}

// cutoverUndo undoes a freeze record the way a dying process would have.
func cutoverUndo(d db.DB, rec journal.FreezeRecord) error {
	return cutover.Undo(context.Background(), d, rec.FreezePayload)
}

// TestSwitchWithoutAFreezeNeverRunsItsHook: with no freeze of the old side
// the first precondition fails; nothing after it is checked and the hook
// does not run.
func TestSwitchWithoutAFreezeNeverRunsItsHook(t *testing.T) {
	r := smallRun(t, controlsHeader+`steps:
  - { id: flip, kind: switch, run: "echo green > marker", tables: [t] }
`, "alice", journal.ChoiceContinue)
	for _, f := range []string{"a.db", "b.db"} {
		if err := os.WriteFile(filepath.Join(r.dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	waitOutcome(t, runAsync(r), journal.OutcomeFailed)
	checks := eventsOf[journal.SwitchCheckPayload](t, r.journal, journal.SwitchCheck)
	if len(checks) != 1 || checks[0].Check != journal.CheckFrozen || checks[0].OK || !strings.Contains(checks[0].Detail, "writes are not frozen on source") {
		t.Fatalf("preconditions %+v; want frozen failed and nothing after it", checks)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "marker")); !os.IsNotExist(err) {
		t.Fatalf("the hook ran: %v", err)
	}
}

// TestSwitchRefusesAFreezeThatLeavesATableOpen: a PostgreSQL freeze of
// some tables does not satisfy a switch of others.
func TestSwitchRefusesAFreezeThatLeavesATableOpen(t *testing.T) {
	sides := pgSwitchSides(t)
	dbtest.MustExec(t, sides.src, "CREATE TABLE extra (id int PRIMARY KEY)", "INSERT INTO extra VALUES (1)")
	dbtest.MustExec(t, sides.dst, "CREATE TABLE extra (id int PRIMARY KEY)")
	r := smallRun(t, switchHeader+`steps:
  - { id: copy, kind: copy, tables: [items, extra] }
  - { id: freeze, kind: freeze, on: source, tables: [items] }
  - { id: flip, kind: switch, run: "echo green > marker" }
rollback:
  - { id: say, kind: shell, run: "true" }
`, "alice", journal.ChoiceContinue)
	waitOutcome(t, runAsync(r), journal.OutcomeFailed)
	checks := eventsOf[journal.SwitchCheckPayload](t, r.journal, journal.SwitchCheck)
	if len(checks) != 1 || checks[0].OK || !strings.Contains(checks[0].Detail, "leaves extra writable") {
		t.Fatalf("preconditions %+v; want frozen failed naming extra", checks)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "marker")); !os.IsNotExist(err) {
		t.Fatalf("the hook ran: %v", err)
	}
	if err := sides.canWrite(t); err != nil {
		t.Fatalf("blue after the aborted switch: %v", err)
	}
}

// TestAFailedRunSaysWhatStaysFrozen: a run that fails after a freeze (no
// rollback decided) leaves the freeze in force — nobody decided to give
// writes back — and says so in its last words.
func TestAFailedRunSaysWhatStaysFrozen(t *testing.T) {
	sides := pgSwitchSides(t)
	r := smallRun(t, switchHeader+`steps:
  - { id: freeze, kind: freeze, on: source, tables: [items] }
  - { id: broken, kind: shell, run: "exit 3" }
rollback:
  - { id: say, kind: shell, run: "true" }
`, "alice", journal.ChoiceContinue)
	waitOutcome(t, runAsync(r), journal.OutcomeFailed)
	if err := sides.canWrite(t); err == nil {
		t.Fatal("the freeze was given back though nobody decided to roll back")
	}
	found := false
	for _, l := range r.c.State().Log {
		found = found || (l.Stream == "warn" && strings.Contains(l.Line, "source is still frozen"))
	}
	if !found {
		t.Fatal("the failed run does not say that source is still frozen")
	}
}
