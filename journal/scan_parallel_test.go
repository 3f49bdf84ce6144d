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

// A journal long enough to be read by several readers (three chunks and a
// part) scans to exactly the events written, in order, decoded as Decode
// does, and folds to the State of the whole journal.
func TestParallelScanStreamsEveryEventInOrder(t *testing.T) {
	t.Parallel()
	path, want := bigJournal(t, 3*scanChunk+123)
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
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("scanned %d events, wrote %d; they differ", len(got), len(want))
	}
	folded, err := FoldFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if whole := Fold(want); !reflect.DeepEqual(folded, whole) {
		t.Errorf("FoldFile differs from Fold of the whole journal:\n%+v\n%+v", folded, whole)
	}
}

// A row that does not parse in a later chunk ends the scan with its error
// once every event before it was handed over, in order; and a callback's
// error stops every reader.
func TestParallelScanStopsInOrder(t *testing.T) {
	t.Parallel()
	path, _ := bigJournal(t, 3*scanChunk+123)
	bad := int64(2*scanChunk + 77) // in the third chunk, read by the first reader
	tamper(t, path, `UPDATE events SET at = 'yesterday' WHERE seq = `+itoa(bad))
	next := int64(1)
	err := Scan(context.Background(), path, func(e Event) error {
		if e.Seq != next {
			t.Fatalf("seq %d after %d", e.Seq, next-1)
		}
		next++
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "seq "+itoa(bad)+": bad timestamp") || next != bad {
		t.Errorf("Scan = %v, last seq %d: want the bad timestamp of seq %d after seq %d", err, next-1, bad, bad-1)
	}

	before := runtime.NumGoroutine()
	stop := errors.New("enough")
	n := 0
	err = Scan(context.Background(), path, func(e Event) error {
		if n++; n == scanChunk+5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != scanChunk+5 {
		t.Fatalf("Scan = %v after %d events, want the callback's error", err, n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after the scan stopped, %d before", g, before)
	}
}
