package engine

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tightrope/tightrope/engine/notify"
	"github.com/tightrope/tightrope/journal"
)

// TestNotificationsWitnessTheJournalHead: the webhook body and a command's
// stdin carry the seq and chain hash of the event they report, the journal's
// head when it was written. Kept outside the machine, that pair shows a
// journal cut after the run ended: it verifies as a shorter chain, but no
// longer holds the witnessed seq with its hash.
func TestNotificationsWitnessTheJournalHead(t *testing.T) {
	var mu sync.Mutex
	var hook []notify.Message
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m notify.Message
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("webhook body %s: %v", b, err)
		}
		mu.Lock()
		hook = append(hook, m)
		mu.Unlock()
	}))
	defer srv.Close()
	r := smallRun(t, controlsHeader+`notify:
  - { on: [finished], url: "`+srv.URL+`" }
  - { on: [finished], exec: "cat > finished.json" }
steps:
  - { id: one, kind: shell, run: "true" }
`, "alice", journal.ChoiceContinue)
	if outcome, err := r.c.Run(t.Context()); outcome != journal.OutcomeFinished {
		t.Fatalf("outcome %q, %v", outcome, err)
	}
	b, err := os.ReadFile(filepath.Join(r.dir, "finished.json"))
	if err != nil {
		t.Fatal(err)
	}
	var stdin notify.Message
	if err := json.Unmarshal(b, &stdin); err != nil {
		t.Fatalf("command stdin %s: %v", b, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hook) != 1 {
		t.Fatalf("webhook got %d messages, want 1 (run_finished)", len(hook))
	}
	evs, err := journal.ReadAll(r.journal)
	if err != nil {
		t.Fatal(err)
	}
	var fin journal.Event
	for _, e := range evs {
		if e.Type == journal.RunFinished {
			fin = e
		}
	}
	for name, m := range map[string]notify.Message{"webhook": hook[0], "exec stdin": stdin} {
		if m.Type != journal.RunFinished || m.Seq != fin.Seq || m.HeadHash != fin.Hash || len(m.HeadHash) != 64 {
			t.Errorf("%s carries seq %d head %q, want run_finished seq %d head %s", name, m.Seq, m.HeadHash, fin.Seq, fin.Hash)
		}
	}

	// Cut run_finished and what followed: the chain still verifies, the
	// witness does not match it.
	_ = r.store.Close()
	d, err := sql.Open("sqlite", "file:"+r.journal)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`DROP TRIGGER events_no_delete`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`DELETE FROM events WHERE seq >= ?`, fin.Seq); err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	vr, err := journal.Verify(r.journal)
	if err != nil || !vr.OK() {
		t.Fatalf("the cut journal: %+v, %v (an unkeyed chain cannot see the cut itself)", vr, err)
	}
	if vr.Events >= stdin.Seq || vr.Head == stdin.HeadHash {
		t.Errorf("the cut journal (%d events, head %s) still matches the witness seq %d head %s", vr.Events, vr.Head, stdin.Seq, stdin.HeadHash)
	}
}
