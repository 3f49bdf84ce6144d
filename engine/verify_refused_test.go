package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// TestVerifyExcludesRowsTheTargetRefused: orphan rows copied into a
// target whose foreign key refuses them are rejected as target_refused;
// verify counts them as rejected by the copy, not as missing, so the
// verify_mismatch trigger stays quiet (PostgreSQL, MySQL and SQLite). A good row deleted from the target
// afterwards is still reported, as exactly its key.
func TestVerifyExcludesRowsTheTargetRefused(t *testing.T) {
	for _, driver := range []string{db.Postgres, db.MySQL} {
		t.Run(driver, func(t *testing.T) {
			dsn, target := server(t, driver)
			t.Setenv("TIGHTROPE_REFUSED_TARGET", dsn)
			verifyExcludesRefused(t, "{ driver: "+driver+", dsn_env: TIGHTROPE_REFUSED_TARGET }", target)
		})
	}
	// A SQLite target enforces its foreign keys like the servers.
	t.Run(db.SQLite, func(t *testing.T) { verifyExcludesRefused(t, "{ driver: sqlite, path: b.db }", nil) })
}

// verifyExcludesRefused runs copy, verify, the loss of one good row and
// verify again from a SQLite source into target (nil: the SQLite b.db).
func verifyExcludesRefused(t *testing.T, targetConn string, target db.DB) {
	parent, child := dbtest.UniqueName(t, "parent"), dbtest.UniqueName(t, "child")
	r := smallRun(t, `version: 1
name: Refused verify
migration_id: MIG-REFV
decision_maker: alice
connections:
  source: { driver: sqlite, path: a.db }
  target: `+targetConn+`
triggers: { verify_mismatch: 0 }
steps:
  - { id: copy, kind: copy, tables: [`+child+`], batch: 40 }
  - { id: check, kind: verify, tables: [`+child+`] }
  - { id: damage, kind: sql, on: target, run: "DELETE FROM `+child+` WHERE id = 77" }
  - { id: recheck, kind: verify, tables: [`+child+`] }
`, "alice", journal.ChoiceContinue)
	src := seedSQLite(t, r.dir)
	if target == nil {
		target = seedTargetSQLite(t, r.dir)
	} else {
		t.Cleanup(func() {
			target.SQL().Exec("DROP TABLE IF EXISTS " + child)
			target.SQL().Exec("DROP TABLE IF EXISTS " + parent)
		})
	}
	mustExec(t, src, "CREATE TABLE "+child+" (id INTEGER PRIMARY KEY, parent_id INTEGER, n INTEGER)")
	var rows []string
	orphans := 0
	for i := 1; i <= 200; i++ {
		p := i%5 + 1
		if i%20 == 3 {
			p, orphans = 99, orphans+1 // no such parent in the target
		}
		rows = append(rows, fmt.Sprintf("(%d, %d, %d)", i, p, i*3))
	}
	mustExec(t, src, "INSERT INTO "+child+" VALUES "+strings.Join(rows, ", "))
	dbtest.MustExec(t, target, "CREATE TABLE "+parent+" (id INTEGER PRIMARY KEY)",
		"INSERT INTO "+parent+" VALUES (1), (2), (3), (4), (5)",
		"CREATE TABLE "+child+" (id INTEGER PRIMARY KEY, parent_id INTEGER, n INTEGER, "+
			"CONSTRAINT "+child+"_fk FOREIGN KEY (parent_id) REFERENCES "+parent+" (id))")

	outcome, err := r.c.Run(t.Context())
	if outcome != journal.OutcomeFinished || err != nil {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	s := r.c.State()
	if len(s.Tables) != 1 || s.Tables[0].Read != 200 || s.Tables[0].Rejected != int64(orphans) {
		t.Fatalf("copy: %+v, want 200 read and %d rejected", s.Tables, orphans)
	}
	refused, err := r.c.opts.Journal.RejectedKeys(t.Context(), child, []string{"copy"})
	if err != nil || len(refused) != orphans {
		t.Fatalf("the journal holds %d rejected keys (err %v), want %d", len(refused), err, orphans)
	}
	if len(s.Verifies) != 2 {
		t.Fatalf("verify results: %+v", s.Verifies)
	}
	first, second := s.Verifies[0].Tables[0], s.Verifies[1].Tables[0]
	if first.Mismatches != 0 || first.SourceRows != 200 || first.Rejected != int64(orphans) || first.TargetRows != int64(200-orphans) {
		t.Errorf("verify after the copy: %+v, want 0 mismatches and the %d refused rows rejected", first, orphans)
	}
	if !hasLog(s, "check", fmt.Sprintf("(%d rows rejected by the copy, excluded)", orphans)) {
		t.Errorf("the verify does not say the refused rows were excluded: %v", s.Log)
	}
	if second.Mismatches != 1 || !slices.Equal(second.MismatchKeys, []string{"77 (missing in target)"}) {
		t.Errorf("verify after a lost row: %d mismatches %v, want exactly 77 missing", second.Mismatches, second.MismatchKeys)
	}
	var tripped []string
	for _, tr := range s.Triggers {
		if tr.Trigger == runbooks.TriggerVerifyMismatch {
			tripped = append(tripped, fmt.Sprintf("%s %g", tr.Table, tr.Observed))
		}
	}
	if want := []string{child + " 1"}; !slices.Equal(tripped, want) {
		t.Errorf("verify_mismatch fired for %v, want %v (the recheck only)", tripped, want)
	}
}
