package runbooks

import (
	"fmt"
	"strings"
	"testing"
)

func TestLintCleanRunbooks(t *testing.T) {
	for _, path := range []string{"testdata/shop.yaml", "testdata/block.yaml"} {
		rb, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if ws := Lint(rb); len(ws) != 0 {
			t.Errorf("%s: unexpected warnings: %v", path, ws)
		}
	}
}

func TestLint(t *testing.T) {
	text := top + // no objectives: warning at line 1
		"strategy: cdc\n" + // line 8
		"steps:\n" + // line 9
		"  - { id: c, kind: copy, tables: all }\n" + // line 10
		"  - { id: s, kind: snapshot }\n" + // line 11
		"  - { id: r, kind: restore, snapshot: s }\n" // line 12
	rb, err := Parse("lint.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1:1: objectives has no expected duration",
		"8:1: strategy is cdc but no cdc-start step",
		"9:1: no rollback steps",
		"9:1: no gate step",
		`12:5: restore step "r" is in steps, not rollback`,
	}
	got := Lint(rb)
	if len(got) != len(want) {
		t.Fatalf("got %d warnings, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if s := fmt.Sprintf("%d:%d: %s", g.Line, g.Col, g.Msg); !strings.HasPrefix(s, w) {
			t.Errorf("warning %d: got %s, want %s...", i, s, w)
		}
	}
	if s := got[4].String(); s != "lint.yaml:12:5: warning: restore step \"r\" is in steps, not rollback: it runs on every cutover\n"+
		"  12 |   - { id: r, kind: restore, snapshot: s }\n"+
		"     |     ^" {
		t.Errorf("String() = %q", s)
	}
}

func TestLintSnapshotBeforeCopy(t *testing.T) {
	text := hdr + gate + // line 9
		"  - { id: c, kind: copy, tables: all }\n" + // line 10
		"  - { id: d, kind: copy, tables: all }\n" + // line 11, not warned again
		"rollback: [{ id: back, kind: shell, run: x }]\nobjectives: { expected: 1h }\n"
	rb, err := Parse("t.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	got := Lint(rb)
	if len(got) != 1 || got[0].Line != 10 || !strings.Contains(got[0].Msg, `no snapshot step runs before copy step "c"`) {
		t.Errorf("got %v", got)
	}
}

func TestLintHandBuilt(t *testing.T) {
	rb := &Runbook{Strategy: "snapshot", Steps: []Step{{ID: "x", Kind: KindShell}}}
	ws := Lint(rb)
	if len(ws) != 3 { // no rollback, no expected, no gate
		t.Errorf("got %d warnings, want 3: %v", len(ws), ws)
	}
	for _, w := range ws {
		if w.Line != 1 || w.Col != 1 || w.Source != "" {
			t.Errorf("hand-built runbook warning at %d:%d with source %q", w.Line, w.Col, w.Source)
		}
	}
}

// TestLintSwitchWithoutFreeze: a switch whose old side no freeze step
// stops before it (or an unfreeze gave back) is warned of; one after a
// freeze is not, and counts as the go / no-go.
func TestLintSwitchWithoutFreeze(t *testing.T) {
	for _, c := range []struct {
		steps string
		warn  bool
	}{
		{"  - { id: sw, kind: switch, run: ./flip.sh }\n", true},
		{"  - { id: f, kind: freeze, on: source }\n  - { id: sw, kind: switch, run: ./flip.sh }\n", false},
		{"  - { id: f, kind: freeze, on: source }\n  - { id: u, kind: unfreeze, on: source }\n  - { id: sw, kind: switch, run: ./flip.sh }\n", true},
		{"  - { id: f, kind: freeze, on: target }\n  - { id: sw, kind: switch, run: ./flip.sh }\n", true},
	} {
		text := strings.Replace(top, "driver: sqlite, path: a.db", "driver: postgres, dsn_env: A_DSN", 1)
		text = strings.Replace(text, "driver: sqlite, path: b.db", "driver: postgres, dsn_env: B_DSN", 1)
		rb, err := Parse("lint.yaml", []byte(text+"steps:\n"+c.steps))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, w := range Lint(rb) {
			if strings.Contains(w.Msg, "no gate step") {
				t.Errorf("%q: a switch asks go / no-go, yet lint says %s", c.steps, w.Msg)
			}
			if strings.Contains(w.Msg, "has no freeze of source") {
				got = append(got, w.Msg)
			}
		}
		if (len(got) > 0) != c.warn {
			t.Errorf("%q: warnings %v, want a freeze warning: %v", c.steps, got, c.warn)
		}
	}
}
