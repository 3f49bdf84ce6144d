package journal

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestFollowSeesAppendsWithinThePollInterval(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "live.journal")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const every = 20 * time.Millisecond
	ch := Follow(ctx, path, 0, every) // the file does not exist yet

	next := func(want int64) Event {
		t.Helper()
		select {
		case ev, ok := <-ch:
			if !ok || ev.Seq != want {
				t.Fatalf("Follow gave seq %d (open %v), want %d", ev.Seq, ok, want)
			}
			return ev
		case <-time.After(2 * time.Second): // generous: the machine may be loaded
			t.Fatalf("Follow did not deliver seq %d", want)
		}
		return Event{}
	}

	s, err := Create(path, RunStartedPayload{RunbookText: testRunbook, Mode: ModeLive}, "alice", WithClock(testClock()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ev := next(1); ev.Hash != s.First().Hash {
		t.Errorf("seq 1 = %+v", ev)
	}
	for i := int64(2); i <= 5; i++ {
		appended, err := s.Append(ctx, "alice", "copy", Note, NotePayload{Text: "step"})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if got := next(i); !reflect.DeepEqual(got, appended) {
			t.Errorf("Follow gave %+v, Append returned %+v", got, appended)
		}
		if d := time.Since(start); d > 50*every {
			t.Logf("seq %d took %v to arrive", i, d)
		}
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("Follow delivered an event nobody appended")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Follow did not close its channel when the context ended")
	}
}

func TestFoldOfReadAllEqualsFoldOfAppended(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	ctx := context.Background()
	appended := []Event{s.First()}
	add := func(actor, step string, typ Type, p any) {
		ev, err := s.Append(ctx, actor, step, typ, p)
		if err != nil {
			t.Fatal(err)
		}
		appended = append(appended, ev)
	}
	add("alice", "copy", StepStarted, StepStartedPayload{Kind: "copy", Title: "Copy"})
	add("engine", "copy", Progress, ProgressPayload{Table: "orders", Read: 100, Written: 98, Rejected: 2, Total: 1000})
	add("engine", "copy", RowsRejected, RejectsPayload{Table: "orders", ByReason: map[string]int64{"not_an_integer": 2}})
	add("engine", "copy", Log, LogPayload{Stream: "warn", Line: "2 rows rejected"})
	add("engine", "copy", TriggerFired, TriggerPayload{Trigger: "reject_rate", Table: "orders", Observed: 0.02, Threshold: 0.001,
		Evidence: map[string]any{"read": 100, "rejected": 2}})
	add("engine", "copy", Awaiting, AwaitingPayload{Kind: "trigger", Question: "Roll back?", Choices: []string{ChoiceContinue, ChoiceRollback}, Who: "alice"})
	add("alice", "copy", Decision, DecisionPayload{Kind: "trigger", Choice: ChoiceContinue, Justification: "known bad rows"})
	add("alice", "", Note, NotePayload{Text: "watching the orders table"})
	// An actor and a step id of digits, commas, colons and multibyte text
	// (the scans read them packed with their byte lengths).
	add("7,0:ü:", "3,4:", Note, NotePayload{Text: "packed"})
	add("", "12:", Note, NotePayload{Text: "empty actor"})
	add("engine", "copy", TableCopied, ProgressPayload{Table: "orders", Read: 1000, Written: 998, Rejected: 2, Total: 1000, TotalExact: true})
	add("engine", "copy", StepFinished, StepFinishedPayload{Status: StatusDone, DurationMS: 4000})
	add("engine", "", RunFinished, RunFinishedPayload{Outcome: OutcomeFinished, DurationMS: 5000})

	read, err := ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(read, appended) {
		t.Fatalf("ReadAll differs from the events as appended:\n got %+v\nwant %+v", read, appended)
	}
	live, replayed := Fold(appended), Fold(read)
	if !reflect.DeepEqual(live, replayed) {
		t.Fatalf("replayed State differs from the live one:\n got %+v\nwant %+v", replayed, live)
	}
	if streamed, err := FoldFile(ctx, path); err != nil || !reflect.DeepEqual(streamed, live) {
		t.Fatalf("FoldFile differs from the live State (%v):\n got %+v\nwant %+v", err, streamed, live)
	}
	if replayed.Outcome != OutcomeFinished || replayed.LastSeq != 14 || len(replayed.Decisions) != 1 {
		t.Errorf("folded State looks wrong: %+v", replayed)
	}
}

func TestReadOnlyReaderWhileWriterWrites(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	const n = 80
	done := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			if _, err := s.Append(context.Background(), "engine", "copy", Progress, ProgressPayload{Table: "t", Read: int64(i)}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	reads, last := 0, 0
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		default:
		}
		evs, err := ReadAll(path)
		if err != nil {
			t.Fatalf("ReadAll while writing: %v", err)
		}
		for i, ev := range evs { // always a whole prefix of the chain
			if ev.Seq != int64(i+1) || (i > 0 && ev.PrevHash != evs[i-1].Hash) {
				t.Fatalf("read %d: event %d is %+v", reads, i, ev)
			}
		}
		if len(evs) < last {
			t.Fatalf("read %d saw %d events after %d", reads, len(evs), last)
		}
		last = len(evs)
		if res := mustVerify(t, path); !res.OK() || res.Events < int64(last) {
			t.Fatalf("Verify while writing = %+v", res)
		}
		reads++
	}
	if last != n+1 {
		t.Fatalf("last read saw %d events, want %d", last, n+1)
	}
	t.Logf("%d reads while the writer wrote", reads)
}

// TestScanDecodedAfter reads only the events after the given seq, in
// order, decoded.
func TestScanDecodedAfter(t *testing.T) {
	s, _ := newJournal(t)
	for i := range 5 {
		if _, err := s.Append(context.Background(), "a", "", Note, NotePayload{Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var seqs []int64
	var texts []string
	err := ScanDecodedAfter(context.Background(), s.Path(), 3, func(e Event, p any, err error) error {
		if err != nil {
			return err
		}
		seqs, texts = append(seqs, e.Seq), append(texts, p.(NotePayload).Text)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs) != "[4 5 6]" || fmt.Sprint(texts) != "[2 3 4]" {
		t.Fatalf("after seq 3: seqs %v, notes %v", seqs, texts)
	}
}
