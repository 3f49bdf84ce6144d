package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tightrope/tightrope/demo"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// TestTriggerEvidenceIsWhatTheTargetHolds: when the reject-rate trigger
// holds the copies, the numbers frozen in its evidence and the progress in
// the fold are what the target has committed at that moment — count(*) per
// table — not a progress sample taken up to a second earlier. The table's
// own read and rejected counts in the evidence match the fold too.
func TestTriggerEvidenceIsWhatTheTargetHolds(t *testing.T) {
	for i := range 3 { // parallel copies interleave differently each time
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			r := newDemoRun(t, "alice", "")
			target := openSQLite(t, filepath.Join(r.dir, demo.TargetFile))
			evidenceIsCommitted(t, r, target)
		})
	}
}

// TestTriggerEvidenceIsWhatPostgresHolds: the same, copying the demo's
// shop into the demo's stricter target tables in PostgreSQL, in a schema
// of the test's own.
func TestTriggerEvidenceIsWhatPostgresHolds(t *testing.T) {
	dsn := dbtest.ServerDSN(t, dbtest.PostgresEnv, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	admin, err := dbtest.Open(t, db.Postgres, dsn)
	if err != nil {
		dbtest.ServerDown(t, dbtest.PostgresEnv, err)
	}
	schema := dbtest.UniqueName(t, "ev")
	dbtest.MustExec(t, admin, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { dbtest.MustExec(t, admin, "DROP SCHEMA "+schema+" CASCADE") })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	t.Setenv("TIGHTROPE_EVIDENCE_PG", dsn+sep+"search_path="+schema)
	dir := t.TempDir()
	if _, err := demo.Write(context.Background(), dir, "alice"); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Parse(filepath.Join(dir, "pg.yaml"), []byte(`version: 1
name: The demo shop into PostgreSQL
migration_id: MIG-EVIDENCE-PG
decision_maker: alice
objectives: { rto: 5m, expected: 10m }
strategy: snapshot
connections:
  source: { driver: sqlite, path: `+demo.SourceFile+` }
  target: { driver: postgres, dsn_env: TIGHTROPE_EVIDENCE_PG }
triggers: { reject_rate: 0.1% }
steps:
  - { id: copy, kind: copy, tables: [customers, products, orders], batch: 200, parallel: 2 }
`))
	if err != nil {
		t.Fatal(err)
	}
	target, err := dbtest.Open(t, db.Postgres, dsn+sep+"search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	dbtest.MustExec(t, target, // the demo's stricter target, in PostgreSQL
		"CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL, email VARCHAR(64), created_at DATE)",
		"CREATE TABLE products (id INTEGER PRIMARY KEY, sku VARCHAR(16) NOT NULL, name VARCHAR(80) NOT NULL, price NUMERIC(10,2) NOT NULL, rating INTEGER)",
		"CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, product_id INTEGER NOT NULL, qty INTEGER NOT NULL, total NUMERIC(12,2) NOT NULL, placed_at TIMESTAMP NOT NULL)")
	evidenceIsCommitted(t, startRun(t, rb, dir, "alice", ""), target)
}

// evidenceIsCommitted runs r until its first reject-rate trigger waits,
// compares what the trigger froze and the fold shows with count(*) in
// target, then continues it to the end.
func evidenceIsCommitted(t *testing.T, r *demoRun, target db.DB) {
	t.Helper()
	var looked atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan string, 1)
	go func() { o, _ := r.c.Run(ctx); done <- o }()
	go answerer(ctx, r.c, func(p journal.Pending) Command {
		if p.Kind == journal.AwaitManual {
			for i := range 2 {
				r.c.Send(Command{Kind: CmdCheck, Actor: "alice", StepID: p.StepID, Index: i})
			}
			_ = r.c.waitFor(ctx, func(s *journal.State) bool { st, _ := s.StepOf(p.StepID, false); return st.Checked[1] })
			return Command{Kind: CmdConfirm, Actor: "alice", StepID: p.StepID}
		}
		if p.Kind == journal.AwaitTrigger && !looked.Swap(true) { // the first is left waiting: looked at below
			return Command{Kind: CmdNote, Actor: "alice", Text: "looking at the evidence"}
		}
		if p.Kind == journal.AwaitGate {
			return Command{Kind: CmdDecide, Actor: "alice", StepID: p.StepID, Choice: journal.ChoiceGo}
		}
		return continueWith(0)(p)
	})
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	var s journal.State
	if err := r.c.waitFor(wctx, func(st *journal.State) bool {
		if st.Pending != nil && st.Pending.Kind == journal.AwaitTrigger {
			s = st.Clone()
			return true
		}
		return false
	}); err != nil {
		st := r.c.State()
		t.Fatalf("no trigger: %v; outcome %q %s, log %+v", err, st.Outcome, st.OutcomeErr, st.Log[max(0, len(st.Log)-6):])
	}
	tr := s.Pending.Trigger
	if tr.Trigger != "reject_rate" {
		t.Fatalf("trigger %s", tr.Trigger)
	}
	var committed int64
	for _, tbl := range s.Tables {
		n, err := target.Count(context.Background(), tbl.Table)
		if err != nil {
			t.Fatal(err)
		}
		committed += n
		if n != tbl.Written {
			t.Errorf("%s: the target holds %d rows, the fold at the trigger says %d written", tbl.Table, n, tbl.Written)
		}
		if tbl.Table == tr.Table {
			if num(tr.Evidence["read"]) != tbl.Read || num(tr.Evidence["rejected"]) != tbl.Rejected {
				t.Errorf("%s: evidence read %v rejected %v, the fold %d and %d", tbl.Table, tr.Evidence["read"], tr.Evidence["rejected"], tbl.Read, tbl.Rejected)
			}
			if want := float64(tbl.Rejected) / float64(tbl.Read); tr.Observed != want {
				t.Errorf("%s: observed %v, the committed rate is %v", tbl.Table, tr.Observed, want)
			}
		}
	}
	if got := num(tr.Evidence["rows_written"]); got != committed {
		t.Errorf("evidence: rows written %d, the target holds %d", got, committed)
	}
	r.c.Send(Command{Kind: CmdDecide, Actor: "alice", StepID: s.Pending.StepID, Choice: journal.ChoiceContinue, Text: "known N/A values, fixed later"})
	select {
	case o := <-done:
		if o != journal.OutcomeFinished {
			t.Fatalf("outcome %s", o)
		}
	case <-time.After(20 * time.Second):
		st := r.c.State()
		t.Fatalf("the run did not finish: pending %+v current %s log %+v", st.Pending, st.Current, st.Log[max(0, len(st.Log)-5):])
	}
}

// num reads an evidence number as the fold holds it (a JSON number, or an
// int64 from a live conductor).
func num(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return -1
}
