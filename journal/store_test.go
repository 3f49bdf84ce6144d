package journal

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAppendReturnsTheStoredEvent(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	ev, err := s.Append(context.Background(), "bob", "copy", Progress, ProgressPayload{Table: "orders", Read: 10, Written: 9, Rejected: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantAt := time.Date(2026, 3, 1, 9, 0, 1, 250000001, time.UTC) // the test clock's second tick
	if ev.Seq != 2 || !ev.At.Equal(wantAt) || ev.Actor != "bob" || ev.StepID != "copy" || ev.Type != Progress {
		t.Errorf("event = %+v", ev)
	}
	if want := `{"bytes":0,"elapsed_ms":0,"read":10,"rejected":1,"table":"orders","total":0,"total_exact":false,"written":9}`; string(ev.Payload) != want {
		t.Errorf("payload = %s, want canonical %s", ev.Payload, want)
	}
	if pl, err := Decode(ev); err != nil || pl.(ProgressPayload).Written != 9 {
		t.Errorf("Decode = %+v, %v", pl, err)
	}
	evs, err := ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Type != RunStarted {
		t.Fatalf("ReadAll = %d events", len(evs))
	}
	pl, err := Decode(evs[0])
	first, _ := pl.(RunStartedPayload)
	if err != nil || first.RunbookText != testRunbook || len(first.RunbookSHA256) != 64 {
		t.Errorf("seq 1 payload = %+v, %v: want the runbook text and its sha256", first, err)
	}
	if got := evs[1]; got.At != ev.At || string(got.Payload) != string(ev.Payload) || got.Hash != ev.Hash {
		t.Errorf("ReadAll gave %+v, Append returned %+v", got, ev)
	}
}

func TestAppendRefusesRunStartedAndEmptyType(t *testing.T) {
	t.Parallel()
	s, _ := newJournal(t)
	for _, typ := range []Type{RunStarted, ""} {
		if _, err := s.Append(context.Background(), "alice", "", typ, nil); err == nil {
			t.Errorf("Append(%q) succeeded", typ)
		}
	}
	if _, err := s.Append(context.Background(), "alice", "", Note, make(chan int)); err == nil || !strings.Contains(err.Error(), "note payload") {
		t.Errorf("Append of an unmarshalable payload: err = %v", err)
	}
	ev, err := s.Append(context.Background(), "alice", "", Note, json.RawMessage(`{"text": "raw  json"}`))
	if err != nil || string(ev.Payload) != `{"text":"raw  json"}` {
		t.Errorf("raw payload stored as %s, %v", ev.Payload, err)
	}
}

func TestConcurrentAppendKeepsTheChain(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	const writers, each = 8, 12
	var wg sync.WaitGroup
	seqs := make(chan int64, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				ev, err := s.Append(context.Background(), "engine", "copy", Note, NotePayload{Text: "x"})
				if err != nil {
					t.Error(err)
					return
				}
				seqs <- ev.Seq
			}
		}()
	}
	wg.Wait()
	close(seqs)
	seen := map[int64]bool{}
	for q := range seqs {
		if seen[q] {
			t.Fatalf("seq %d handed out twice", q)
		}
		seen[q] = true
	}
	res := mustVerify(t, path)
	if !res.OK() || res.Events != writers*each+1 {
		t.Fatalf("Verify = %+v, want %d events", res, writers*each+1)
	}
}
