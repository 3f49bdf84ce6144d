package tui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/journal"
)

// fast makes a watch judge the heartbeat every 10ms and call a run stopped
// after 300ms of silence, where a person gets 1s and 15s.
var fast = []WatchOption{WithLeaseEvery(10 * time.Millisecond), WithStaleAfter(300 * time.Millisecond)}

func acquire(t *testing.T, path string) *journal.Lease {
	t.Helper()
	l, err := journal.AcquireLease(path, journal.LeaseOptions{Operator: "alice", Heartbeat: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Release() })
	return l
}

// nextLiveness waits up to 5s for a judgement satisfying ok.
func nextLiveness(t *testing.T, ch <-chan Liveness, what string, ok func(Liveness) bool) Liveness {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case l, open := <-ch:
			if !open {
				t.Fatalf("Liveness closed before it showed %s", what)
			}
			if ok(l) {
				return l
			}
		case <-deadline:
			t.Fatalf("within 5s the watch did not judge %s", what)
		}
	}
}

// TestWatchJudgesTheWritersHeartbeat: live while the lease beats, stopped
// once it falls silent (here: released without run_finished), live again
// when another writer takes it; the judgements end with the run.
func TestWatchJudgesTheWritersHeartbeat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.journal")
	lease := acquire(t, path)
	store := newStore(t, path)
	w := NewWatch(context.Background(), path, 20*time.Millisecond, fast...)
	defer w.Close()
	r := watch(w)

	l := nextLiveness(t, w.Liveness(), "the writer alive", func(l Liveness) bool { return !l.Stopped && l.Writer.PID == os.Getpid() })
	if l.Journal != path || l.Writer.Operator != "alice" || l.LastSign.IsZero() {
		t.Errorf("liveness = %+v", l)
	}
	first := l.LastSign
	nextLiveness(t, w.Liveness(), "a newer heartbeat", func(l Liveness) bool { return l.LastSign.After(first) })

	_ = lease.Release()
	l = nextLiveness(t, w.Liveness(), "the run stopped", func(l Liveness) bool { return l.Stopped })
	if l.Silence <= 300*time.Millisecond || l.Writer.Released.IsZero() {
		t.Errorf("stopped liveness = %+v", l)
	}
	if txt := l.stoppedText(time.Now()); !strings.Contains(txt, "no heartbeat for") || !strings.Contains(txt, "tightrope resume "+path) {
		t.Errorf("stopped text %q", txt)
	}

	acquire(t, path)
	nextLiveness(t, w.Liveness(), "the writer back", func(l Liveness) bool { return !l.Stopped && l.Writer.Released.IsZero() })

	appendEvent(t, store, "", "", journal.RunFinished, journal.RunFinishedPayload{Outcome: journal.OutcomeFinished})
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Updates still open after the run finished")
	}
	for range w.Liveness() { // drains, and must close
	}
}

// syncBuffer is a bytes.Buffer safe to read while WatchPlain writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits up to 5s for the output to hold want n times.
func (s *syncBuffer) waitFor(t *testing.T, want string, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); strings.Count(s.String(), want) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("within 5s the output did not say %q %d times:\n%s", want, n, s.String())
		}
	}
}

// TestWatchPlainSaysWhenTheHeartbeatStops: the writer is named with its
// last sign of life; "no heartbeat" is printed once when it falls silent,
// "heartbeat again" when a writer comes back, "no heartbeat" again when
// that one falls silent too; and the watch follows to the run's end.
func TestWatchPlainSaysWhenTheHeartbeatStops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.journal")
	lease := acquire(t, path)
	store := newStore(t, path)
	var out syncBuffer
	done := make(chan journal.State, 1)
	go func() {
		s, err := WatchPlain(context.Background(), path, 20*time.Millisecond, NewPlain(&out), fast...)
		if err != nil {
			t.Error(err)
		}
		done <- s
	}()
	out.waitFor(t, "watching: writer pid "+strconv.Itoa(os.Getpid()), 1)
	out.waitFor(t, "last sign of life 0s ago", 1)

	_ = lease.Release()
	out.waitFor(t, "no heartbeat for", 1)
	if !strings.Contains(out.String(), "the run has stopped") || !strings.Contains(out.String(), "tightrope resume "+path) {
		t.Errorf("the stop is not said plainly:\n%s", out.String())
	}
	lease = acquire(t, path)
	out.waitFor(t, "heartbeat again, the run is live: writer pid", 1)
	appendEvent(t, store, "bob", "", journal.Note, journal.NotePayload{Text: "resumed on the other terminal"})
	out.waitFor(t, "note by bob", 1)
	_ = lease.Release()
	out.waitFor(t, "no heartbeat for", 2)

	appendEvent(t, store, "", "", journal.RunFinished, journal.RunFinishedPayload{Outcome: journal.OutcomeFinished})
	select {
	case s := <-done:
		if s.Outcome != journal.OutcomeFinished {
			t.Errorf("outcome %q", s.Outcome)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WatchPlain did not end with the run")
	}
	if n := strings.Count(out.String(), "no heartbeat"); n != 2 {
		t.Errorf("%d lines say no heartbeat, want one per silence (2):\n%s", n, out.String())
	}
}

// liveSession is a fake watch session with a heartbeat.
type liveSession struct {
	*fakeSession
	live chan Liveness
}

func (l liveSession) Liveness() <-chan Liveness { return l.live }

// TestConsoleShowsTheHeartbeatAndTheStop: the watch console shows the last
// sign of life while the writer beats; once it is silent, it says the run
// stopped and how to resume it, and the elapsed clock stops with it.
func TestConsoleShowsTheHeartbeatAndTheStop(t *testing.T) {
	sess := liveSession{fakeSession: newFakeSession(), live: make(chan Liveness)}
	m := New(sess, Options{Mode: ModeWatch, Now: fixedNow})
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = update(t, m, stateMsg{State: copyState()})
	if m.waitForLiveness() == nil {
		t.Fatal("a LivenessSource session is not read")
	}
	writer := journal.LeaseInfo{Host: "db1", PID: 4242, Operator: "alice", Started: t0, Heartbeat: fixedNow().Add(-3 * time.Second)}
	m = update(t, m, livenessMsg{Liveness{Journal: "run.journal", Writer: writer, LastSign: writer.Heartbeat}})
	mustContain(t, m, "last sign of life 3s ago", "0:32:10")
	mustNotContain(t, m, "no heartbeat")

	writer.Heartbeat = fixedNow().Add(-23 * time.Second)
	m = update(t, m, livenessMsg{Liveness{Journal: "run.journal", Writer: writer, LastSign: writer.Heartbeat, Stopped: true}})
	mustContain(t, m, "the run has stopped: no heartbeat for 23s (pid 4242 on host db1)",
		"resume it with `tightrope resume run.journal`", "stopped — no heartbeat for 23s", "0:31:47")
	mustNotContain(t, m, "last sign of life")

	m = update(t, m, livenessMsg{Liveness{Journal: "run.journal", Writer: writer, LastSign: fixedNow()}})
	mustNotContain(t, m, "no heartbeat")
	mustContain(t, m, "last sign of life 0s ago")
}
