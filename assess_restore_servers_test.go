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
// of that measured restore, which takes more than a second. The machine is
// shared: when one measurement misses, the restore is measured once more
// and the faster of the two is the measurement (noise only ever adds time).
func TestAssessRestorePredictionWithinHalf(t *testing.T) {
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
	t.Logf("recorded restores: %d rows in %dms, %d rows in %dms", first.rows, first.ms, second.rows, second.ms)
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

	off := func(measured time.Duration) time.Duration { return pred.Restore - measured }
	within := func(measured time.Duration) bool { return off(measured) <= measured/2 && off(measured) >= -measured/2 }
	third := restoreOf(t, env, rb, filepath.Join(dir, "third.journal"))
	measured := time.Duration(third.ms) * time.Millisecond
	if !within(measured) {
		again := restoreOf(t, env, rb, filepath.Join(dir, "fourth.journal"))
		t.Logf("measured %s first, %dms again", measured, again.ms)
		measured = min(measured, time.Duration(again.ms)*time.Millisecond)
	}
	t.Logf("predicted %s for %d rows; measured %s for %d rows (%.0f%% off)", pred.Restore.Round(time.Millisecond), pred.Rows, measured, third.rows,
		100*off(measured).Seconds()/measured.Seconds())
	if third.rows != int64(2*n) {
		t.Errorf("the measured restore restored %d rows, want %d", third.rows, 2*n)
	}
	if measured <= time.Second {
		t.Errorf("the measured restore took %s: not over a second, too small to judge a prediction (raise TIGHTROPE_RESTORE_ROWS)", measured)
	}
	if !within(measured) {
		t.Errorf("predicted restore %s, measured %s: more than 50%% off", pred.Restore, measured)
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
