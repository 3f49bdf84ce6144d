package engine

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/tightrope/tightrope/journal"
)

// TestNotifiersAreJournaledAndNeverBlock runs a small runbook whose
// communication plan has a webhook and a failing command: the webhook gets
// the events it asked for, the failures are journaled and warned about,
// and the run (with its rollback) finishes regardless.
func TestNotifiersAreJournaledAndNeverBlock(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			Type        string `json:"type"`
			MigrationID string `json:"migration_id"`
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &m); err != nil || m.MigrationID != "MIG-CTL" {
			t.Errorf("webhook body %s: %v", b, err)
		}
		mu.Lock()
		got = append(got, m.Type)
		mu.Unlock()
	}))
	defer srv.Close()
	r := smallRun(t, controlsHeader+`triggers: { step_failed: true }
notify:
  - { on: [trigger, rollback, finished], url: "`+srv.URL+`" }
  - { on: [step], exec: "echo pager is down >&2; exit 3" }
steps:
  - { id: one, kind: shell, run: "true" }
  - { id: two, kind: shell, run: "exit 1" }
rollback:
  - { id: back, kind: shell, run: "true" }
`, "alice", journal.ChoiceRollback)
	outcome, _ := r.c.Run(t.Context())
	if outcome != journal.OutcomeRolledBack {
		t.Fatalf("outcome %q", outcome)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"trigger", "rollback_started", "rollback_finished", "run_finished"}
	if len(got) != len(want) {
		t.Fatalf("webhook got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("webhook got %v, want %v", got, want)
		}
	}
	s := r.c.State()
	var ok, failed int
	for _, n := range s.Notifications {
		if n.OK {
			ok++
		} else {
			failed++
			if n.Error == "" {
				t.Errorf("a failed notification without its error: %+v", n)
			}
		}
	}
	if ok != 4 || failed < 6 { // step_started/finished of one, two, back
		t.Errorf("%d ok, %d failed notifications: %+v", ok, failed, s.Notifications)
	}
	warned := false
	for _, w := range s.Warnings {
		warned = warned || w.Kind == "notify"
	}
	if !warned {
		t.Errorf("no warning about the failing notifier: %+v", s.Warnings)
	}
}
