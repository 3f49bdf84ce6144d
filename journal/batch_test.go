package journal

import (
	"context"
	"testing"
)

func TestAppendBatchChainsLikeAppend(t *testing.T) {
	t.Parallel()
	one, onePath := newJournal(t)
	many, manyPath := newJournal(t)
	var drafts []Draft
	for i := range 5 {
		d := Draft{Actor: "alice", StepID: "copy", Type: Progress, Payload: ProgressPayload{Table: "orders", Read: int64(i)}}
		drafts = append(drafts, d)
		if _, err := one.Append(context.Background(), d.Actor, d.StepID, d.Type, d.Payload); err != nil {
			t.Fatal(err)
		}
	}
	got, err := many.AppendBatch(context.Background(), drafts)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := ReadAll(onePath)
	b, _ := ReadAll(manyPath)
	if len(got) != 5 || len(a) != 6 || len(b) != 6 {
		t.Fatalf("batch returned %d, journals hold %d and %d events", len(got), len(a), len(b))
	}
	for i := range a {
		if a[i].Hash != b[i].Hash || string(a[i].Payload) != string(b[i].Payload) {
			t.Errorf("seq %d: one by one %s, batched %s", a[i].Seq, a[i].Hash, b[i].Hash)
		}
	}
	if got[4].Hash != b[5].Hash {
		t.Errorf("returned last hash %s, stored %s", got[4].Hash, b[5].Hash)
	}
	if res := mustVerify(t, manyPath); !res.OK() || res.Events != 6 {
		t.Errorf("Verify after a batch = %s", res)
	}
}

func TestAppendBatchIsAllOrNothing(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	_, err := s.AppendBatch(context.Background(), []Draft{
		{Actor: "alice", Type: Note, Payload: NotePayload{Text: "kept?"}},
		{Actor: "alice", Type: Note, Payload: make(chan int)}, // does not marshal
	})
	if err == nil {
		t.Fatal("a batch with an unmarshalable payload succeeded")
	}
	if _, err := s.AppendBatch(context.Background(), []Draft{{Type: RunStarted}}); err == nil {
		t.Error("a batch with run_started succeeded")
	}
	evs, _ := ReadAll(path)
	if len(evs) != 1 {
		t.Errorf("journal holds %d events after failed batches, want only seq 1", len(evs))
	}
}
