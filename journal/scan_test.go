package journal

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// bigJournal writes n progress events after seq 1 in batches, more than a
// few scan batches, with reject rows bound every 500 events.
func bigJournal(t *testing.T, n int, opts ...Option) (string, []Event) {
	t.Helper()
	s, path := newJournal(t, opts...)
	all := []Event{s.First()}
	var drafts []Draft
	for i := range n {
		if i%500 == 499 {
			evs, err := s.AppendBatch(context.Background(), drafts)
			if err != nil {
				t.Fatal(err)
			}
			all, drafts = append(all, evs...), drafts[:0]
			ev, err := s.AppendRejects(context.Background(), "engine", "copy", []RejectRow{{Table: "orders", Key: []any{i}, Row: map[string]any{"id": i}, Reason: "r"}},
				RejectsPayload{Table: "orders", ByReason: map[string]int64{"r": 1}})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, ev)
			continue
		}
		drafts = append(drafts, Draft{Actor: "engine", StepID: "copy", Type: Progress, Payload: ProgressPayload{Table: "orders", Read: int64(i), Written: int64(i)}})
	}
	evs, err := s.AppendBatch(context.Background(), drafts)
	if err != nil {
		t.Fatal(err)
	}
	return path, append(all, evs...)
}

func TestScanStreamsEveryEventInOrder(t *testing.T) {
	t.Parallel()
	path, want := bigJournal(t, 3*scanBatch*scanDepth+17)
	var got []Event
	err := ScanDecoded(context.Background(), path, func(e Event, p any, err error) error {
		if err != nil {
			t.Fatalf("seq %d: %v", e.Seq, err)
		}
		if d, _ := Decode(e); !reflect.DeepEqual(d, p) {
			t.Fatalf("seq %d: decoded %+v, Decode %+v", e.Seq, p, d)
		}
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("scanned %d events, wrote %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Seq != want[i].Seq || got[i].Hash != want[i].Hash || !got[i].At.Equal(want[i].At) || string(got[i].Payload) != string(want[i].Payload) {
			t.Fatalf("event %d: scanned %+v, wrote %+v", i, got[i], want[i])
		}
	}
	folded, err := FoldFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if whole := Fold(want); !reflect.DeepEqual(folded, whole) {
		t.Errorf("FoldFile differs from Fold of the whole journal:\n%+v\n%+v", folded, whole)
	}
}

func TestScanStopsAtTheCallbacksErrorAndLeavesNothingRunning(t *testing.T) {
	path, _ := bigJournal(t, 5000)
	before := runtime.NumGoroutine()
	stop := errors.New("enough")
	n := 0
	err := Scan(context.Background(), path, func(e Event) error {
		if n++; n == 700 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 700 {
		t.Fatalf("Scan = %v after %d events, want the callback's error after 700", err, n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after the scan stopped, %d before", g, before)
	}
}

func TestScanEndsAtAnUnreadableRow(t *testing.T) {
	t.Parallel()
	path, _ := bigJournal(t, 3000)
	tamper(t, path, `UPDATE events SET at = 'yesterday' WHERE seq = 2345`)
	last := int64(0)
	err := Scan(context.Background(), path, func(e Event) error { last = e.Seq; return nil })
	if err == nil || !strings.Contains(err.Error(), "seq 2345: bad timestamp") || last != 2344 {
		t.Errorf("Scan = %v, last seq %d: want the bad timestamp of seq 2345 after seq 2344", err, last)
	}
}

func TestStreamedVerifyCatchesAFlippedByte(t *testing.T) {
	t.Parallel()
	path, _ := bigJournal(t, 3000)
	tamper(t, path, `UPDATE events SET payload_json = replace(payload_json, '"read":2221', '"read":2281') WHERE seq = 2223`)
	res := mustVerify(t, path)
	if res.OK() || res.BrokenSeq != 2223 || !strings.Contains(res.Reason, "hash mismatch") || res.Events != 3001 {
		t.Errorf("Verify = %s, want broken at seq 2223 by a hash mismatch, 3001 events", res)
	}
	path2, _ := bigJournal(t, 3000)
	tamper(t, path2, `UPDATE rejects SET row_json = replace(row_json, '2499', '2498') WHERE id = 5`)
	if res := mustVerify(t, path2); res.OK() || res.BrokenSeq != 0 || !strings.Contains(res.RejectsReason, "do not match their digest") {
		t.Errorf("Verify of a changed reject row = %s", res)
	}
}

func TestStreamedVerifyCatchesATruncatedTail(t *testing.T) {
	t.Parallel()
	path, evs := bigJournal(t, 3000, WithKey(testKey))
	tamper(t, path, `DELETE FROM events WHERE seq > 2990`)
	res, err := Verify(path, WithKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || res.BrokenSeq != 0 || res.Events != 2990 || !strings.Contains(res.Truncated, "ends at seq 2990 but its seal names seq 3001") {
		t.Errorf("Verify of a keyed journal cut at seq 2990 = %s", res)
	}
	// Unkeyed, a cut tail is a valid chain: the head tells (documented).
	plain, pevs := bigJournal(t, 3000)
	tamper(t, plain, `DELETE FROM events WHERE seq > 2990`)
	if res := mustVerify(t, plain); res.Events != 2990 || res.Head == pevs[len(pevs)-1].Hash || res.Head != pevs[2989].Hash {
		t.Errorf("Verify of an unkeyed journal cut at seq 2990 = %s, want 2990 events and the head of seq 2990", res)
	}
	_ = evs
}

func TestVerifyScanHandsOverEverythingWithTheVerdict(t *testing.T) {
	path, want := bigJournal(t, 3000)
	tamper(t, path, `UPDATE events SET payload_json = replace(payload_json, '"read":2221', '"read":2281') WHERE seq = 2223`)
	var seqs []int64
	rejects := 0
	res, err := VerifyScan(context.Background(), path, func(e Event, p any, err error) error {
		if d, derr := Decode(e); !reflect.DeepEqual(d, p) || (derr == nil) != (err == nil) {
			t.Fatalf("seq %d: handed %+v, %v; Decode gives %+v, %v", e.Seq, p, err, d, derr)
		}
		seqs = append(seqs, e.Seq)
		return nil
	}, func(RejectRecord) error { rejects++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.BrokenSeq != 2223 || res.Events != int64(len(want)) {
		t.Errorf("VerifyScan verdict = %s, want broken at seq 2223", res)
	}
	if len(seqs) != len(want) || seqs[len(seqs)-1] != want[len(want)-1].Seq || rejects != 6 {
		t.Errorf("handed %d events (last %d) and %d reject rows, want %d events and 6 rows", len(seqs), seqs[len(seqs)-1], rejects, len(want))
	}
	if plain, _ := Verify(path); plain != res {
		t.Errorf("Verify = %s, VerifyScan = %s", plain, res)
	}

	before := runtime.NumGoroutine()
	stop := errors.New("enough")
	n := 0
	_, err = VerifyScan(context.Background(), path, func(Event, any, error) error {
		if n++; n == 900 {
			return stop
		}
		return nil
	}, nil)
	if !errors.Is(err, stop) || n != 900 {
		t.Errorf("VerifyScan = %v after %d events, want the callback's error after 900", err, n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after VerifyScan stopped, %d before", g, before)
	}
}
