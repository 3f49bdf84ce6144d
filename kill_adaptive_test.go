package main

// SIGKILL with the engine's own batch sizes: a runbook that names neither
// batch nor parallel, killed at random points and right after a batch was
// resized (the resize journaled, the batches of the old size still in the
// pipeline), resumed each time — and each resumed process goes on with the
// batch size in force when the last one was killed (the journal's last
// copy_tuned). At the end every source row is in the target or in the
// rejects, exactly once.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// resizeLine is how the plain output shows a batch resize (tui/tuning.go).
var resizeLine = []string{" grew to ", " shrank to ", " memory to "}

func resizes(out string) int {
	n := 0
	for _, s := range resizeLine {
		n += strings.Count(out, s)
	}
	return n
}

func TestKillAndResumeWithAdaptiveBatches(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	kills := 6
	kc := killCase{name: "adaptive", tables: []string{"items"}, rows: 60000}
	if testing.Short() {
		kills, kc.rows = 4, 30000
	}
	srcDB, srcDSN := killSource(t, kc)
	dstDB, dstDSN := killTarget(t, kc)
	dir := t.TempDir()
	j := filepath.Join(dir, "run.journal")
	keepJournalOnFailure(t, j)
	env := []string{killSrcEnv + "=" + srcDSN, killDstEnv + "=" + dstDSN}
	runbook := filepath.Join(dir, "adaptive.yaml")
	text := fmt.Sprintf(`version: 1
name: Kill with adaptive batches
migration_id: MIG-KILL-ADAPTIVE
decision_maker: tester
connections:
  source: { driver: mysql, dsn_env: %s }
  target: { driver: postgres, dsn_env: %s }
triggers: { reject_rate: 5%% }
steps:
  - { id: copy, kind: copy, tables: [items] }
  - { id: check, kind: verify, tables: [items] }
`, killSrcEnv, killDstEnv)
	if err := os.WriteFile(runbook, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	args := []string{"run", runbook, "--plain", "--auto-decide", "continue", "--as", "tester", "--journal", j}
	killed, atResize, seen := 0, 0, 0
	for i := range kills {
		// Kills wait for a resize until one landed there, then every other
		// one does; the rest (and those whose process makes no resize) wait
		// for a random share of the rows left.
		byResize := atResize == 0 || i%2 == 0
		base := targetRows(t, dstDB, kc)
		fraction := 0.1 + 0.5*rng.Float64()
		delay := time.Duration(rng.IntN(30)) * time.Millisecond
		until := func(out string) bool {
			if !strings.Contains(out, "started (copy)") && !strings.Contains(out, "run resumed") {
				return false
			}
			if byResize && resizes(out) > 0 {
				return true
			}
			return targetRows(t, dstDB, kc) >= base+int(fraction*float64(kc.rows-base))
		}
		out, code, wasKilled := runAndKill(t, env, args, until, delay)
		seen += resizes(out)
		if !wasKilled {
			if code != 0 {
				t.Fatalf("exit %d before it was killed:\n%s", code, out)
			}
			t.Logf("the run finished before kill %d", killed+1)
			break
		}
		killed++
		if byResize && resizes(out) > 0 {
			atResize++
		}
		t.Logf("kill %d (%s): %d resizes in this process, %d rows in the target", killed,
			map[bool]string{true: "after a resize", false: fmt.Sprintf("%.0f%% of the rest", 100*fraction)}[byResize && resizes(out) > 0],
			resizes(out), targetRows(t, dstDB, kc))
		args = []string{"resume", j, "--plain", "--auto-decide", "continue", "--as", "tester"}
	}
	out, code := tightrope(t, env, args...)
	seen += resizes(out)
	switch {
	case code != 0 && strings.Contains(out, "already ended (finished)"):
	case code != 0:
		t.Fatalf("the last resume exited %d:\n%s", code, out)
	default:
		for table, c := range tableCounts(t, out) {
			if c[0] != kc.rows {
				t.Errorf("%s: the summary says %d read, the source has %d", table, c[0], kc.rows)
			}
		}
	}
	checkEveryRowOnce(t, env, j, srcDB, dstDB, kc)
	if out, code := tightrope(t, nil, "journal", "verify", j); code != 0 {
		t.Errorf("journal verify exit %d: %s", code, out)
	}
	resumed := checkResumedSizes(t, j, "items")
	if killed > 0 && resumed == 0 {
		t.Errorf("%d kills and no resumed process went on with the batch size in force", killed)
	}
	if seen == 0 || atResize == 0 {
		t.Errorf("%d resizes, %d kills right after one: the test did not exercise adaptive batches", seen, atResize)
	}
	t.Logf("%d kills, %d of them right after a resize; %d resizes seen; %d resumed sizes", killed, atResize, seen, resumed)
}

// checkResumedSizes checks that every copy_tuned of table a restarted
// process began with (reason resumed) has the batch size and row width of
// the journal's copy_tuned before it — the size in force when the last
// process was killed, resize or not — and that none follows a run_resumed
// without one before it; it returns how many there were.
func checkResumedSizes(t *testing.T, path, table string) int {
	t.Helper()
	events, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	var last *journal.CopyTunedPayload
	n := 0
	for _, e := range events {
		if e.Type != journal.CopyTuned {
			continue
		}
		var p journal.CopyTunedPayload
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.Table != table {
			continue
		}
		switch {
		case p.Reason == journal.TuneResumed && last == nil:
			t.Errorf("seq %d: resumed a size with none in force before", e.Seq)
		case p.Reason == journal.TuneResumed:
			n++
			if p.Batch != last.Batch || p.RowBytes != last.RowBytes || !p.AutoBatch {
				t.Errorf("seq %d: resumed with batch %d (~%d bytes a row), in force before: %d (~%d)", e.Seq, p.Batch, p.RowBytes, last.Batch, last.RowBytes)
			}
		case p.Reason == journal.TuneChosen && last != nil:
			t.Errorf("seq %d: a restarted copy chose its size afresh (%d rows), the journal had %d in force", e.Seq, p.Batch, last.Batch)
		}
		last = &p
	}
	return n
}
