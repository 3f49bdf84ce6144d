package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testKey = []byte("correct horse battery staple 42")

// rechain rewrites the journal the way someone without the key would: the
// triggers dropped, the payload of every event from seq `from` on passed
// through edit, and every hash from there on recomputed as the plain sha256
// chain, so the links hold again.
func rechain(t *testing.T, path string, from int64, edit func(seq int64, payload string) string) {
	t.Helper()
	db := rawDB(t, path)
	rows, err := db.Query(`SELECT seq, at, actor, step_id, type, payload_json, prev_hash, hash FROM events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var evs []rawEvent
	for rows.Next() {
		var r rawEvent
		if err := rows.Scan(&r.seq, &r.at, &r.actor, &r.stepID, &r.typ, &r.payload, &r.prev, &r.hash); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, r)
	}
	_ = rows.Close()
	_ = db.Close()
	var stmts []string
	prev := zeroHash
	for _, r := range evs {
		if r.seq >= from {
			r.payload = []byte(edit(r.seq, string(r.payload)))
			r.prev = prev
			r.hash = chainHash(r.seq, r.prev, r.at, r.actor, r.stepID, r.typ, r.payload)
			stmts = append(stmts, `UPDATE events SET payload_json = '`+strings.ReplaceAll(string(r.payload), "'", "''")+
				`', prev_hash = '`+r.prev+`', hash = '`+r.hash+`' WHERE seq = `+itoa(r.seq))
		}
		prev = r.hash
	}
	tamper(t, path, stmts...)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func verifyWith(t *testing.T, path string, key []byte) VerifyReport {
	t.Helper()
	res, err := Verify(path, WithKey(key))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return res
}

func TestKeyedJournalVerifiesOnlyWithItsKey(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t, WithKey(testKey))
	evs := appendLogs(t, s, 10)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	res := verifyWith(t, path, testKey)
	if !res.OK() || !res.KeyChecked || res.Chain != ChainHMAC || res.Events != 11 || res.Head != evs[9].Hash {
		t.Fatalf("Verify with the key = %+v, want OK, key checked, 11 events, head of seq 11", res)
	}
	if want := "OK: 11 events, head " + evs[9].Hash + " (hmac-sha256 chain, key " + KeyID(testKey); !strings.HasPrefix(res.String(), want) {
		t.Errorf("String() = %q, want prefix %q", res.String(), want)
	}
	if evs[9].Hash == chainHash(evs[9].Seq, evs[9].PrevHash, evs[9].At.Format(time.RFC3339Nano), evs[9].Actor, evs[9].StepID, string(evs[9].Type), evs[9].Payload) {
		t.Error("a keyed journal's hash is the plain sha256 chain hash")
	}

	res = mustVerify(t, path) // no key
	if res.OK() || res.KeyChecked || !strings.Contains(res.KeyProblem, "give its key") || !strings.HasPrefix(res.String(), "NOT VERIFIED: ") {
		t.Fatalf("Verify without the key = %+v (%s), want NOT VERIFIED asking for the key", res, res)
	}
	if !strings.Contains(res.String(), res.Head) || res.Events != 11 {
		t.Errorf("without the key the verdict still names the head and count: %s", res)
	}
	res = verifyWith(t, path, []byte("another key, long enough"))
	if res.OK() || !strings.Contains(res.KeyProblem, "not the key this journal declares") {
		t.Fatalf("Verify with another key = %+v, want a wrong-key problem", res)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, testKey) {
		t.Error("the key is stored in the journal file")
	}
	first, err := Decode(s.First())
	if err != nil {
		t.Fatal(err)
	}
	if p := first.(RunStartedPayload); p.Chain != ChainHMAC || p.KeyID != KeyID(testKey) {
		t.Errorf("run_started declares chain %q key %q", p.Chain, p.KeyID)
	}
}

