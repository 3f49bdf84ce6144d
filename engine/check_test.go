package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/engine/db"
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

// TestCheckRefusesWhatThisBuildCannotRun: a step kind without an action
// (in steps or rollback) and a strategy it does not carry out are errors
// placed like the loader's, in file order. Every kind runs in this build,
// so the test takes one action away, and one strategy, for its duration;
// cdc_lag is watched.
func TestCheckRefusesWhatThisBuildCannotRun(t *testing.T) {
	saved := stepActions[runbooks.KindSwitch]
	delete(stepActions, runbooks.KindSwitch)
	t.Cleanup(func() { stepActions[runbooks.KindSwitch] = saved })
	savedStrategies := strategies
	strategies = []string{"snapshot", "blue-green"}
	t.Cleanup(func() { strategies = savedStrategies })
	text := `version: 1
name: Change capture
migration_id: MIG-CDC
decision_maker: alice
strategy: cdc
connections:
  source: { driver: postgres, dsn_env: A }
  target: { driver: postgres, dsn_env: B }
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
	runs := "(it runs: " + strings.Join(RunnableKinds(), ", ") + ")"
	if strings.Contains(runs, "switch") || !strings.Contains(runs, "cdc-start, cdc-catchup") {
		t.Fatalf("runnable kinds %s", runs)
	}
	for i, want := range []string{
		"runbook.yaml:5:1: strategy cdc is not supported by this build (it carries out: snapshot, blue-green)",
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
// Check refuses (here: changes applied to SQLite, which this build cannot
// do) fails in pre-flight, before its first step.
func TestPreflightRefusesAKindThisBuildCannotRun(t *testing.T) {
	r := smallRun(t, controlsHeader+`steps:
  - { id: hello, kind: wait, duration: 1ms }
  - { id: cutover, kind: cdc-catchup }
`, "alice", journal.ChoiceContinue)
	outcome, err := r.c.Run(t.Context())
	if outcome != journal.OutcomeFailed || err == nil {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	if !strings.Contains(err.Error(), "pre-flight") || !strings.Contains(err.Error(), `step "cutover" applies changes to connection "target": cdc: this build cannot apply to sqlite`) {
		t.Errorf("err: %v", err)
	}
	if st := stepStatus(r.c.State(), "hello"); st != journal.StatusPending {
		t.Errorf("a step ran before the pre-flight passed: %s", st)
	}
}

// TestCheckRefusesStreamsThisBuildCannotRun: a cdc-start from, or a
// catch-up to, an engine with no change capture registered is an error
// naming the engines it has; PostgreSQL on both sides is not.
func TestCheckRefusesStreamsThisBuildCannotRun(t *testing.T) {
	text := `version: 1
name: Streams
migration_id: MIG-ST
decision_maker: alice
connections:
  pg: { driver: postgres, dsn_env: A }
  pg2: { driver: postgres, dsn_env: B }
  my: { driver: mysql, dsn_env: C }
  lite: { driver: sqlite, path: x.db }
steps:
  - { id: ok, kind: cdc-start, tables: [t], from: pg, to: pg2 }
  - { id: catch, kind: cdc-catchup, from: pg, to: pg2 }
  - { id: into-lite, kind: cdc-catchup, from: pg, to: lite }
`
	if cdc.CanCapture(db.MySQL) {
		text += "  - { id: into-nowhere, kind: cdc-catchup, from: my, to: lite }\n"
	} else {
		text += "  - { id: from-my, kind: cdc-start, tables: [t], from: my, to: pg }\n"
	}
	rb, err := runbooks.Parse("runbook.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var list runbooks.ErrorList
	if err := Check(rb); !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("Check: %v", err)
	}
	if got := list[0].Error(); !strings.Contains(got, `step "into-lite" applies changes to connection "lite": cdc: this build cannot apply to sqlite yet (it can: mysql, postgres)`) {
		t.Errorf("error 0: %s", got)
	}
	if got := list[1].Error(); !strings.Contains(got, "cannot") || !strings.Contains(got, "(it can: ") {
		t.Errorf("error 1: %s", got)
	}
}

// TestCheckRefusesAReverseThisBuildCannotRun: with strategy cdc a switch
// of a captured pair replicates the new side back, so Check refuses one
// whose new side this build cannot capture (SQLite) at the switch, beside
// the catch-up's own refusal; MariaDB → PostgreSQL passes.
func TestCheckRefusesAReverseThisBuildCannotRun(t *testing.T) {
	text := func(target string) string {
		return `version: 1
name: Reverse
migration_id: MIG-RV
decision_maker: alice
strategy: cdc
connections:
  source: { driver: mysql, dsn_env: A }
  target: ` + target + `
steps:
  - { id: capture, kind: cdc-start, tables: [t] }
  - { id: catch-up, kind: cdc-catchup }
  - { id: freeze, kind: freeze, on: source }
  - { id: flip, kind: switch, run: "true", tables: [t] }
`
	}
	rb, err := runbooks.Parse("runbook.yaml", []byte(text("{ driver: postgres, dsn_env: B }")))
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(rb); err != nil {
		t.Fatalf("MariaDB → PostgreSQL: %v", err)
	}
	rb, err = runbooks.Parse("runbook.yaml", []byte(text("{ driver: sqlite, path: b.db }")))
	if err != nil {
		t.Fatal(err)
	}
	err = Check(rb)
	if err == nil || !strings.Contains(err.Error(), `step "flip" switches source to target with strategy cdc, which replicates target (sqlite) back to source (mysql): this build cannot`) {
		t.Fatalf("Check: %v", err)
	}
}

// TestCheckBlueGreenThroughCapture: strategy blue-green with cdc-start,
// cdc-catchup and a switch of the same pair (no replication:) replicates
// back through tightrope's capture, so Check accepts it across engines
// both ways and refuses, at the switch's line and column, a new side this
// build cannot capture (SQLite); lint warns neither about the shape nor
// about a missing freeze (the switch freezes blue itself).
func TestCheckBlueGreenThroughCapture(t *testing.T) {
	text := func(blue, green string) string {
		return `version: 1
name: Blue-green across engines
migration_id: MIG-BGX
decision_maker: alice
strategy: blue-green
objectives: { expected: 1h }
connections:
  blue: ` + blue + `
  green: ` + green + `
rollback: [{ id: say, kind: shell, run: "true" }]
steps:
  - { id: capture, kind: cdc-start, from: blue, to: green, tables: [t] }
  - { id: bulk, kind: copy, from: blue, to: green, tables: [t] }
  - { id: catch-up, kind: cdc-catchup, from: blue, to: green }
  - { id: cutover, kind: switch, from: blue, to: green, run: "true", undo: "true", tables: [t] }
`
	}
	my, pg := "{ driver: mysql, dsn_env: A }", "{ driver: postgres, dsn_env: B }"
	for _, c := range [][2]string{{my, pg}, {pg, my}} {
		rb, err := runbooks.Parse("bg.yaml", []byte(text(c[0], c[1])))
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(rb); err != nil {
			t.Fatalf("%s → %s: %v", c[0], c[1], err)
		}
		if ws := runbooks.Lint(rb); len(ws) != 0 {
			t.Fatalf("%s → %s: lint %v", c[0], c[1], ws)
		}
		sw, _ := rb.StepByID("cutover")
		if !rb.ReplicatesBack(sw) || !rb.CaptureBlueGreen(sw) {
			t.Fatalf("%s → %s: the switch does not replicate back", c[0], c[1])
		}
	}
	rb, err := runbooks.Parse("bg.yaml", []byte(text(pg, "{ driver: sqlite, path: g.db }")))
	if err != nil {
		t.Fatal(err)
	}
	err = Check(rb)
	var list runbooks.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Check: %v", err)
	}
	var found bool
	for _, e := range list {
		if strings.Contains(e.Error(), "bg.yaml:15:5:") && strings.Contains(e.Error(), `step "cutover" switches blue to green with strategy blue-green, which replicates green (sqlite) back to blue (postgres): this build cannot`) {
			found = true
		}
	}
	if !found {
		t.Fatalf("Check: %v", err)
	}
}
