package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
)

const keyText = "a journal key only the team holds"

const keyRunbook = `version: 1
name: Keyed
migration_id: MIG-KEY
decision_maker: alice
objectives: { rto: 5m, rpo: 0s, expected: 10m, window: 1h }
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
steps:
  - { id: env, kind: shell, run: 'echo "key=[$TIGHTROPE_JOURNAL_KEY]"' }
`

// keyedRun runs keyRunbook to its end with the key in the environment and
// returns the journal's path.
func keyedRun(t *testing.T) string {
	t.Helper()
	rb := writeRunbook(t, t.TempDir(), keyRunbook)
	out, code := tightrope(t, []string{"TIGHTROPE_JOURNAL_KEY=" + keyText}, "run", "--plain", "--as", "alice", "--auto-decide", "continue", rb)
	if code != 0 {
		t.Fatalf("run exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "journal chain: hmac-sha256, key "+journal.KeyID([]byte(keyText))) {
		t.Errorf("run does not say the journal is keyed:\n%s", out)
	}
	if !strings.Contains(out, "key=[]") || strings.Contains(out, keyText) {
		t.Errorf("the shell step saw the journal key:\n%s", out)
	}
	return journalPath(t, out)
}

func TestJournalKeyVerifyAndReport(t *testing.T) {
	j := keyedRun(t)
	withKey := []string{"TIGHTROPE_JOURNAL_KEY=" + keyText}

	out, code := tightrope(t, nil, "journal", "verify", j)
	if code != 1 || !strings.HasPrefix(out, "NOT VERIFIED: ") || !strings.Contains(out, "give its key") {
		t.Fatalf("verify without the key: exit %d: %s", code, out)
	}
	out, code = tightrope(t, withKey, "journal", "verify", j)
	if code != 0 || !strings.HasPrefix(out, "OK: ") || !strings.Contains(out, "events, head ") || !strings.Contains(out, "hmac-sha256 chain") {
		t.Fatalf("verify with the key: exit %d: %s", code, out)
	}
	head := strings.Fields(out)[4]

	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(keyText+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := tightrope(t, nil, "journal", "verify", "--key-file", keyFile, j); code != 0 {
		t.Errorf("verify --key-file: exit %d: %s", code, out)
	}
	if out, code := tightrope(t, []string{"TIGHTROPE_JOURNAL_KEY_FILE=" + keyFile}, "journal", "verify", j); code != 0 {
		t.Errorf("verify with TIGHTROPE_JOURNAL_KEY_FILE: exit %d: %s", code, out)
	}
	if out, code := tightrope(t, []string{"TIGHTROPE_JOURNAL_KEY=not the key but long enough"}, "journal", "verify", j); code != 1 || !strings.Contains(out, "not the key this journal declares") {
		t.Errorf("verify with another key: exit %d: %s", code, out)
	}

	for _, f := range []string{"md", "html", "json"} {
		out, code := tightrope(t, withKey, "report", "--format", f, j)
		if code != 0 || !strings.Contains(out, head) {
			t.Errorf("report %s with the key: exit %d, head %s missing", f, code, head)
		}
		if out, code := tightrope(t, nil, "report", "--format", f, j); code != 1 || !strings.Contains(out, "UNTRUSTED") {
			t.Errorf("report %s without the key: exit %d, want 1 and UNTRUSTED", f, code)
		}
	}
}

// TestJournalKeyCutTailCannotBeResumed cuts run_finished from a keyed run:
// the run would look interrupted; verify says TRUNCATED and resume refuses.
func TestJournalKeyCutTailCannotBeResumed(t *testing.T) {
	j := keyedRun(t)
	withKey := []string{"TIGHTROPE_JOURNAL_KEY=" + keyText}
	d, err := sql.Open("sqlite", "file:"+j)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER events_no_delete`, `DELETE FROM events WHERE seq >= (SELECT seq FROM events WHERE type = 'run_finished')`} {
		if _, err := d.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_ = d.Close()

	out, code := tightrope(t, withKey, "journal", "verify", j)
	if code != 1 || !strings.HasPrefix(out, "TRUNCATED: ") || !strings.Contains(out, "events were cut from its end") {
		t.Fatalf("verify of the cut journal with the key: exit %d: %s", code, out)
	}
	out, code = tightrope(t, withKey, "resume", "--plain", "--as", "alice", "--auto-decide", "continue", j)
	if code != 1 || !strings.Contains(out, "events were cut from its end") {
		t.Fatalf("resume of the cut journal with the key: exit %d: %s", code, out)
	}
	out, code = tightrope(t, nil, "resume", "--plain", "--as", "alice", "--auto-decide", "continue", j)
	if code != 1 || !strings.Contains(out, "give its key") {
		t.Fatalf("resume of a keyed journal without the key: exit %d: %s", code, out)
	}
}
