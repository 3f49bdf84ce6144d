package main

import (
	"crypto/sha256"
	"database/sql"
	binenc "encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// TestResumeRunsTheRunbookVerbatim: a run stopped at a gate and resumed
// executes the shell step byte for byte as written, not a redacted copy.
func TestResumeRunsTheRunbookVerbatim(t *testing.T) {
	dir := t.TempDir()
	rb := `version: 1
name: Verbatim
migration_id: MIG-VERBATIM
decision_maker: alice
objectives: { rto: 5m, rpo: 0s, expected: 10m, window: 1h }
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
steps:
  - { id: gate, kind: gate, question: "go?" }
  - { id: sh, kind: shell, run: "echo --password=$MARK > out.txt" }
`
	rb = strings.Replace(rb, "out.txt", filepath.Join(dir, "out.txt"), 1)
	env := []string{"MARK=marker-value-77"}
	_, j := stoppedAtGate(t, env, dir, rb)
	out, code := tightrope(t, env, "resume", j, "--plain", "--as", "alice", "--auto-decide", "continue")
	if code != 0 {
		t.Fatalf("resume: exit %d:\n%s", code, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "--password=marker-value-77\n" {
		t.Errorf("the resumed shell step wrote %q: it did not run the runbook as written", got)
	}
}

// TestResumeRefusesAnAlteredRunbook: an embedded runbook whose sha256 is
// not the one recorded (a journal from a build that redacted it) is
// refused, naming both hashes.
func TestResumeRefusesAnAlteredRunbook(t *testing.T) {
	rb, err := runbooks.Parse("x.yaml", []byte("version: 1\nname: n\nmigration_id: m\ndecision_maker: d\nsteps: [{ id: s, kind: shell, run: \"echo --password=[redacted]\" }]\n"))
	if err != nil {
		t.Fatal(err)
	}
	st := journal.State{Runbook: rb, RunbookSHA: strings.Repeat("ab", 32)}
	err = checkRunbookSHA("x.journal", st)
	if err == nil || !strings.Contains(err.Error(), "refusing to resume with a different runbook") || !strings.Contains(err.Error(), st.RunbookSHA) {
		t.Fatalf("got %v", err)
	}
}

// TestResumeOfAJournalWithARedactedRunbook: a journal written before
// runbooks were stored verbatim (its embedded runbook redacted, its
// recorded sha256 the original's) is refused with the reason and the way
// out; --runbook with another file is refused; --runbook with the
// original file resumes it, running the step as written.
func TestResumeOfAJournalWithARedactedRunbook(t *testing.T) {
	dir := t.TempDir()
	rb := `version: 1
name: Old journal
migration_id: MIG-OLDJ
decision_maker: alice
objectives: { rto: 5m, rpo: 0s, expected: 10m, window: 1h }
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
steps:
  - { id: gate, kind: gate, question: "go?" }
  - { id: sh, kind: shell, run: "echo --password=hunter22 > out.txt" }
`
	path, j := stoppedAtGate(t, nil, dir, rb)
	redactEmbeddedRunbook(t, j, strings.Replace(rb, "hunter22", journal.Redacted, 1))
	if res, err := journal.Verify(j); err != nil || !res.OK() {
		t.Fatalf("the old journal's chain does not hold: %v %v", res, err)
	}

	out, code := tightrope(t, nil, "resume", j, "--plain", "--as", "alice", "--auto-decide", "continue")
	for _, want := range []string{"older build that stored the runbook redacted", "refusing to resume", "--runbook FILE"} {
		if code == 0 || !strings.Contains(out, want) {
			t.Errorf("resume of the old journal: exit %d, does not say %q:\n%s", code, want, out)
		}
	}
	other := filepath.Join(dir, "other.yaml")
	if err := os.WriteFile(other, []byte(strings.Replace(rb, "hunter22", "hunter23", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = tightrope(t, nil, "resume", j, "--runbook", other, "--plain", "--as", "alice", "--auto-decide", "continue")
	if code != 2 || !strings.Contains(out, "not the runbook of this run") {
		t.Errorf("resume with another runbook: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.txt")); err == nil {
		t.Fatalf("a refused resume ran the shell step")
	}
	out, code = tightrope(t, nil, "resume", j, "--runbook", path, "--plain", "--as", "alice", "--auto-decide", "continue")
	if code != 0 {
		t.Fatalf("resume with the original runbook: exit %d:\n%s", code, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "out.txt"))
	if err != nil || string(got) != "--password=hunter22\n" {
		t.Errorf("the resumed shell step wrote %q (%v), want the original command's output", got, err)
	}
}

// redactEmbeddedRunbook rewrites a journal as a build that redacted the
// embedded runbook wrote it: seq 1 holds text, its runbook_sha256 stays the
// original's, and the sha256 chain is recomputed (chain.go's format).
func redactEmbeddedRunbook(t *testing.T, path, text string) {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec("DROP TRIGGER events_no_update"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec("UPDATE events SET payload_json = json_set(payload_json, '$.runbook_text', ?) WHERE seq = 1", text); err != nil {
		t.Fatal(err)
	}
	rows, err := d.Query("SELECT seq, at, actor, step_id, type, payload_json FROM events ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	type ev struct {
		seq                        int64
		at, actor, step, typ, body string
	}
	var evs []ev
	for rows.Next() {
		var e ev
		if err := rows.Scan(&e.seq, &e.at, &e.actor, &e.step, &e.typ, &e.body); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	rows.Close()
	prev := strings.Repeat("0", 64)
	for _, e := range evs {
		h := sha256.New()
		field := func(p []byte) {
			var n [8]byte
			binenc.BigEndian.PutUint64(n[:], uint64(len(p)))
			h.Write(n[:])
			h.Write(p)
		}
		var n [8]byte
		binenc.BigEndian.PutUint64(n[:], uint64(e.seq))
		field([]byte("tightrope/journal/v1"))
		field(n[:])
		for _, f := range []string{prev, e.at, e.actor, e.step, e.typ} {
			field([]byte(f))
		}
		field([]byte(e.body))
		hash := hex.EncodeToString(h.Sum(nil))
		if _, err := d.Exec("UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?", prev, hash, e.seq); err != nil {
			t.Fatal(err)
		}
		prev = hash
	}
}

// writeRunbook writes a runbook's text as rb.yaml in dir and returns its
// path.
func writeRunbook(t *testing.T, dir, text string) string {
	t.Helper()
	path := filepath.Join(dir, "rb.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// stoppedAtGate writes the runbook in dir, runs it and kills the process
// while its first gate waits for alice; it returns the runbook's and the
// journal's paths.
func stoppedAtGate(t *testing.T, env []string, dir, text string) (runbook, journalFile string) {
	t.Helper()
	runbook, journalFile = writeRunbook(t, dir, text), filepath.Join(dir, "run.journal")
	out, _, killed := runAndKill(t, env, []string{"run", runbook, "--plain", "--as", "alice", "--journal", journalFile},
		func(out string) bool { return strings.Contains(out, "waiting for alice") }, 0)
	if !killed {
		t.Fatalf("the run was not stopped at its gate:\n%s", out)
	}
	return runbook, journalFile
}
