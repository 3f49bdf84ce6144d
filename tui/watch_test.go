package tui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// watcher drains a Watch's Updates, keeping the latest snapshot and the
// number delivered, as the console would.
type watcher struct {
	mu     sync.Mutex
	latest journal.State
	n      int
	done   chan struct{}
}

func watch(w *Watch) *watcher {
	r := &watcher{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for s := range w.Updates() {
			r.mu.Lock()
			r.latest, r.n = s, r.n+1
			r.mu.Unlock()
		}
	}()
	return r
}

// within waits up to a second for the latest snapshot to satisfy ok.
func (r *watcher) within(t *testing.T, what string, ok func(journal.State) bool) journal.State {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		r.mu.Lock()
		s := r.latest
		r.mu.Unlock()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("within a second the watch did not show %s; last seq %d", what, s.LastSeq)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newStore(t *testing.T, path string) *journal.Store {
	t.Helper()
	store, err := journal.Create(path, journal.RunStartedPayload{RunbookText: "version: 1\nname: watched\n",
		ToolVersion: "test", Operator: "alice", Mode: journal.ModeLive}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

func appendEvent(t *testing.T, store *journal.Store, actor, step string, typ journal.Type, payload any) {
	t.Helper()
	if _, err := store.Append(context.Background(), actor, step, typ, payload); err != nil {
		t.Fatal(err)
	}
}

// sameCounts compares the copy counters of a watched state with the fold
// of the file as it is now.
func sameCounts(t *testing.T, path string) func(journal.State) bool {
	t.Helper()
	evs, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	want := journal.Fold(evs)
	wr, ww, wj := want.Totals()
	return func(s journal.State) bool {
		r, w, j := s.Totals()
		return s.LastSeq == want.LastSeq && r == wr && w == ww && j == wj && s.Paused == want.Paused
	}
}

// TestWatchFollowsAJournalBeingWritten appends to a journal through a real
// Store while a Watch follows it read-only: the watch's latest State shows
// the same counts as the file within a second, snapshots come at most ten
// a second, and Updates closes once the end of the run is delivered.
func TestWatchFollowsAJournalBeingWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.journal")
	store := newStore(t, path)
	appendEvent(t, store, "alice", "copy", journal.StepStarted, journal.StepStartedPayload{Kind: "copy", Title: "Copy"})
	appendEvent(t, store, "", "copy", journal.Progress, journal.ProgressPayload{Table: "orders", Read: 1000, Written: 990, Rejected: 10, Total: 50000})

	start := time.Now()
	w := NewWatch(context.Background(), path, 20*time.Millisecond)
	defer w.Close()
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	r := watch(w)
	r.within(t, "the events written before it started", sameCounts(t, path))

	for i := int64(2); i <= 60; i++ {
		appendEvent(t, store, "", "copy", journal.Progress, journal.ProgressPayload{Table: "orders", Read: i * 1000, Written: i*1000 - i*10, Rejected: i * 10, Total: 50000})
	}
	appendEvent(t, store, "bob", "", journal.Paused, journal.ControlPayload{})
	s := r.within(t, "the events appended while it watched", sameCounts(t, path))
	if !s.Paused || s.PausedBy != "bob" {
		t.Errorf("paused %v by %q, want paused by bob", s.Paused, s.PausedBy)
	}

	appendEvent(t, store, "bob", "", journal.Unpaused, journal.ControlPayload{})
	appendEvent(t, store, "", "", journal.RunFinished, journal.RunFinishedPayload{Outcome: journal.OutcomeFinished})
	select {
	case <-r.done:
	case <-time.After(time.Second):
		t.Fatal("Updates still open a second after the run finished")
	}
	r.within(t, "the end of the run", func(s journal.State) bool { return s.Outcome == journal.OutcomeFinished && !s.Paused })
	if most := 2 + int(time.Since(start)/watchEvery); r.n > most {
		t.Errorf("%d snapshots in %s: more than ten a second", r.n, time.Since(start))
	}
}

func TestWatchWaitsForAJournalNotThereYet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.journal")
	w := NewWatch(context.Background(), path, 20*time.Millisecond)
	defer w.Close()
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	r := watch(w)
	store := newStore(t, path)
	appendEvent(t, store, "alice", "", journal.Note, journal.NotePayload{Text: "hello"})
	r.within(t, "the journal created after it started", func(s journal.State) bool { return len(s.Notes) == 1 })
	w.Close()
	select {
	case <-r.done:
	case <-time.After(time.Second):
		t.Fatal("Close did not close Updates")
	}
}

func TestWatchRefusesAFileThatIsNoJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("not sqlite"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := NewWatch(context.Background(), path, 0)
	if w.Err() == nil {
		t.Fatal("no error for a file that is not a journal")
	}
	if _, open := <-w.Updates(); open {
		t.Fatal("Updates open after a failed start")
	}
}

func TestWatchPlainPrintsUntilTheRunEnds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.journal")
	store := newStore(t, path)
	appendEvent(t, store, "bob", "", journal.Paused, journal.ControlPayload{Reason: "DBA asked"})
	go func() {
		time.Sleep(100 * time.Millisecond)
		_, _ = store.Append(context.Background(), "", "", journal.Warning, journal.WarningPayload{Kind: "window", Message: "the window closes in 18m"})
		_, _ = store.Append(context.Background(), "", "", journal.Notified, journal.NotifiedPayload{Event: journal.TriggerFired, Seq: 2, Target: "./notify.sh", Error: "exit status 1"})
		_, _ = store.Append(context.Background(), "alice", "", journal.Aborted, journal.ControlPayload{Reason: "source restored by the DBA"})
		_, _ = store.Append(context.Background(), "", "", journal.RunFinished, journal.RunFinishedPayload{Outcome: journal.OutcomeAborted})
	}()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := WatchPlain(ctx, path, 20*time.Millisecond, NewPlain(&out))
	if err != nil {
		t.Fatal(err)
	}
	if s.Outcome != journal.OutcomeAborted || ctx.Err() != nil {
		t.Fatalf("outcome %q, ctx %v: WatchPlain did not stop at the end of the run", s.Outcome, ctx.Err())
	}
	for _, want := range []string{"PAUSED by bob: DBA asked", "WARNING window: the window closes in 18m",
		"notify FAILED: ./notify.sh of trigger (event 2): exit status 1", "ABORTED by alice: source restored by the DBA",
		"run finished: ABORTED"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
