package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// restorePredictionRunbook snapshots a PostgreSQL database, stops at a
// gate, and on rollback restores the snapshot.
const restorePredictionRunbook = `version: 1
name: Restore prediction
migration_id: MIG-RESTORE-PRED
decision_maker: dana
objectives: { rto: 5m, expected: 10m }
connections:
  target: { driver: postgres, dsn_env: RESTPRED_PG }
steps:
  - { id: snap, kind: snapshot, of: target }
  - { id: go, kind: gate, question: Go? }
rollback:
  - { id: restore, kind: restore, snapshot: snap }
`

// restorePredictionRows is the rows of the second recorded run (the first
// has half as many); the assessed and measured restore is of twice as
// many. TIGHTROPE_RESTORE_ROWS overrides.
func restorePredictionRows() int {
	if n, err := strconv.Atoi(os.Getenv("TIGHTROPE_RESTORE_ROWS")); err == nil && n > 0 {
		return n
	}
	return 400000
}

// TestAssessRestorePredictionWithinHalf is the acceptance: a real
// PostgreSQL database is snapshotted and restored by two runs that roll
// back (restores of N/2 and N rows recorded in the migration's journals);
// the table then grows to 2N rows; assess predicts the restore of the 2N
// rows from those two (a fixed cost and a cost per row); then a third run
// really snapshots and restores the 2N rows. The prediction is within 50%
// of that measured restore, which takes more than a second.
//
// The machine is shared with the other packages' tests, and their load
// comes and goes within seconds: a restore recorded under it and one
// measured without it (or the reverse) differ by more than the model's
// error. So an attempt that misses is repeated (up to three in all) from the start, on a
// new database, and each attempt is logged.
func TestAssessRestorePredictionWithinHalf(t *testing.T) {
	var last restoreAttempt
	for attempt := 1; attempt <= 3; attempt++ {
		last = attemptRestorePrediction(t)
		t.Logf("attempt %d: recorded %s; predicted %s for %d rows; measured %s for %d rows (%.0f%% off)", attempt, last.recorded,
			last.predicted.Round(time.Millisecond), last.predictedRows, last.measured, last.measuredRows, 100*last.off())
		if last.within() {
			break
		}
	}
	if last.measured <= time.Second {
		t.Errorf("the measured restore took %s: not over a second, too small to judge a prediction (raise TIGHTROPE_RESTORE_ROWS)", last.measured)
	}
	if !last.within() {
		t.Errorf("predicted restore %s, measured %s: more than 50%% off", last.predicted, last.measured)
	}
}

// restoreAttempt is one prediction and the restore it predicted.
type restoreAttempt struct {
	recorded                    string
	predicted, measured         time.Duration
	predictedRows, measuredRows int64
}

func (r restoreAttempt) off() float64 {
	return (r.predicted.Seconds() - r.measured.Seconds()) / r.measured.Seconds()
}

func (r restoreAttempt) within() bool { return r.off() <= 0.5 && r.off() >= -0.5 }

// attemptRestorePrediction records restores of N/2 and N rows on a new
// database, assesses the restore of 2N rows and measures it.
func attemptRestorePrediction(t *testing.T) restoreAttempt {
	t.Helper()
	n := restorePredictionRows()
	items := func(from, to int) string {
		return fmt.Sprintf("INSERT INTO items SELECT g, 'item ' || g, (g %% 100000) / 100.0, md5(g::text) FROM generate_series(%d, %d) g", from, to)
	}
	dsn, _ := liveServerDB(t, db.Postgres, dbtest.PostgresEnv,
		"CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL, price NUMERIC(12,2) NOT NULL, note TEXT)", items(1, n/2))
	dir := t.TempDir()
	rb := filepath.Join(dir, "restore.yaml")
	if err := os.WriteFile(rb, []byte(restorePredictionRunbook), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"RESTPRED_PG=" + dsn}
	runs := filepath.Join(dir, "runs")
	grow := func(from, to int) {
		d, err := dbtest.Open(t, db.Postgres, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		dbtest.MustExec(t, d, items(from, to))
	}
	first := restoreOf(t, env, rb, filepath.Join(runs, "first.journal"))
	grow(n/2+1, n)
	second := restoreOf(t, env, rb, filepath.Join(runs, "second.journal"))
	grow(n+1, 2*n)

	apath := filepath.Join(dir, "assess.journal")
	out, code := tightrope(t, env, "assess", rb, "--history", runs, "--journal", apath, "--as", "dana")
	if code != 0 {
		t.Fatalf("assess: exit %d:\n%s", code, out)
	}
	res := lastAssessment(t, apath)
	if len(res.Snapshots) != 1 || res.Snapshots[0].Restore <= 0 {
		t.Fatalf("no restore prediction:\n%s", out)
	}
	pred := res.Snapshots[0]
	if pred.Rows != int64(2*n) || pred.RestoreFrom != "second.journal" {
		t.Errorf("predicted for %d rows from %q, want %d rows from second.journal", pred.Rows, pred.RestoreFrom, 2*n)
	}
	third := restoreOf(t, env, rb, filepath.Join(dir, "third.journal"))
	if third.rows != int64(2*n) {
		t.Errorf("the measured restore restored %d rows, want %d", third.rows, 2*n)
	}
	return restoreAttempt{
		recorded:  fmt.Sprintf("%d rows in %dms, %d rows in %dms", first.rows, first.ms, second.rows, second.ms),
		predicted: pred.Restore, predictedRows: pred.Rows,
		measured: time.Duration(third.ms) * time.Millisecond, measuredRows: third.rows,
	}
}

type restoreMeasure struct {
	rows int64
	ms   int64
}

// restoreOf runs the runbook to its rollback and returns the journaled
// restore.
func restoreOf(t *testing.T, env []string, rb, journalPath string) restoreMeasure {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(journalPath), 0o755); err != nil {
		t.Fatal(err)
	}
	out, code := tightrope(t, env, "run", rb, "--plain", "--auto-decide", "rollback", "--as", "dana", "--journal", journalPath)
	if code != exitRolledBack {
		t.Fatalf("run: exit %d, want %d:\n%s", code, exitRolledBack, out)
	}
	evs, err := journal.ReadAll(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type != journal.RestoreFinished {
			continue
		}
		p, err := journal.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		rp := p.(journal.RestorePayload)
		if !rp.Verified {
			t.Fatalf("the restore was not verified:\n%s", out)
		}
		var m restoreMeasure
		for _, tb := range rp.Tables {
			m.rows += tb.Rows
		}
		m.ms = rp.DurationMS
		return m
	}
	t.Fatalf("no restore journaled:\n%s", out)
	return restoreMeasure{}
}
