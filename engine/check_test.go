package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
	"github.com/tightrope/tightrope/runbooks/examples"
)

// TestEveryActionIsARunbookKind: an action registered for a kind the
// runbooks registry does not know could never be reached.
func TestEveryActionIsARunbookKind(t *testing.T) {
	for kind := range stepActions {
		if !slices.Contains(runbooks.Kinds(), kind) {
			t.Errorf("action for %q, which runbooks does not know", kind)
		}
	}
	if len(RunnableKinds()) != len(stepActions) {
		t.Errorf("RunnableKinds %v", RunnableKinds())
	}
}

// TestCheckRefusesWhatThisBuildCannotRun: an unrunnable step kind (in
// steps or rollback) and a strategy it does not carry out are errors
// placed like the loader's, in file order; cdc_lag is watched now.
func TestCheckRefusesWhatThisBuildCannotRun(t *testing.T) {
	text := `version: 1
name: Blue-green
migration_id: MIG-BG
decision_maker: alice
strategy: blue-green
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
triggers:
  overrun: 150%
  cdc_lag: 30s
steps:
  - { id: go, kind: gate, question: Go? }
  - id: cutover
    kind: switch
    run: ./flip.sh
rollback:
  - { id: back, kind: switch, run: ./flop.sh }
`
	rb, err := runbooks.Parse("runbook.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	err = Check(rb)
	var list runbooks.ErrorList
	if !errors.As(err, &list) || len(list) != 3 {
		t.Fatalf("Check: %v", err)
	}
	runs := "(it runs: manual, gate, shell, sql, copy, verify, snapshot, restore, cdc-start, cdc-catchup, wait, assess)"
	for i, want := range []string{
		"runbook.yaml:5:1: strategy blue-green is not supported by this build (it carries out: snapshot)",
		`runbook.yaml:14:5: step "cutover" is a switch step, which this build cannot run ` + runs,
		`runbook.yaml:18:5: step "back" is a switch step, which this build cannot run ` + runs,
	} {
		if got := list[i].Error(); got != want {
			t.Errorf("error %d:\n got %s\nwant %s", i, got, want)
		}
	}
	if s := list[1].Snippet(); !strings.Contains(s, "  14 |   - id: cutover\n     |     ^") {
		t.Errorf("snippet:\n%s", s)
	}
}

// TestCheckAcceptsTheExamples: the runbooks shipped with tightrope run.
func TestCheckAcceptsTheExamples(t *testing.T) {
	for name, text := range map[string][]byte{"demo.yaml": examples.Demo} {
		rb, err := runbooks.Parse(name, text)
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(rb); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestPreflightRefusesAKindThisBuildCannotRun: a conductor given a runbook
// Check refuses fails in pre-flight, before its first step.
func TestPreflightRefusesAKindThisBuildCannotRun(t *testing.T) {
	r := smallRun(t, controlsHeader+`steps:
  - { id: hello, kind: wait, duration: 1ms }
  - { id: cutover, kind: switch, run: "echo never" }
`, "alice", journal.ChoiceContinue)
	outcome, err := r.c.Run(t.Context())
	if outcome != journal.OutcomeFailed || err == nil {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	if !strings.Contains(err.Error(), "pre-flight") || !strings.Contains(err.Error(), `step "cutover" is a switch step`) {
		t.Errorf("err: %v", err)
	}
	if st := stepStatus(r.c.State(), "hello"); st != journal.StatusPending {
		t.Errorf("a step ran before the pre-flight passed: %s", st)
	}
}
