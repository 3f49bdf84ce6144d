package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tightropeAt runs the binary with dir as its working directory.
func tightropeAt(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}

// scriptRunbook writes, in dir, a runbook with drill stand-ins whose only
// step is a relative ./mark.sh (it writes its working directory) and whose
// communication plan is a relative ./notify.sh (it writes TIGHTROPE_MODE).
func scriptRunbook(t *testing.T, dir, name, migration string) string {
	t.Helper()
	text := `version: 1
name: scripts
migration_id: ` + migration + `
decision_maker: dana
connections:
  source: { driver: sqlite, path: s.db }
  target: { driver: sqlite, path: t.db }
drill:
  source: { path: ds.db }
  target: { path: dt.db }
notify:
  - on: [finished]
    exec: ./notify.sh
steps:
  - { id: mark, kind: shell, run: ./mark.sh }
`
	files := map[string]string{
		name:        text,
		"mark.sh":   "#!/bin/sh\npwd -P > mark.out\n",
		"notify.sh": "#!/bin/sh\necho \"$TIGHTROPE_MODE\" > notify.out\n",
	}
	for f, body := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, name)
}

// A drill runs the runbook's shell steps and notify commands where a live
// run would — the runbook's directory, not the drill's — in the drill
// process and in the killable run process (drill-run) alike.
func TestDrillRunsScriptsInTheRunbooksDirectory(t *testing.T) {
	for _, ft := range []string{"target-drift:p:1", "kill@mark:1h"} {
		t.Run(ft, func(t *testing.T) {
			top := t.TempDir()
			rbDir := filepath.Join(top, "rb")
			if err := os.Mkdir(rbDir, 0o755); err != nil {
				t.Fatal(err)
			}
			scriptRunbook(t, rbDir, "shop.yaml", "T-9")
			out, _ := tightropeAt(t, top, "drill", "rb/shop.yaml", "--fault", ft, "--plain", "--as", "dana")
			if !strings.Contains(out, "mark: done") {
				t.Fatalf("the relative ./mark.sh did not run:\n%s", out)
			}
			mark, err := os.ReadFile(filepath.Join(rbDir, "mark.out"))
			if err != nil {
				t.Fatalf("./mark.sh wrote nothing beside the runbook: %v\n%s", err, out)
			}
			want, _ := filepath.EvalSymlinks(rbDir)
			if got := strings.TrimSpace(string(mark)); got != want {
				t.Errorf("./mark.sh ran in %s, want the runbook's directory %s", got, want)
			}
			if mode, err := os.ReadFile(filepath.Join(rbDir, "notify.out")); err != nil || strings.TrimSpace(string(mode)) != "drill" {
				t.Errorf("./notify.sh did not run beside the runbook as a drill's: %q %v\n%s", mode, err, out)
			}
			if js, _ := filepath.Glob(filepath.Join(rbDir, "drills", "*", "*.journal")); len(js) != 1 {
				t.Errorf("the drill's journal is not under the runbook's drills directory: %v", js)
			}
		})
	}
}

// drills finds the drills where drill writes them: drills RUNBOOK reads
// the drills directory beside the runbook (that migration only), and
// drills with no argument reads ./drills (drill RUNBOOK for a runbook
// here) and ./tightrope-drills (drill --demo).
func TestDrillsFindsTheDrillsWhereDrillWritesThem(t *testing.T) {
	top := t.TempDir()
	rbDir := filepath.Join(top, "rb")
	if err := os.Mkdir(rbDir, 0o755); err != nil {
		t.Fatal(err)
	}
	scriptRunbook(t, rbDir, "shop.yaml", "T-9")
	scriptRunbook(t, rbDir, "other.yaml", "OTHER-1")
	for _, rb := range []string{"rb/shop.yaml", "rb/other.yaml"} {
		if out, _ := tightropeAt(t, top, "drill", rb, "--fault", "target-drift:p:1", "--plain", "--as", "dana"); !strings.Contains(out, "drill journal: ") {
			t.Fatalf("%s: the drill did not run:\n%s", rb, out)
		}
	}
	out, code := tightropeAt(t, top, "drills", "rb/shop.yaml")
	if code != 0 || !strings.Contains(out, "Drills of T-9") || strings.Contains(out, "OTHER-1") || strings.Count(out, "target-drift:p:1") != 1 {
		t.Errorf("drills RUNBOOK: exit %d, want the drill of T-9 only:\n%s", code, out)
	}
	out, code = tightropeAt(t, rbDir, "drills")
	if code != 0 || !strings.Contains(out, "Drills of T-9") || !strings.Contains(out, "Drills of OTHER-1") {
		t.Errorf("drills beside the runbooks: exit %d:\n%s", code, out)
	}
	out, code = tightropeAt(t, top, "drills")
	if code != 0 || !strings.Contains(out, "no drill journals under drills or tightrope-drills") {
		t.Errorf("drills where there are none: exit %d:\n%s", code, out)
	}
	if out, code := tightropeAt(t, rbDir, "drill", "--demo", "--scenario", "na-ratings", "--plain", "--auto-decide", "rollback", "--as", "dana"); code != 0 {
		t.Fatalf("demo drill: exit %d:\n%s", code, out)
	}
	out, code = tightropeAt(t, rbDir, "drills")
	if code != 0 || !strings.Contains(out, "Drills of T-9") || !strings.Contains(out, "na-ratings") {
		t.Errorf("drills with no argument misses drill RUNBOOK's or drill --demo's drills: exit %d:\n%s", code, out)
	}
	if out, code := tightropeAt(t, top, "drills", "rb/nothing.yaml"); code != exitUsage {
		t.Errorf("drills of a missing runbook: exit %d, want %d:\n%s", code, exitUsage, out)
	}
}
