package journal

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawExec runs statements on a journal file directly, as a corruption or
// a hand edit would.
func rawExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestFoldOfAJournalWithAHugeSeqEnds: a row whose seq is far past the
// others (a flipped bit in a rowid, a hand-appended row — an INSERT no
// trigger stops) must not make the fold read billions of empty chunks:
// it ends promptly, and says the journal skips seqs; verify breaks at
// the first seq missing.
func TestFoldOfAJournalWithAHugeSeqEnds(t *testing.T) {
	t.Parallel()
	path, want := bigJournal(t, 3*scanChunk)
	last := want[len(want)-1]
	const huge = int64(1) << 40
	rawExec(t, path, `INSERT INTO events (seq, at, actor, step_id, type, payload_json, prev_hash, hash)
		SELECT `+strconv.FormatInt(huge, 10)+`, at, actor, step_id, type, payload_json, prev_hash, hash FROM events WHERE seq = `+strconv.FormatInt(last.Seq, 10))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	s, err := FoldFile(ctx, path)
	if err != nil {
		t.Fatalf("fold: %v (after %s)", err, time.Since(start))
	}
	if !hasProblem(s, "seq") {
		t.Errorf("the fold of a journal skipping from seq %d to %d says nothing of it: problems %q", last.Seq, huge, s.Problems)
	}
	rep, err := Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.BrokenSeq != last.Seq+1 || !strings.Contains(rep.Reason, strconv.FormatInt(huge, 10)) {
		t.Errorf("verify broke at seq %d (%s), want %d, the first seq missing, naming the row found instead", rep.BrokenSeq, rep.Reason, last.Seq+1)
	}
}

// TestFoldOfAJournalMissingAnEventSaysSo: a row gone from the middle
// (triggers dropped, a row deleted) is not skipped in silence by the
// parallel fold: the state names the missing seq.
func TestFoldOfAJournalMissingAnEventSaysSo(t *testing.T) {
	t.Parallel()
	path, _ := bigJournal(t, 3*scanChunk)
	gone := int64(scanChunk + 7)
	rawExec(t, path, `DROP TRIGGER events_no_delete`, `DELETE FROM events WHERE seq = `+strconv.FormatInt(gone, 10))
	s, err := FoldFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(s, strconv.FormatInt(gone, 10)) {
		t.Errorf("the fold of a journal missing seq %d says nothing of it: problems %q", gone, s.Problems)
	}
}

func hasProblem(s State, word string) bool {
	for _, p := range s.Problems {
		if strings.Contains(p, word) {
			return true
		}
	}
	return false
}

// TestFlippedByteMidJournal: a byte flipped in the file, inside the
// payload of an event in the middle of a journal long enough for the
// parallel reader, is named by verify at that event's seq, and the fold
// still reads every event (none skipped: the flipped one is applied as
// read, the chain being verify's to judge).
func TestFlippedByteMidJournal(t *testing.T) {
	t.Parallel()
	path, want := bigJournal(t, 3*scanChunk)
	var target Event
	for _, e := range want {
		if e.Type == Progress && e.Seq > scanChunk+100 {
			target = e
			break
		}
	}
	rawExec(t, path, "PRAGMA wal_checkpoint(TRUNCATE)") // every page in the file itself
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	needle := []byte(target.Payload)
	i := bytes.Index(b, needle)
	if i < 0 || bytes.Count(b, needle) != 1 {
		t.Fatalf("payload %s of seq %d found %d times in the file", needle, target.Seq, bytes.Count(b, needle))
	}
	j := i + bytes.Index(needle, []byte(`"orders"`)) + 1
	b[j] ^= 0x20 // "orders" → "Orders": still valid JSON
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.BrokenSeq != target.Seq {
		t.Fatalf("verify broke at seq %d (%s), want %d", rep.BrokenSeq, rep.Reason, target.Seq)
	}
	var seen int64
	if err := ScanDecoded(context.Background(), path, func(e Event, _ any, _ error) error {
		seen++
		if e.Seq != seen {
			t.Fatalf("scan handed seq %d as event %d", e.Seq, seen)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if seen != int64(len(want)) {
		t.Fatalf("scanned %d events of %d", seen, len(want))
	}
}
