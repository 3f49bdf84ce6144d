package engine

import (
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
)

// TestPreflightReportsEverythingBeforeTheFirstStep: a run whose target
// cannot be reached and whose snapshot tool is missing says both before
// any step runs.
func TestPreflightReportsEverythingBeforeTheFirstStep(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no pg_dump, no sh: nothing may run
	t.Setenv("TIGHTROPE_NOWHERE_DSN", "")
	r := smallRun(t, `version: 1
name: Preflight
migration_id: MIG-PRE
decision_maker: alice
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: postgres, dsn_env: TIGHTROPE_NOWHERE_DSN }
steps:
  - { id: hello, kind: shell, run: "echo never" }
  - { id: snap, kind: snapshot, of: target }
`, "alice", journal.ChoiceContinue)
	outcome, err := r.c.Run(t.Context())
	if outcome != journal.OutcomeFailed || err == nil {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	if !strings.Contains(err.Error(), "pre-flight") || !strings.Contains(err.Error(), "TIGHTROPE_NOWHERE_DSN") {
		t.Errorf("err: %v", err)
	}
	if st := stepStatus(r.c.State(), "hello"); st != journal.StatusPending {
		t.Errorf("a step ran before the pre-flight passed: %s", st)
	}
}
