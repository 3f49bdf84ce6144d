package main

// A run that survives anything: a runbook with a shell step, a copy, a
// verify, a gate and another shell step is killed with SIGKILL at twenty
// random moments of its life and resumed each time. At the end every row
// is in the target or in the rejects exactly once, the journal chain
// verifies, and no shell step ran twice without a confirmation on record.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

func TestTwentyKillsAcrossARunsLife(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("TIGHTROPE_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (rerun with TIGHTROPE_KILL_SEED=%d)", seed, seed)
	kills := 20
	kc := killCase{name: "lifecycle", tables: []string{"items"}, rows: 80000, parallel: 2}
	if testing.Short() {
		kills, kc.rows = 6, 15000
	}
	srcDB, srcDSN := killSource(t, kc)
	dstDB, dstDSN := killTarget(t, kc)
	dir := t.TempDir()
	j := filepath.Join(dir, "run.journal")
	keepJournalOnFailure(t, j)
	env := []string{killSrcEnv + "=" + srcDSN, killDstEnv + "=" + dstDSN}
	runbook := filepath.Join(dir, "lifecycle.yaml")
	text := fmt.Sprintf(`version: 1
name: A run that survives anything
migration_id: MIG-LIFE
decision_maker: tester
connections:
  source: { driver: mysql, dsn_env: %s }
  target: { driver: postgres, dsn_env: %s }
triggers: { reject_rate: 5%%, step_failed: true }
steps:
  - { id: announce, kind: shell, run: "echo ran >> announce.runs; sleep 0.3" }
  - { id: copy, kind: copy, tables: [items], batch: 500, parallel: 2 }
  - { id: check, kind: verify, tables: [items] }
  - { id: go, kind: gate, question: Switch? }
  - { id: switch, kind: shell, run: "sleep 0.3; echo ran >> switch.runs" }
`, killSrcEnv, killDstEnv)
	if err := os.WriteFile(runbook, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(uint64(seed), 5))
	args := []string{"run", runbook, "--plain", "--auto-decide", "continue", "--as", "tester", "--journal", j}
	resume := []string{"resume", j, "--plain", "--auto-decide", "continue", "--as", "tester", "--on-rerun", "rerun"}
	killed, finished := 0, false
	where := map[string]int{}
	for _, k := range lifePlan(rng, kills) {
		out, code, wasKilled := runAndKillAt(t, env, args, k.marker, k.delay)
		args = resume
		switch {
		case wasKilled:
			killed++
			where[lastStep(out)]++
			continue
		case code == 0, strings.Contains(out, "already ended (finished)"):
			finished = true
		default:
			t.Fatalf("exit %d after %d kills:\n%s", code, killed, out)
		}
		break
	}
	if !finished {
		if out, code := tightrope(t, env, resume...); code != 0 && !strings.Contains(out, "already ended (finished)") {
			t.Fatalf("the last resume exited %d:\n%s", code, out)
		}
	}
	if killed < kills-2 {
		t.Errorf("only %d of %d kills landed", killed, kills)
	}
	t.Logf("%d kills, by the step running when it landed: %v", killed, where)
	if killed < kills/2 {
		t.Errorf("only %d of %d kills landed: the run is too short to be killed across its life", killed, kills)
	}

	checkEveryRowOnce(t, env, j, srcDB, dstDB, kc)
	if out, code := tightrope(t, nil, "journal", "verify", j); code != 0 {
		t.Errorf("journal verify exit %d: %s", code, out)
	}
	events, err := journal.ReadAll(j)
	if err != nil {
		t.Fatal(err)
	}
	state := journal.Fold(events)
	if state.Outcome != journal.OutcomeFinished {
		t.Errorf("outcome %q", state.Outcome)
	}
	for _, step := range []string{"announce", "switch"} {
		b, _ := os.ReadFile(filepath.Join(dir, step+".runs"))
		runs := strings.Count(string(b), "ran")
		confirmed := 0
		for _, d := range state.Decisions {
			if d.StepID == step && d.Kind == "rerun" && d.Choice == journal.ChoiceRerun {
				confirmed++
			}
		}
		if runs < 1 || runs > 1+confirmed {
			t.Errorf("step %s ran %d times with %d reruns confirmed", step, runs, confirmed)
		}
		t.Logf("step %s ran %d times, %d reruns confirmed", step, runs, confirmed)
	}
}

// lastStep names the step the plain output shows running last.
func lastStep(out string) string {
	step := "start"
	for _, line := range strings.Split(out, "\n") {
		if i := strings.Index(line, ": step started"); i > 0 {
			if f := strings.Fields(line[:i]); len(f) > 0 {
				step = f[len(f)-1]
			}
		}
	}
	return step
}

// lifeKill is a kill planned at a moment of the run: delay after the
// plain output shows marker.
type lifeKill struct {
	marker string
	delay  time.Duration
}

// lifePlan spreads the kills over the life of the run, in order: during
// the first shell step (which then has to be confirmed to run again),
// through the copy, during the verify, and during the last shell step.
func lifePlan(rng *rand.Rand, kills int) []lifeKill {
	var plan []lifeKill
	n := func(share float64) int { return max(1, int(share*float64(kills))) }
	for range n(0.15) {
		plan = append(plan, lifeKill{"announce: step started", time.Duration(rng.IntN(280)) * time.Millisecond})
	}
	for range kills - n(0.15) - n(0.1) - n(0.15) {
		plan = append(plan, lifeKill{"copy: step started", time.Duration(10+rng.IntN(50)) * time.Millisecond})
	}
	for range n(0.1) {
		plan = append(plan, lifeKill{"check: step started", time.Duration(rng.IntN(40)) * time.Millisecond})
	}
	for range n(0.15) {
		plan = append(plan, lifeKill{"switch: step started", time.Duration(rng.IntN(280)) * time.Millisecond})
	}
	return plan
}

// runAndKillAt starts the binary and SIGKILLs it delay after its output
// shows marker (the kill does not land if the process ends first).
func runAndKillAt(t *testing.T, env, args []string, marker string, delay time.Duration) (string, int, bool) {
	t.Helper()
	return runAndKill(t, env, args, func(out string) bool { return strings.Contains(out, marker) }, delay)
}
