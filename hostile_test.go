package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileRunbookAndOutputReachNoTerminal: a runbook whose fields and
// whose shell step's output carry a screen clear, an OSC 52 clipboard
// write, a title change, a CR overwrite and a C1 CSI: run --plain, replay
// --plain and the Markdown report print none of them raw.
func TestHostileRunbookAndOutputReachNoTerminal(t *testing.T) {
	dir := t.TempDir()
	rb := `version: 1
name: "Hostile \e]0;owned\a"
migration_id: MIG-HOSTILE
decision_maker: alice
objectives: { rto: 5m, rpo: 0s, expected: 10m, window: 1h }
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
steps:
  - { id: sh, kind: shell, title: "clear \e[2J\u009b2J", run: "printf 'a\\033[2Jb\\033]52;c;cm0gLXJm\\007c\\033]0;t\\007\\rOK \\302\\233K\\n'; echo boom >&2; exit 3" }
`
	path := filepath.Join(dir, "h.yaml")
	if err := os.WriteFile(path, []byte(rb), 0o644); err != nil {
		t.Fatal(err)
	}
	j := filepath.Join(dir, "h.journal")
	run, code := tightrope(t, nil, "run", path, "--plain", "--as", "alice", "--journal", j, "--auto-decide", "continue")
	if code == 0 || !strings.Contains(run, `a\x1b[2Jb\x1b]52;c;cm0gLXJm\x07c`) {
		t.Fatalf("run: exit %d, the shell output is not shown escaped:\n%s", code, run)
	}
	replay, _ := tightrope(t, nil, "replay", "--plain", j)
	md, _ := tightrope(t, nil, "report", "--format", "md", j)
	if !strings.Contains(md, "MIG-HOSTILE") {
		t.Fatalf("no report:\n%s", md)
	}
	for name, out := range map[string]string{"run --plain": run, "replay --plain": replay, "report md": md} {
		for _, bad := range []string{"\x1b", "\a", "\r", "\u009b"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s prints %q raw:\n%s", name, bad, out)
			}
		}
	}
}