func TestUnkeyedJournalIsUnchangedAndRefusesAKey(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	evs := appendLogs(t, s, 3)
	if evs[2].Hash != chainHash(evs[2].Seq, evs[2].PrevHash, evs[2].At.Format(time.RFC3339Nano), evs[2].Actor, evs[2].StepID, string(evs[2].Type), evs[2].Payload) {
		t.Error("an unkeyed journal's hash is no longer the plain sha256 chain hash")
	}
	if bytes.Contains(s.First().Payload, []byte(`"chain"`)) {
		t.Errorf("an unkeyed run_started declares a chain: %s", s.First().Payload)
	}
	_ = s.Close()
	if res := mustVerify(t, path); !res.OK() || res.Chain != ChainSHA256 || res.String() != "OK: 4 events, head "+evs[2].Hash {
		t.Fatalf("Verify = %+v (%s)", res, res)
	}
	res := verifyWith(t, path, testKey)
	if res.OK() || !strings.Contains(res.KeyProblem, "unkeyed") {
		t.Fatalf("Verify of an unkeyed journal with a key = %+v, want a key problem", res)
	}
	if _, err := OpenWriter(path, WithKey(testKey)); !errors.Is(err, ErrKey) {
		t.Fatalf("OpenWriter(unkeyed, key) err = %v, want ErrKey", err)
	}
}

func TestKeyCatchesARechainedJournal(t *testing.T) {
	t.Parallel()
	forge := func(_ int64, p string) string { return strings.ReplaceAll(p, "hello world", "all is well") }

	// Unkeyed: a re-chained history verifies, which is why keys exist.
	s, plain := newJournal(t)
	appendLogs(t, s, 10)
	_ = s.Close()
	rechain(t, plain, 5, forge)
	if res := mustVerify(t, plain); !res.OK() {
		t.Fatalf("unkeyed re-chained journal: %+v; the premise of this test is that it verifies", res)
	}

	// Keyed: the same re-chain breaks at its first rewritten event.
	s, path := newJournal(t, WithKey(testKey))
	appendLogs(t, s, 10)
	_ = s.Close()
	rechain(t, path, 5, forge)
	res := verifyWith(t, path, testKey)
	if res.OK() || res.BrokenSeq != 5 || !strings.Contains(res.Reason, "hash mismatch") {
		t.Fatalf("keyed re-chained journal with the key: %+v, want broken at seq 5", res)
	}
	if _, err := OpenWriter(path, WithKey(testKey)); !errors.Is(err, ErrChainBroken) {
		t.Errorf("OpenWriter(re-chained, key) err = %v, want ErrChainBroken", err)
	}

	// Stripped: the key declaration removed and the whole chain recomputed
	// as plain sha256, seal dropped. It now looks unkeyed; with the key it
	// is refused, and resuming it with the key is too.
	s, stripped := newJournal(t, WithKey(testKey))
	appendLogs(t, s, 4)
	_ = s.Close()
	rechain(t, stripped, 1, func(seq int64, p string) string {
		if seq == 1 {
			var m map[string]any
			if err := json.Unmarshal([]byte(p), &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "chain")
			delete(m, "key_id")
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			p = string(b)
		}
		return forge(seq, p)
	})
	tamper(t, stripped, `DROP TABLE seal`)
	if res := mustVerify(t, stripped); !res.OK() {
		t.Fatalf("stripped journal without a key: %+v; it is a valid unkeyed chain", res)
	}
	if res := verifyWith(t, stripped, testKey); res.OK() || !strings.Contains(res.KeyProblem, "stripped of its key") {
		t.Fatalf("stripped journal with the key: %+v, want a key problem", res)
	}
	if _, err := OpenWriter(stripped, WithKey(testKey)); !errors.Is(err, ErrKey) {
		t.Errorf("OpenWriter(stripped, key) err = %v, want ErrKey", err)
	}
}

// finishedKeyedRun is a keyed journal of a run that ended: 5 logs, then
// run_finished at seq 7.
func finishedKeyedRun(t *testing.T) (string, []Event) {
	t.Helper()
	s, path := newJournal(t, WithKey(testKey))
	evs := appendLogs(t, s, 5)
	fin, err := s.Append(context.Background(), "alice", "", RunFinished, RunFinishedPayload{Outcome: OutcomeFinished})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if res := verifyWith(t, path, testKey); !res.OK() || res.Events != 7 {
		t.Fatalf("Verify = %+v", res)
	}
	return path, append(evs, fin)
}

