//go:build unix

package notify

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

func TestExecFailureRecordedAndNextRuns(t *testing.T) {
	dir := t.TempDir()
	var rec recorder
	d := New([]runbooks.Notify{
		{On: []string{"trigger"}, Exec: `cat >/dev/null; echo "chat is down" >&2; exit 3`},
		{On: []string{"trigger", "decision"}, Exec: `cat > "$TIGHTROPE_EVENT-$TIGHTROPE_SEQ.json"; echo "$TIGHTROPE_MIGRATION_ID" > id.txt`},
	}, Options{BaseDir: dir, MigrationID: "MIG-7", Record: rec.record})
	d.Notify(ev(t, 1, journal.TriggerFired, journal.TriggerPayload{Trigger: "overrun"}))
	d.Notify(ev(t, 2, journal.Decision, journal.DecisionPayload{Kind: "trigger", Choice: journal.ChoiceRollback}))
	closeNow(t, d)

	got := rec.all()
	if len(got) != 3 {
		t.Fatalf("records = %+v, want 3", got)
	}
	if got[0].OK || got[0].Error != "exit status 3: chat is down" || !strings.HasPrefix(got[0].Target, "cat >/dev/null") {
		t.Errorf("failing command recorded as %+v", got[0])
	}
	if !got[1].OK || !got[2].OK || got[1].Seq != 1 || got[2].Seq != 2 {
		t.Errorf("next notifications recorded as %+v, %+v", got[1], got[2])
	}
	b, err := os.ReadFile(filepath.Join(dir, "decision-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m Message
	if err := json.Unmarshal(b, &m); err != nil || m.Seq != 2 || m.HeadHash != headHash(2) || m.Type != journal.Decision || m.MigrationID != "MIG-7" ||
		!strings.Contains(string(m.Payload), `"choice":"rollback"`) {
		t.Errorf("command got %s (%v)", b, err)
	}
	if id, _ := os.ReadFile(filepath.Join(dir, "id.txt")); strings.TrimSpace(string(id)) != "MIG-7" {
		t.Errorf("TIGHTROPE_MIGRATION_ID = %q", id)
	}
	if _, err := os.Stat(filepath.Join(dir, "trigger-1.json")); err != nil {
		t.Error(err)
	}
}

func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	var rec recorder
	d := New([]runbooks.Notify{{On: []string{"note"}, Exec: `sleep 30 & echo $! > child.pid; echo stuck >&2; sleep 30`}},
		Options{BaseDir: dir, Timeout: 300 * time.Millisecond, Record: rec.record})
	d.Notify(ev(t, 1, journal.Note, journal.NotePayload{Text: "x"}))
	within(t, 3*time.Second, "a hung command", func() { closeNow(t, d) })

	got := rec.all()
	if len(got) != 1 || got[0].OK || got[0].Error != "timed out after 300ms: stuck" {
		t.Fatalf("records = %+v, want one timeout with the stderr", got)
	}
	b, err := os.ReadFile(filepath.Join(dir, "child.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(2 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the notifier's background child %d outlived the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid runs (a zombie, killed but not reaped by an
// init that does not reap, counts as dead).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !os.IsNotExist(err) && !strings.Contains(err.Error(), "no such process")
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(f) == 0 || f[0] != "Z"
}

func TestSecretsRedacted(t *testing.T) {
	const token = "tok-9f8e7d6c5b4a"
	const dsnPassword = "hunter22-secret"
	dir := t.TempDir()
	h := newHook(t, nil)
	var rec recorder
	d := New([]runbooks.Notify{
		{On: []string{"note"}, URL: h.URL},
		{On: []string{"note"}, Exec: `cat > got.json; echo "could not post with ` + token + ` to postgres://app:` + dsnPassword + `@db/shop" >&2; exit 1`},
	}, Options{BaseDir: dir, Secrets: []string{token}, MigrationID: "MIG-1", Record: rec.record})
	e := ev(t, 1, journal.Note, map[string]any{
		"text": "token " + token + " and postgres://app:" + dsnPassword + "@db:5432/shop",
		"env":  map[string]string{"API_" + token: "x"},
	})
	e.Actor = "alice " + token
	d.Notify(e)
	closeNow(t, d)

	reqs := h.requests()
	cmdGot, err := os.ReadFile(filepath.Join(dir, "got.json"))
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests %d, command input: %v", len(reqs), err)
	}
	for who, text := range map[string]string{"webhook": reqs[0].body, "command": string(cmdGot)} {
		if strings.Contains(text, token) || strings.Contains(text, dsnPassword) {
			t.Errorf("%s received a secret: %s", who, text)
		}
		if !strings.Contains(text, "postgres://app:[redacted]@db:5432/shop") || !strings.Contains(text, `"actor":"alice [redacted]"`) {
			t.Errorf("%s received %s", who, text)
		}
		if !json.Valid([]byte(text)) {
			t.Errorf("%s received invalid JSON: %s", who, text)
		}
	}
	got := rec.all()
	if len(got) != 2 || !got[0].OK || got[1].OK {
		t.Fatalf("records = %+v", got)
	}
	for _, r := range got {
		if strings.Contains(r.Error+r.Target, token) || strings.Contains(r.Error+r.Target, dsnPassword) {
			t.Errorf("record leaks a secret: %+v", r)
		}
	}
	if !strings.Contains(got[1].Error, "could not post with [redacted]") {
		t.Errorf("error = %q", got[1].Error)
	}
}

func TestCloseDrains(t *testing.T) {
	dir := t.TempDir()
	var rec recorder
	d := New([]runbooks.Notify{{On: []string{"all"}, Exec: `sleep 0.02; echo "$TIGHTROPE_SEQ" >> seqs.txt`}},
		Options{BaseDir: dir, Record: rec.record})
	for i := int64(1); i <= 5; i++ {
		d.Notify(ev(t, i, journal.Note, journal.NotePayload{Text: "x"}))
	}
	closeNow(t, d)
	b, err := os.ReadFile(filepath.Join(dir, "seqs.txt"))
	if err != nil || string(b) != "1\n2\n3\n4\n5\n" {
		t.Errorf("seqs.txt = %q (%v), want 1..5 in order", b, err)
	}
	if n := len(rec.all()); n != 5 {
		t.Errorf("%d records, want 5", n)
	}
}
