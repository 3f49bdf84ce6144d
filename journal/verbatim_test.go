package journal

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunbookAndRejectDataKeptVerbatim: the runbook text is stored byte for
// byte (resume executes it), and reject rows keep values that merely look
// like passwords; only the exact secret values are removed from row data,
// while tightrope's own text still has password shapes redacted.
func TestRunbookAndRejectDataKeptVerbatim(t *testing.T) {
	t.Parallel()
	const secret = "Tr0ub4dor-and-3-horses"
	runbook := "steps:\n  - { id: s, kind: shell, run: \"pg_dump --password=$HOME postgres://u:pw123@h/db\" }\n"
	path := filepath.Join(t.TempDir(), "v.journal")
	s, err := Create(path, RunStartedPayload{RunbookText: runbook, Operator: "alice"}, "alice",
		WithSecrets("postgres://app:"+secret+"@db/shop"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	row := map[string]any{"id": 1, "dsn": "root:hunter22@tcp(h:3306)/db", "note": "password=letmein", "leak": "x " + secret + " y"}
	if _, err := s.AppendRejects(ctx, "copy", "copy", []RejectRow{{
		Table: "t", Key: map[string]any{"id": 1}, Row: row, Column: "id", Reason: "r",
		Detail: "failed at postgres://u:pw123@h/db",
	}}, RejectsPayload{Table: "t"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "copy", "copy", Log, LogPayload{Stream: "stdout", Line: "--password=$HOME postgres://u:pw123@h/db"}); err != nil {
		t.Fatal(err)
	}

	evs, err := ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	var first RunStartedPayload
	if err := json.Unmarshal(evs[0].Payload, &first); err != nil {
		t.Fatal(err)
	}
	if first.RunbookText != runbook {
		t.Errorf("runbook stored as\n%s\nwant verbatim\n%s", first.RunbookText, runbook)
	}
	if st := Fold(evs); st.Runbook != nil && string(st.Runbook.Text) != runbook {
		t.Errorf("folded runbook differs")
	}
	if log := string(evs[len(evs)-1].Payload); strings.Contains(log, "pw123") || strings.Contains(log, "$HOME") {
		t.Errorf("command output is not redacted: %s", log)
	}
	recs, err := ReadRejects(path)
	if err != nil || len(recs) != 1 {
		t.Fatalf("rejects: %v %v", recs, err)
	}
	var got map[string]any
	if err := json.Unmarshal(recs[0].Row, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"dsn", "note"} {
		if got[k] != row[k] {
			t.Errorf("reject value %s stored as %q, want %q", k, got[k], row[k])
		}
	}
	if got["leak"] != "x [redacted] y" {
		t.Errorf("the secret's exact value in row data: %q", got["leak"])
	}
	if strings.Contains(recs[0].Detail, "pw123") {
		t.Errorf("detail not redacted: %s", recs[0].Detail)
	}
}

// TestRunbookHoldingASecretIsRefused: the runbook is kept verbatim, so one
// that holds a secret's value is refused instead of stored.
func TestRunbookHoldingASecretIsRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.journal")
	_, err := Create(path, RunStartedPayload{RunbookText: "run: echo s3cret-value-1"}, "alice", WithSecrets("s3cret-value-1"))
	if err == nil || !strings.Contains(err.Error(), "secrets never live in a runbook") {
		t.Fatalf("got %v", err)
	}
}