func TestKeyedTruncatedTailIsReported(t *testing.T) {
	t.Parallel()
	path, evs := finishedKeyedRun(t)
	tamper(t, path, `DELETE FROM events WHERE seq = 7`) // run_finished cut: the run looks resumable
	res := verifyWith(t, path, testKey)
	if res.OK() || res.BrokenSeq != 0 || res.Events != 6 {
		t.Fatalf("Verify = %+v, want not OK, chain whole, 6 events", res)
	}
	if !strings.Contains(res.Truncated, "ends at seq 6 but its seal names seq 7") || !strings.Contains(res.Truncated, evs[5].Hash) {
		t.Errorf("Truncated = %q, want the seal's seq 7 and head", res.Truncated)
	}
	if !strings.HasPrefix(res.String(), "TRUNCATED: ") {
		t.Errorf("String() = %q", res.String())
	}
	if _, err := OpenWriter(path, WithKey(testKey)); !errors.Is(err, ErrChainBroken) {
		t.Fatalf("OpenWriter on a cut journal: err = %v, want ErrChainBroken", err)
	}
}

func TestKeyedSealCannotBeRemovedOrForged(t *testing.T) {
	t.Parallel()
	path, _ := finishedKeyedRun(t)
	tamper(t, path, `DELETE FROM events WHERE seq = 7`, `DELETE FROM seal`)
	if res := verifyWith(t, path, testKey); res.OK() || !strings.Contains(res.Truncated, "seal is missing") {
		t.Fatalf("seal removed: %+v", res)
	}
	path, evs := finishedKeyedRun(t)
	tamper(t, path, `DELETE FROM events WHERE seq = 7`,
		`UPDATE seal SET seq = 6, hash = '`+evs[4].Hash+`'`) // the new end, but no MAC for it
	if res := verifyWith(t, path, testKey); res.OK() || !strings.Contains(res.Truncated, "valid MAC") {
		t.Fatalf("seal moved without the key: %+v", res)
	}
	path, _ = finishedKeyedRun(t)
	tamper(t, path, `DROP TABLE seal`)
	if res := verifyWith(t, path, testKey); res.OK() || !strings.Contains(res.Truncated, "seal is missing") {
		t.Fatalf("seal table dropped: %+v", res)
	}
}

// TestKeyedSealRollbackIsTheDocumentedLimit pins down what the key cannot
// do: a seal saved from an earlier moment and put back with the cut makes a
// valid, shorter journal. Only the head recorded elsewhere (a notification)
// tells it from the real end.
func TestKeyedSealRollbackIsTheDocumentedLimit(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t, WithKey(testKey))
	evs := appendLogs(t, s, 5)
	var seq int64
	var hash, mac string
	if err := rawDB(t, path).QueryRow(`SELECT seq, hash, mac FROM seal`).Scan(&seq, &hash, &mac); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), "alice", "", RunFinished, RunFinishedPayload{Outcome: OutcomeFinished}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	tamper(t, path, `DELETE FROM events WHERE seq = 7`, `UPDATE seal SET seq = `+itoa(seq)+`, hash = '`+hash+`', mac = '`+mac+`'`)
	res := verifyWith(t, path, testKey)
	if !res.OK() || res.Head != evs[4].Hash {
		t.Fatalf("Verify = %+v: the documented limit changed; update docs and this test", res)
	}
}

func TestKeyedOpenWriterNeedsItsKey(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t, WithKey(testKey))
	appendLogs(t, s, 2)
	_ = s.Close()
	if _, err := OpenWriter(path); !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), "give its key") {
		t.Fatalf("OpenWriter(keyed, no key) err = %v, want ErrKey asking for the key", err)
	}
	if _, err := OpenWriter(path, WithKey([]byte("not the right key at all"))); !errors.Is(err, ErrKey) {
		t.Fatalf("OpenWriter(keyed, wrong key) err = %v, want ErrKey", err)
	}
	w, err := OpenWriter(path, WithKey(testKey), WithClock(testClock()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append(context.Background(), "bob", "", RunResumed, RunResumedPayload{Operator: "bob", FromSeq: 4}); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	if res := verifyWith(t, path, testKey); !res.OK() || res.Events != 4 {
		t.Fatalf("Verify after a keyed resume = %+v", res)
	}
}

func TestCreateRefusesAShortKey(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/short.journal"
	_, err := Create(path, RunStartedPayload{RunbookText: testRunbook}, "alice", WithKey([]byte("short")))
	if !errors.Is(err, ErrKey) {
		t.Fatalf("Create with a 5-byte key: err = %v, want ErrKey", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused Create left %s behind", path)
	}
}
