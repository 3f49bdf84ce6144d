package main

import (
	"strings"
	"testing"
)

// TestBadNotifyEventRefusedAlike: a runbook whose communication plan names
// an event the notifier does not know is refused, before anything runs,
// by run, assess, drill and lint alike (loadRunbook): the same exit code
// and the same message.
func TestBadNotifyEventRefusedAlike(t *testing.T) {
	dir := t.TempDir()
	runbook := writeRunbook(t, dir, `version: 1
name: bad notify
migration_id: MIG-BADNOTIFY
decision_maker: alice
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
drill:
  source: { path: da.db }
  target: { path: db.db }
notify:
  - on: [no_such_event]
    exec: ./notify.sh
steps:
  - { id: copy, kind: copy, tables: [items] }
`)
	want := "notify entry 1"
	runOut, runCode := tightrope(t, nil, "run", "--plain", "--as", "alice", runbook)
	if runCode != exitUsage || !strings.Contains(runOut, want) || !strings.Contains(runOut, "no_such_event") {
		t.Fatalf("run: exit %d, want %d and %q:\n%s", runCode, exitUsage, want, runOut)
	}
	for _, args := range [][]string{
		{"assess", "--as", "alice", runbook},
		{"drill", "--as", "alice", "--scenario", "overrun-150", runbook},
		{"lint", runbook},
	} {
		out, code := tightrope(t, nil, args...)
		if code != runCode || !strings.Contains(out, want) || !strings.Contains(out, "no_such_event") {
			t.Errorf("%s: exit %d, want %d (as run) and %q:\n%s", args[0], code, runCode, want, out)
		}
	}
}
