package runbooks

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// meta is lines 1-4 of every test runbook; top adds two connections
// (lines 5-7) and hdr opens the steps (line 8), so the first step is line 9.
const (
	meta = "version: 1\nname: t\nmigration_id: M-1\ndecision_maker: alice\n"
	top  = meta + "connections:\n  source: { driver: sqlite, path: a.db }\n  target: { driver: sqlite, path: b.db }\n"
	hdr  = top + "steps:\n"
	gate = "  - { id: a, kind: gate, question: q }\n"
)

// parseErrors parses text that must fail and returns its ErrorList.
func parseErrors(t *testing.T, name, text string) ErrorList {
	t.Helper()
	rb, err := Parse(name, []byte(text))
	if err == nil {
		t.Fatalf("Parse succeeded, want errors; got %+v", rb)
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, want ErrorList: %v", err, err)
	}
	if rb != nil {
		t.Errorf("Parse returned a runbook with its errors")
	}
	return list
}

func TestParseErrors(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(hdr+gate, old, new, 1) }
	cases := []struct {
		name string
		text string
		want []string // "line:col: part of the message", in position order
	}{
		// YAML itself
		{"syntax error", "version: 1\nname: [t\n", []string{"2:7: YAML syntax error: sequence end token ']' not found"}},
		{"tab indentation", "version: 1\n\tname: x\n", []string{`2:1: YAML syntax error: found character '\t'`}},
		{"empty file", "", []string{"1:1: empty runbook"}},
		{"only a comment", "# nothing yet\n", []string{"1:1: empty runbook"}},
		{"not a mapping", "- a\n", []string{"1:1: the runbook must be a mapping, got a list"}},
		{"two documents", hdr + gate + "---\nversion: 1\n", []string{"11:1: a runbook is one YAML document"}},
		{"duplicate key", hdr + gate + "name: u\n", []string{`10:1: duplicate key "name" in the runbook (first at line 2)`}},
		{"alias", hdr + "  - &g { id: g, kind: gate, question: q }\n  - *g\n", []string{"10:5: aliases are not supported"}},

		// top level
		{"unknown top-level key", hdr + gate + "colour: red\n", []string{`10:1: unknown key "colour" in the runbook (allowed: version, name,`}},
		{"version 2", replace("version: 1", "version: 2"), []string{"1:10: unsupported version 2"}},
		{"version not a number", replace("version: 1", "version: one"), []string{`1:10: version must be a whole number, got the string "one"`}},
		{"missing version", replace("version: 1\n", ""), []string{"1:1: missing version"}},
		{"missing names", replace("name: t\nmigration_id: M-1\ndecision_maker: alice\n", ""),
			[]string{"1:1: missing name", "1:1: missing migration_id", "1:1: missing decision_maker"}},
		{"empty name", replace("name: t", `name: ""`), []string{"2:7: name must not be empty"}},
		{"list for a string", replace("alice", "[alice, bob]"), []string{"4:17: decision_maker must be a string, got a list"}},
		{"string for a list", top + "steps: freeze\n", []string{`8:8: steps must be a list, got the string "freeze"`}},
		{"no steps", top + "steps: []\n", []string{"8:8: steps is empty"}},
		{"missing steps", top, []string{"1:1: missing steps"}},
		{"notify not a list", top + "notify: ./n.sh\nsteps:\n" + gate, []string{"8:9: notify must be a list"}},
		{"objectives", top + "objectives: { rto: 30 min, expectd: 45m }\nsteps:\n" + gate, []string{
			`8:20: rto: invalid duration "30 min"`,
			`8:28: unknown key "expectd" in objectives; did you mean "expected"? (allowed: rto, rpo, expected, window, stall_timeout)`}},
		{"strategy", top + "strategy: big-bang\nsteps:\n" + gate, []string{"8:11: strategy must be one of snapshot | cdc | blue-green"}},

		// connections
		{"secret in a connection", replace("  source: { driver: sqlite, path: a.db }", `  source: { driver: mysql, dsn: "root:pw@tcp(db)/shop" }`), []string{
			`6:3: connection "source": a mysql connection needs dsn_env`,
			`6:28: "dsn" in connection "source": secrets never live in a runbook`}},
		{"path on postgres", replace("  target: { driver: sqlite, path: b.db }", "  target: { driver: postgres, path: x.db, dsn_env: PG_DSN }"),
			[]string{`7:37: connection "target": path is only for sqlite`}},
		{"unknown driver", replace("  target: { driver: sqlite, path: b.db }", "  target: { driver: oracle, dsn_env: PG_DSN }"),
			[]string{"7:21: driver must be one of sqlite | postgres | mysql"}},
		{"DSN in dsn_env", replace("  target: { driver: sqlite, path: b.db }", `  target: { driver: postgres, dsn_env: "postgres://u:p@h/db" }`),
			[]string{"7:40: dsn_env must name an environment variable"}},
		{"sqlite without path", replace("  target: { driver: sqlite, path: b.db }", "  target: { driver: sqlite }"),
			[]string{`7:3: connection "target": a sqlite connection needs path`}},

		// triggers and notify
		{"triggers", top + "triggers:\n  reject_rate: 0.1\n  overrun: -5%\n  verify_mismatch: many\n  cdc_lag: 30\n  step_failed: yes\n  lag: 1s\nsteps:\n" + gate, []string{
			"9:16: reject_rate must be a percentage like 0.1% or 150%, got 0.1",
			`10:12: overrun must be a percentage like 0.1% or 150%, got the string "-5%"`,
			`11:20: verify_mismatch must be a whole number, got the string "many"`,
			`12:12: cdc_lag: invalid duration "30"`,
			`13:16: step_failed must be true or false, got the string "yes"`,
			`14:3: unknown key "lag" in triggers (allowed: reject_rate, overrun, verify_mismatch, cdc_lag, step_failed, assessment, cdc_position_lost, cdc_schema_change)`}},
		{"notify entries", top + `notify: [{ on: [trigger], exec: ./n.sh, url: "https://x" }, { on: [trigger] }, { exec: x, when: always }]` + "\nsteps:\n" + gate, []string{
			"8:46: notify entry has both exec and url",
			"8:61: notify entry needs exec (a command) or url (a webhook)",
			"8:80: notify entry needs on",
			`8:91: unknown key "when" in notify entry`}},

		// steps: common fields
		{"steps entry not a mapping", hdr + "  - freeze\n", []string{`9:5: step must be a mapping, got the string "freeze"`}},
		{"unknown step key", hdr + "  - { id: a, kind: gate, question: q, colour: red }\n", []string{`9:39: unknown key "colour" in step "a"`}},
		{"typo in step key", hdr + "  - { id: c, kind: copy, tables: [t], bach: 10 }\n", []string{`9:39: unknown key "bach" in step "c"; did you mean "batch"?`}},
		{"field of another kind", hdr + "  - { id: a, kind: gate, question: q, run: x }\n", []string{`9:39: "run" does not belong to a gate step (allowed: id, kind,`}},
		{"secret in a step", hdr + "  - { id: a, kind: gate, question: q, password: x }\n", []string{`9:39: "password" in step "a": secrets never live in a runbook`}},
		{"duplicate step key", hdr + "  - { id: a, kind: gate, question: q, title: t, title: u }\n", []string{`9:49: duplicate key "title" in step (first at line 9)`}},
		{"bad id", hdr + "  - { id: A_1, kind: gate, question: q }\n", []string{`9:11: step id "A_1" must match [a-z0-9][a-z0-9_-]*`}},
		{"missing id", hdr + "  - { kind: gate, question: q }\n", []string{"9:5: step has no id"}},
		{"missing kind", hdr + "  - { id: a }\n", []string{`9:5: step "a" has no kind`}},
		{"unknown kind", hdr + "  - { id: a, kind: teleport }\n", []string{`9:20: kind must be one of manual | gate | shell`}},
		{"bad expected", hdr + "  - { id: a, kind: shell, run: x, expected: 5 minutes }\n", []string{`9:45: expected: invalid duration "5 minutes"`}},
		{"duration without unit", hdr + "  - { id: go, kind: shell, run: x, expected: 90 }\n", []string{`9:46: expected: invalid duration "90"`}},
		{"bad on_failure", hdr + "  - { id: a, kind: shell, run: x, on_failure: retry }\n", []string{"9:47: on_failure must be one of stop | rollback | continue"}},
		{"bad idempotent", hdr + "  - { id: a, kind: shell, run: x, idempotent: \"yes\" }\n", []string{"9:47: idempotent must be true or false"}},
		{"duplicate id across rollback", hdr + gate + "rollback:\n  - { id: a, kind: shell, run: x }\n",
			[]string{`11:11: duplicate step id "a" (first defined at line 9)`}},

		// steps: kinds
		{"gate without question", hdr + "  - { id: a, kind: gate }\n", []string{`9:5: step "a" needs question`}},
		{"sql without on", hdr + "  - { id: a, kind: sql, run: x }\n", []string{`9:5: step "a" needs on`}},
		{"sql on unknown connection", hdr + "  - { id: a, kind: sql, run: x, on: replica }\n",
			[]string{`9:37: sql step "a": no connection named "replica" (connections: source, target)`}},
		{"tables neither list nor all", hdr + "  - { id: a, kind: copy, tables: some }\n", []string{`9:34: tables must be a list of table names or the word all`}},
		{"batch and parallel", hdr + "  - { id: a, kind: copy, tables: [t], batch: 0, parallel: two }\n", []string{
			"9:46: batch must be a whole number from 1", `9:59: parallel must be a whole number, got the string "two"`}},
		{"copy from unknown connection", hdr + "  - { id: a, kind: copy, tables: [t], from: legacy }\n", []string{`9:45: copy step "a": no connection named "legacy"`}},
		{"default connections missing", meta + "steps:\n  - { id: c, kind: copy, tables: [t] }\n", []string{
			`6:5: copy step "c" uses connection "source" by default, but there is no connection "source" (no connections are declared); add it or set from`,
			`6:5: copy step "c" uses connection "target" by default`}},
		{"from equals to", hdr + "  - { id: a, kind: verify, tables: all, from: target }\n", []string{`9:47: step "a": from and to both name connection "target"`}},
		{"bad casts", hdr + "  - { id: a, kind: copy, tables: [t], casts: [{ column: status, map: { x: [1] } }] }\n", []string{
			`9:57: cast column must be table.column, got "status"`, "9:75: cast map values must be strings or null, got a list"}},
		{"cast without map", hdr + "  - { id: a, kind: copy, tables: [t], casts: [{ column: t.c, to: x }] }\n", []string{
			"9:47: cast needs map", `9:62: unknown key "to" in cast (allowed: column, map)`}},
		{"wait without duration", hdr + "  - { id: a, kind: wait }\n", []string{`9:5: step "a" needs duration`}},
		{"checklist not a list", hdr + "  - { id: a, kind: manual, checklist: Banner is up }\n", []string{"9:39: checklist must be a list"}},
		{"restore of a non-snapshot", hdr + gate + "rollback:\n  - { id: r, kind: restore, snapshot: a }\n",
			[]string{`11:39: restore step "r": step "a" is a gate step, not a snapshot`}},
		{"cdc of a sqlite source", hdr + "  - { id: cs, kind: cdc-start, tables: [t] }\n",
			[]string{`9:5: cdc-start step "cs" captures changes of connection "source", a SQLite database: SQLite keeps no change log to capture; use strategy snapshot`}},
		{"cdc-catchup lag", hdr + "  - { id: cc, kind: cdc-catchup, lag: 0s, timeout: soon }\n",
			[]string{"9:39: lag must be longer than zero", `9:52: timeout: invalid duration "soon"`}},
		{"cdc_position_lost off", top + "triggers: { cdc_position_lost: false }\nsteps:\n" + gate,
			[]string{"8:32: cdc_position_lost is always watched and cannot be turned off"}},
		{"restore of nothing", hdr + gate + "rollback:\n  - { id: r, kind: restore, snapshot: ghost }\n",
			[]string{`11:39: restore step "r": no step has id "ghost"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list := parseErrors(t, "t.yaml", c.text)
			if len(list) != len(c.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(list), len(c.want), list)
			}
			for i, w := range c.want {
				got := fmt.Sprintf("%d:%d: %s", list[i].Line, list[i].Col, list[i].Msg)
				if !strings.HasPrefix(got, w) {
					t.Errorf("error %d:\n got %s\nwant %s...", i, got, w)
				}
				if list[i].File != "t.yaml" {
					t.Errorf("error %d: File = %q", i, list[i].File)
				}
			}
		})
	}
}

// TestAcceptance: an unknown key, a duplicate step id and a bad duration
// in one runbook are all reported, in order, compiler style.
func TestAcceptance(t *testing.T) {
	text := hdr +
		"  - { id: freeze, kind: manual, colour: red }\n" + // line 9
		"  - { id: wait, kind: wait, duration: 5 mins }\n" + // line 10
		"  - { id: freeze, kind: gate, question: Go? }\n" // line 11
	list := parseErrors(t, "cutover.yaml", text)
	want := `cutover.yaml:9:33: unknown key "colour" in step "freeze" (allowed: id, kind, title, owner, expected, on_failure, idempotent, instructions, checklist)
   9 |   - { id: freeze, kind: manual, colour: red }
     |                                 ^^^^^^
cutover.yaml:10:39: duration: invalid duration "5 mins" (write Go durations like 45s, 30m, 1h30m)
  10 |   - { id: wait, kind: wait, duration: 5 mins }
     |                                       ^^^^^^
cutover.yaml:11:11: duplicate step id "freeze" (first defined at line 9)
  11 |   - { id: freeze, kind: gate, question: Go? }
     |           ^^^^^^`
	if got := list.Error(); got != want {
		t.Errorf("ErrorList.Error():\n%s\nwant:\n%s", got, want)
	}
	if got := list[1].Error(); got != `cutover.yaml:10:39: duration: invalid duration "5 mins" (write Go durations like 45s, 30m, 1h30m)` {
		t.Errorf("Error.Error() = %q", got)
	}
}

func TestSnippet(t *testing.T) {
	cases := []struct {
		name             string
		line, col, width int
		source, want     string
	}{
		{"caret under column", 3, 4, 2, "a: bb", "   3 | a: bb\n     |    ^^"},
		{"width clamped to line", 12, 4, 10, "ab: c", "  12 | ab: c\n     |    ^^"},
		{"tabs kept", 1, 3, 1, "\t\tx", "   1 | \t\tx\n     | \t\t^"},
		{"wide runes count once", 1, 4, 1, "é: x", "   1 | é: x\n     |    ^"},
		{"column past end", 1, 9, 1, "ab", "   1 | ab\n     |   ^"},
		{"long line numbers", 12345, 1, 1, "x", "12345 | x\n      | ^"},
		{"no source", 1, 1, 1, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := snippet(c.line, c.col, c.width, c.source); got != c.want {
				t.Errorf("got\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}

func TestErrorListErr(t *testing.T) {
	if err := (ErrorList{}).Err(); err != nil {
		t.Errorf("empty list Err() = %v", err)
	}
	l := ErrorList{{File: "f", Line: 1, Col: 2, Msg: "m"}}
	if err := l.Err(); err == nil || err.Error() != "f:1:2: m" {
		t.Errorf("Err() = %v", err)
	}
}
