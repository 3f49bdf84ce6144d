package journal

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifyIntactChain(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	evs := appendLogs(t, s, 20)
	res := mustVerify(t, path)
	if !res.OK() || res.Events != 21 || res.BrokenSeq != 0 {
		t.Fatalf("Verify = %+v, want OK with 21 events", res)
	}
	if res.Head != evs[len(evs)-1].Hash {
		t.Errorf("Head = %s, want the hash of seq 21 %s", res.Head, evs[len(evs)-1].Hash)
	}
	if !strings.HasPrefix(res.String(), "OK: 21 events") {
		t.Errorf("String() = %q", res.String())
	}
	if first := s.First(); first.Seq != 1 || first.Type != RunStarted || first.PrevHash != zeroHash || evs[0].PrevHash != first.Hash {
		t.Errorf("First() = %+v, not seq 1 chained to seq 2", first)
	}
}

func TestVerifyNamesTheChangedEvent(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ field, set string }{
		{"payload_json", `replace(payload_json, 'hello', 'jello')`}, // one byte
		{"at", `replace(at, '09:0', '09:1')`},
		{"actor", `'mallory'`},
		{"step_id", `'other'`},
		{"type", `'note'`},
		{"prev_hash", `'0' || substr(prev_hash, 2)`},
		{"hash", `'0' || substr(hash, 2)`},
	} {
		t.Run(c.field, func(t *testing.T) {
			s, path := newJournal(t)
			appendLogs(t, s, 10)
			tamper(t, path, `UPDATE events SET `+c.field+` = `+c.set+` WHERE seq = 7`)
			res := mustVerify(t, path)
			if res.BrokenSeq != 7 || res.OK() {
				t.Fatalf("Verify = %+v, want broken at seq 7", res)
			}
			if res.Events != 11 {
				t.Errorf("Events = %d, want 11", res.Events)
			}
		})
	}
}

func TestVerifyCatchesARewriteWithItsOwnHash(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	appendLogs(t, s, 10)
	db := rawDB(t, path)
	var r rawEvent
	if err := db.QueryRow(`SELECT seq, at, actor, step_id, type, payload_json, prev_hash, hash FROM events WHERE seq = 5`).
		Scan(&r.seq, &r.at, &r.actor, &r.stepID, &r.typ, &r.payload, &r.prev, &r.hash); err != nil {
		t.Fatal(err)
	}
	forged := []byte(`{"line":"all good","stream":"stdout"}`)
	h := chainHash(r.seq, r.prev, r.at, r.actor, r.stepID, r.typ, forged)
	tamper(t, path, `UPDATE events SET payload_json = '`+string(forged)+`', hash = '`+h+`' WHERE seq = 5`)
	if res := mustVerify(t, path); res.BrokenSeq != 6 {
		t.Fatalf("Verify = %+v, want broken at seq 6 (its prev_hash no longer matches)", res)
	}
}

func TestVerifyDetectsDeletedEvent(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	appendLogs(t, s, 10)
	tamper(t, path, `DELETE FROM events WHERE seq = 5`)
	res := mustVerify(t, path)
	if res.BrokenSeq != 5 || !strings.Contains(res.Reason, "missing") {
		t.Fatalf("Verify = %+v, want seq 5 missing", res)
	}
	if res.Events != 10 {
		t.Errorf("Events = %d, want 10", res.Events)
	}
}

func TestVerifyDetectsSwappedEvents(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	appendLogs(t, s, 10)
	tamper(t, path,
		`UPDATE events SET seq = 1000 WHERE seq = 4`,
		`UPDATE events SET seq = 4 WHERE seq = 5`,
		`UPDATE events SET seq = 5 WHERE seq = 1000`)
	if res := mustVerify(t, path); res.BrokenSeq != 4 {
		t.Fatalf("Verify = %+v, want broken at seq 4", res)
	}
}

func TestVerifyAcceptsTruncatedTailAndCountsIt(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	evs := appendLogs(t, s, 10)
	tamper(t, path, `DELETE FROM events WHERE seq > 9`)
	res := mustVerify(t, path)
	if !res.OK() || res.Events != 9 {
		t.Fatalf("Verify = %+v, want OK with 9 events", res)
	}
	if res.Head != evs[7].Hash { // evs[0] is seq 2
		t.Errorf("Head = %s, want the hash of seq 9", res.Head)
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	appendLogs(t, s, 2)
	db := rawDB(t, path)
	for _, q := range []string{
		`UPDATE events SET actor = 'mallory' WHERE seq = 2`,
		`DELETE FROM events WHERE seq = 3`,
	} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only", q, err)
		}
	}
	if res := mustVerify(t, path); !res.OK() || res.Events != 3 {
		t.Fatalf("Verify = %+v", res)
	}
}

func TestOpenWriterResumesAndRefusesBrokenChain(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	evs := appendLogs(t, s, 3)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	w, err := OpenWriter(path, WithClock(testClock()))
	if err != nil {
		t.Fatalf("OpenWriter: %v", err)
	}
	ev, err := w.Append(context.Background(), "bob", "", RunResumed, RunResumedPayload{Operator: "bob", FromSeq: 4})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Seq != 5 || ev.PrevHash != evs[2].Hash || w.First().Type != RunStarted {
		t.Errorf("resumed event %+v does not continue the chain", ev)
	}
	_ = w.Close()
	if res := mustVerify(t, path); !res.OK() || res.Events != 5 {
		t.Fatalf("Verify = %+v", res)
	}

	tamper(t, path, `UPDATE events SET actor = 'mallory' WHERE seq = 3`)
	if _, err := OpenWriter(path); !errors.Is(err, ErrChainBroken) {
		t.Fatalf("OpenWriter on a tampered journal: err = %v, want ErrChainBroken", err)
	}
}

func TestCreateRefusesExistingFile(t *testing.T) {
	t.Parallel()
	_, path := newJournal(t)
	if _, err := Create(path, RunStartedPayload{RunbookText: testRunbook}, "alice"); !errors.Is(err, ErrExists) {
		t.Fatalf("Create over an existing journal: err = %v, want ErrExists", err)
	}
	other := filepath.Join(t.TempDir(), "x.journal")
	if _, err := Create(other, RunStartedPayload{RunbookText: testRunbook, RunbookSHA256: "abc"}, "alice"); err == nil {
		t.Fatal("Create accepted a runbook_sha256 that does not match the text")
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("a failed Create left %s behind", other)
	}
}

func TestVerifyRejectsNonJournal(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "plain.db")
	db, err := sql.Open("sqlite", fileDSN(path, "rwc"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	if _, err := Verify(path); !errors.Is(err, ErrNotJournal) {
		t.Fatalf("Verify(plain sqlite) err = %v, want ErrNotJournal", err)
	}
	if _, err := Verify(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("Verify of a missing file succeeded")
	}
}

func TestChainHashFieldsAreUnambiguous(t *testing.T) {
	t.Parallel()
	a := chainHash(2, zeroHash, "t", "ab", "c", "log", []byte("{}"))
	b := chainHash(2, zeroHash, "t", "a", "bc", "log", []byte("{}"))
	c := chainHash(3, zeroHash, "t", "ab", "c", "log", []byte("{}"))
	if a == b || a == c || len(a) != 64 {
		t.Fatalf("hashes collide or are malformed: %s %s %s", a, b, c)
	}
}
