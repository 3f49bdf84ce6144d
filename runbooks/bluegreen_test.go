package runbooks

import (
	"slices"
	"strings"
	"testing"
)

const bgConns = meta + "strategy: blue-green\nconnections:\n" +
	"  blue: { driver: postgres, dsn_env: BLUE_DSN, replication_dsn_env: BLUE_REPL }\n" +
	"  green: { driver: postgres, dsn_env: GREEN_DSN }\n" +
	"  file: { driver: sqlite, path: a.db }\n" +
	"  maria: { driver: mysql, dsn_env: MARIA_DSN }\n" +
	"objectives: { expected: 1h }\nrollback: [{ id: back, kind: shell, run: x }]\nsteps:\n"

// TestBlueGreenRunbook: a replicate step and a switch naming it load with
// their keys; the conninfo variable is the connection's.
func TestBlueGreenRunbook(t *testing.T) {
	rb, err := Parse("bg.yaml", []byte(bgConns+
		"  - { id: rep, kind: replicate, from: blue, to: green, tables: [items], copy: true }\n"+
		"  - { id: flip, kind: switch, from: blue, to: green, replication: rep, run: x, undo: y }\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := rb.StepByID("rep")
	flip, _ := rb.StepByID("flip")
	blue, _ := rb.Connection("blue")
	if !rep.CopyRows || rep.From != "blue" || rep.To != "green" || flip.Replication != "rep" || blue.ReplicationDSNEnv != "BLUE_REPL" {
		t.Fatalf("replicate %+v, switch %+v, blue %+v", rep, flip, blue)
	}
	if ws := Lint(rb); len(ws) != 0 {
		t.Fatalf("a blue-green runbook with its steps: warnings %v (a blue-green switch freezes from itself)", ws)
	}
}

// TestBlueGreenMariaDBRunbook: a replicate step between two mysql
// connections, each with its replication DSN, loads and lints clean.
func TestBlueGreenMariaDBRunbook(t *testing.T) {
	rb, err := Parse("bg.yaml", []byte(meta+"strategy: blue-green\nconnections:\n"+
		"  blue: { driver: mysql, dsn_env: BLUE_DSN, replication_dsn_env: BLUE_REPL }\n"+
		"  green: { driver: mysql, dsn_env: GREEN_DSN, replication_dsn_env: GREEN_REPL }\n"+
		"objectives: { expected: 1h }\nrollback: [{ id: back, kind: shell, run: x }]\nsteps:\n"+
		"  - { id: rep, kind: replicate, from: blue, to: green, tables: [items], copy: true }\n"+
		"  - { id: flip, kind: switch, from: blue, to: green, replication: rep, run: x, undo: y }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if green, _ := rb.Connection("green"); green.ReplicationDSNEnv != "GREEN_REPL" {
		t.Fatalf("green %+v", green)
	}
	if ws := Lint(rb); len(ws) != 0 {
		t.Fatalf("warnings %v", ws)
	}
}

// TestBlueGreenLintWithoutReplication: strategy blue-green with no switch
// naming a replicate step is warned about.
func TestBlueGreenLintWithoutReplication(t *testing.T) {
	rb, err := Parse("bg.yaml", []byte(bgConns+"  - { id: g, kind: gate, question: q }\n"))
	if err != nil {
		t.Fatal(err)
	}
	ws := Lint(rb)
	if len(ws) != 1 || !strings.Contains(ws[0].Msg, "strategy is blue-green but no switch step names a replicate step") {
		t.Fatalf("warnings %v", ws)
	}
}

// TestBlueGreenRefusals: replication must name an earlier replicate step
// between the same connections; replicate needs two postgres or two mysql
// connections (a mixed pair is pointed at cdc-start and a switch);
// replication_dsn_env is not for sqlite.
func TestBlueGreenRefusals(t *testing.T) {
	for _, c := range []struct{ steps, want string }{
		{"  - { id: flip, kind: switch, from: blue, to: green, replication: nope, run: x }\n", `no step has id "nope"`},
		{"  - { id: g, kind: gate, question: q }\n  - { id: flip, kind: switch, from: blue, to: green, replication: g, run: x }\n", `step "g" is a gate step, not a replicate step`},
		{"  - { id: flip, kind: switch, from: blue, to: green, replication: rep, run: x }\n  - { id: rep, kind: replicate, from: blue, to: green, tables: [t] }\n", "must come before the switch"},
		{"  - { id: rep, kind: replicate, from: blue, to: green, tables: [t] }\n  - { id: flip, kind: switch, from: green, to: blue, replication: rep, run: x }\n", "switches green → blue but replicate step \"rep\" replicates blue → green"},
		{"  - { id: rep, kind: replicate, from: blue, to: file, tables: [t] }\n", `connection "file" is sqlite; replicate runs native replication`},
		{"  - { id: rep, kind: replicate, from: blue, to: maria, tables: [t] }\n", "blue is postgres and maria is mysql: native replication needs one engine on both sides; for a mixed pair use strategy blue-green with a cdc-start step and a switch"},
	} {
		list := parseErrors(t, "bg.yaml", bgConns+c.steps)
		if !strings.Contains(list.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.steps, list, c.want)
		}
	}
	list := parseErrors(t, "bg.yaml", meta+"connections:\n  a: { driver: sqlite, path: a.db, replication_dsn_env: B }\nsteps: [{ id: g, kind: gate, question: q }]\n")
	if !strings.Contains(list.Error(), "replication_dsn_env is for postgres and mysql connections") {
		t.Errorf("replication_dsn_env on sqlite: %v", list)
	}
}

// TestBlueGreenLintNamesBothShapes: the warning for a blue-green runbook
// with neither shape says how to write each; a switch of a captured pair
// is the second shape and silences it (and needs no freeze step), while
// the same switch under strategy snapshot is a plain switch.
func TestBlueGreenLintNamesBothShapes(t *testing.T) {
	rb, err := Parse("bg.yaml", []byte(bgConns+"  - { id: g, kind: gate, question: q }\n"))
	if err != nil {
		t.Fatal(err)
	}
	ws := Lint(rb)
	if len(ws) != 1 || !strings.Contains(ws[0].Msg, "a replicate step and a switch with replication:") || !strings.Contains(ws[0].Msg, "cdc-start, copy, cdc-catchup and a switch of the same from/to") {
		t.Fatalf("warnings %v", ws)
	}
	steps := "  - { id: cap, kind: cdc-start, from: blue, to: green, tables: [t] }\n" +
		"  - { id: up, kind: cdc-catchup, from: blue, to: green }\n" +
		"  - { id: flip, kind: switch, from: blue, to: green, run: x, undo: y, tables: [t] }\n"
	rb, err = Parse("bg.yaml", []byte(bgConns+steps))
	if err != nil {
		t.Fatal(err)
	}
	if ws := Lint(rb); len(ws) != 0 {
		t.Fatalf("blue-green through capture: warnings %v", ws)
	}
	rb, err = Parse("bg.yaml", []byte(strings.Replace(bgConns, "strategy: blue-green", "strategy: snapshot", 1)+steps))
	if err != nil {
		t.Fatal(err)
	}
	flip, _ := rb.StepByID("flip")
	if rb.ReplicatesBack(flip) {
		t.Fatal("a strategy-snapshot switch replicates back")
	}
	if ws := Lint(rb); !slices.ContainsFunc(ws, func(w Warning) bool { return strings.Contains(w.Msg, `switch step "flip" has no freeze of blue`) }) {
		t.Fatalf("strategy snapshot: warnings %v", ws)
	}
}
