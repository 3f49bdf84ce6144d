package runbooks

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDeepNestingRefusedFast: 100,000 nested '[' (and '{', and block
// levels) are refused with a position, before the parser sees them, in well
// under a second.
func TestDeepNestingRefusedFast(t *testing.T) {
	head := "version: 1\nname: n\nmigration_id: m\ndecision_maker: d\nsteps: "
	cases := map[string]string{
		"flow [":   head + strings.Repeat("[", 100_000) + "\n",
		"flow {":   head + strings.Repeat("{a: ", 100_000) + "\n",
		"mixed":    head + strings.Repeat("[{a: ", 50_000) + "\n",
		"block -":  head + "\n" + strings.Repeat("- ", 100_000) + "x\n",
		"indented": head + "\n" + deepBlock(200),
	}
	for name, text := range cases {
		start := time.Now()
		_, err := Parse("deep.yaml", []byte(text))
		took := time.Since(start)
		var list ErrorList
		if !errors.As(err, &list) || len(list) != 1 {
			t.Fatalf("%s: got %v, want one error", name, err)
		}
		if !strings.Contains(err.Error(), "deep.yaml:") || !strings.Contains(err.Error(), "nests deeper than 64 levels") {
			t.Errorf("%s: %v", name, err)
		}
		if took > time.Second {
			t.Errorf("%s: refused in %v, want under a second", name, took)
		}
		t.Logf("%s: %d bytes refused in %v at %d:%d", name, len(text), took, list[0].Line, list[0].Col)
	}
}

// deepBlock is a block mapping nested n levels deep.
func deepBlock(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	return b.String()
}

// TestOversizeRefused: a runbook over 1 MiB is refused before parsing.
func TestOversizeRefused(t *testing.T) {
	text := "version: 1\n# " + strings.Repeat("x", MaxSize) + "\n"
	_, err := Parse("big.yaml", []byte(text))
	if err == nil || !strings.Contains(err.Error(), "big.yaml:1:1:") || !strings.Contains(err.Error(), "over the limit of 1048576") {
		t.Fatalf("got %v", err)
	}
}

// TestNestingWithinLimitsParses: the limits leave ordinary runbooks alone,
// including brackets inside block scalars and quoted text.
func TestNestingWithinLimitsParses(t *testing.T) {
	text := "version: 1\nname: n\nmigration_id: m\ndecision_maker: d\nsteps:\n" +
		"  - id: s\n    kind: shell\n    run: |\n      echo " + strings.Repeat("[", 200) + "\n" +
		"  - { id: t, kind: shell, run: \"echo " + strings.Repeat("{", 200) + "\" }\n"
	if _, err := Parse("ok.yaml", []byte(text)); err != nil {
		t.Fatal(err)
	}
}

// TestMigrationIDIsNotAPath: a migration id names files, so it is refused
// when it could leave the runbook's folder.
func TestMigrationIDIsNotAPath(t *testing.T) {
	for _, id := range []string{"../../x", "a/b", `a\b`, ".hidden", "..", "x y", "\"a\\x1b[2Jb\""} {
		text := "version: 1\nname: n\nmigration_id: " + id + "\ndecision_maker: d\nsteps: [{ id: g, kind: gate, question: q }]\n"
		_, err := Parse("id.yaml", []byte(text))
		if err == nil || !strings.Contains(err.Error(), "id.yaml:3:15: ") || !strings.Contains(err.Error(), "must not be a path") {
			t.Errorf("migration_id %s: got %v", id, err)
		}
	}
	for _, id := range []string{"MIG-2026-042", "m", "42", "a.b_c-d", "_x"} {
		text := "version: 1\nname: n\nmigration_id: " + id + "\ndecision_maker: d\nsteps: [{ id: g, kind: gate, question: q }]\n"
		if _, err := Parse("id.yaml", []byte(text)); err != nil {
			t.Errorf("migration_id %s: %v", id, err)
		}
	}
}
