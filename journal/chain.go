package journal

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"strings"
	"time"
)

// chainTag is the domain separation tag hashed first into every event hash.
const chainTag = "tightrope/journal/v1"

// zeroHash is the prev_hash of seq 1.
var zeroHash = strings.Repeat("0", 64)

// chainHash is the hex sha256 of an event: the domain tag, then seq (8
// bytes, big-endian), prev_hash, at (the stored RFC3339Nano text), actor,
// step_id, type and payload, each written as an 8-byte big-endian length
// followed by its bytes, so no two different events encode alike.
func chainHash(seq int64, prev, at, actor, stepID, typ string, payload []byte) string {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	writeField(h, []byte(chainTag))
	writeField(h, n[:])
	for _, f := range []string{prev, at, actor, stepID, typ} {
		writeField(h, []byte(f))
	}
	writeField(h, payload)
	return hex.EncodeToString(h.Sum(nil))
}

// writeField writes one length-prefixed field.
func writeField(h hash.Hash, p []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(p)))
	h.Write(n[:])
	h.Write(p)
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Events    int64  // events in the file
	BrokenSeq int64  // first seq whose link does not hold; 0 when the chain is whole
	Reason    string // why BrokenSeq is broken
	Head      string // hash of the last event of the unbroken chain: write it down to detect a truncated tail later

	Chain      string // ChainSHA256 or ChainHMAC, as the journal declares in run_started
	KeyID      string // the declared key's public id (ChainHMAC only)
	KeyChecked bool   // every hash was checked as an HMAC under the key given
	KeyProblem string // why the key given and the journal do not go together; "" when they do
	Truncated  string // why the head seal and the end of the chain disagree (ChainHMAC with the key); "" when they agree

	Rejects       int64  // reject rows checked
	RejectsReason string // first reject batch not bound to the chain; "" when all are
}

// OK reports whether the chain is whole, checked with the key when the
// journal is keyed, its seal matches its end, and every reject row is bound
// to it.
func (r VerifyReport) OK() bool {
	return r.BrokenSeq == 0 && r.RejectsReason == "" && r.KeyProblem == "" && r.Truncated == ""
}

// String is the one-line verdict `tightrope journal verify` prints.
func (r VerifyReport) String() string {
	var b strings.Builder
	switch {
	case r.BrokenSeq != 0:
		fmt.Fprintf(&b, "BROKEN at seq %d: %s (%d events in the file)", r.BrokenSeq, r.Reason, r.Events)
	case r.KeyProblem != "":
		fmt.Fprintf(&b, "NOT VERIFIED: %s (%d events, head %s)", r.KeyProblem, r.Events, r.Head)
	case r.Truncated != "":
		fmt.Fprintf(&b, "TRUNCATED: %s", r.Truncated)
	default:
		fmt.Fprintf(&b, "OK: %d events, head %s", r.Events, r.Head)
		if r.KeyChecked {
			fmt.Fprintf(&b, " (%s chain, key %s, seal matches)", ChainHMAC, r.KeyID)
		}
	}
	switch {
	case r.RejectsReason != "":
		fmt.Fprintf(&b, "; REJECTS NOT BOUND: %s", r.RejectsReason)
	case r.Rejects > 0:
		fmt.Fprintf(&b, "; %d reject rows bound to the chain", r.Rejects)
	}
	return b.String()
}

// Verify opens the journal read-only and recomputes its hash chain from seq
// 1. It reports the first broken seq: a changed byte in any field, a missing
// event (a gap), events out of order, a first event that is not RunStarted.
// Verify also recomputes the digest of every reject batch and checks a
// chained rows_rejected event carries it. The error is for a file that
// cannot be read as a journal; a broken chain is reported in the result.
//
// An unkeyed (sha256) chain can be recomputed by anyone: it catches edits
// that were not re-chained, and a truncated tail is still a valid chain, so
// compare Events or Head with a value recorded elsewhere (a notification, a
// report, a ticket). A keyed journal (WithKey at Create) is checked only
// with its key (opts: WithKey): without it, or with another key, the result
// is not OK and says so (KeyProblem), and a key given for an unkeyed journal
// is not OK either (a keyed journal stripped and re-chained looks like
// that). With the key, a rewritten or re-chained history breaks at its first
// changed event, and events cut from the end are caught by the head seal
// (Truncated), unless an older copy of the whole file or its seal was put
// back: only a head recorded outside the machine catches that.
func Verify(path string, opts ...Option) (VerifyReport, error) {
	return VerifyScan(context.Background(), path, nil, nil, opts...)
}

// VerifyScan is Verify that also hands every event (decoded, as
// ScanDecoded does) to onEvent and every reject row to onReject, in the
// same single read of the file: a reader that needs the verdict and the
// contents (the report) reads the journal once. Either callback may be
// nil. The events are handed over whatever the verdict, a broken chain
// included; a callback's error ends the walk and is returned.
func VerifyScan(ctx context.Context, path string, onEvent func(e Event, payload any, err error) error, onReject func(RejectRecord) error, opts ...Option) (VerifyReport, error) {
	var o Store
	for _, f := range opts {
		f(&o)
	}
	db, err := openRead(path)
	if err != nil {
		return VerifyReport{}, err
	}
	defer db.Close()
	var res VerifyReport
	bound, last, err := verifyChain(ctx, db, o.key, &res, onEvent)
	if err != nil {
		return res, fmt.Errorf("journal %s: verify: %w", path, err)
	}
	if res.KeyChecked && res.BrokenSeq == 0 {
		if res.Truncated, err = checkSeal(ctx, db, o.key, last, res.Head); err != nil {
			return res, fmt.Errorf("journal %s: verify seal: %w", path, err)
		}
	}
	if err := verifyRejects(ctx, db, bound, &res, onReject); err != nil {
		return res, fmt.Errorf("journal %s: verify rejects: %w", path, err)
	}
	return res, nil
}

// keyFor decides, from seq 1's declared chain and the key given, which key
// checks the hashes (nil: plain sha256) and whether hashes can be checked at
// all; it records the declaration and any key problem in res.
func keyFor(first rawEvent, key []byte, res *VerifyReport) (mac []byte, check bool, err error) {
	kind, id, err := chainOf(first.payload)
	if err != nil {
		return nil, false, err
	}
	res.Chain, res.KeyID = kind, id
	switch {
	case kind == ChainSHA256 && len(key) > 0:
		res.KeyProblem = "a key was given but this journal's chain is unkeyed sha256: it was written without a key, or stripped of its key and re-chained"
		return nil, true, nil
	case kind == ChainSHA256:
		return nil, true, nil
	case len(key) == 0:
		res.KeyProblem = fmt.Sprintf("this journal's chain is keyed (%s, key %s): give its key (TIGHTROPE_JOURNAL_KEY, TIGHTROPE_JOURNAL_KEY_FILE or --key-file) to verify it; only its order and links were checked", ChainHMAC, id)
		return nil, false, nil
	case KeyID(key) != id:
		res.KeyProblem = fmt.Sprintf("the key given (%s) is not the key this journal declares (%s): a wrong key, or a journal re-keyed by someone else; only its order and links were checked", KeyID(key), id)
		return nil, false, nil
	}
	res.KeyChecked = true
	return key, true, nil
}

// verifyChain walks the events in seq order and fills res. It returns the
// rows digests named by rows_rejected events of the unbroken chain and the
// last seq of that chain.
func verifyChain(ctx context.Context, db *sql.DB, key []byte, res *VerifyReport, onEvent func(Event, any, error) error) (map[string]int64, int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	raws := make(chan []rawEvent, scanDepth)
	readErr := make(chan error, 1)
	go func() { // the rows are read while the previous ones are hashed
		defer close(raws)
		readErr <- readPacked(ctx, db, scanQuery(scanDecode), []any{0, math.MaxInt64}, raws)
	}()
	// With onEvent, the hashed rows go on to be parsed and decoded on a
	// third goroutine, and to onEvent on a fourth.
	var tee chan []rawEvent
	parseErr, eventErr := make(chan error, 1), make(chan error, 1)
	if onEvent != nil {
		tee = make(chan []rawEvent, scanDepth)
		evs := make(chan []decoded, scanDepth)
		go func() {
			defer close(evs)
			err := parseRaw(ctx, tee, true, evs)
			if err != nil {
				cancel()
			}
			parseErr <- err
		}()
		go func() {
			var err error
			for batch := range evs {
				for _, d := range batch {
					if err == nil {
						if err = onEvent(d.ev, d.payload, d.err); err != nil {
							cancel()
						}
					}
				}
			}
			eventErr <- err
		}()
	}
	forward := func(batch []rawEvent) {
		if tee != nil {
			select {
			case tee <- batch:
			case <-ctx.Done():
			}
		}
	}
	finish := func() error { // waits for the onEvent stages
		if tee == nil {
			return nil
		}
		close(tee)
		if err := <-eventErr; err != nil {
			<-parseErr
			return err
		}
		return <-parseErr
	}
	bound := map[string]int64{}
	prev, want := zeroHash, int64(1)
	var mac []byte
	check := true
	broken := func(seq int64, format string, args ...any) {
		if res.BrokenSeq == 0 {
			res.BrokenSeq, res.Reason = seq, fmt.Sprintf(format, args...)
		}
	}
	for batch := range raws {
		for _, r := range batch {
			res.Events++
			if res.BrokenSeq != 0 {
				continue
			}
			if r.seq == 1 && Type(r.typ) == RunStarted {
				var err error
				if mac, check, err = keyFor(r, key, res); err != nil {
					broken(1, "run_started: %v", err)
					continue
				}
			}
			switch {
			case r.seq != want:
				broken(want, "seq %d is missing or out of place (found seq %d)", want, r.seq)
			case r.prev != prev:
				broken(r.seq, "prev_hash does not match the hash of seq %d (event removed, reordered or rewritten)", r.seq-1)
			case check && eventHash(mac, r.seq, r.prev, r.at, r.actor, r.stepID, r.typ, r.payload) != r.hash:
				broken(r.seq, "hash mismatch: the event was changed after it was written")
			case r.seq == 1 && Type(r.typ) != RunStarted:
				broken(r.seq, "first event is %q, not %q", r.typ, RunStarted)
			default:
				if _, err := time.Parse(time.RFC3339Nano, r.at); err != nil {
					broken(r.seq, "bad timestamp %q", r.at)
					continue
				}
				if Type(r.typ) == RowsRejected {
					var p RejectsPayload
					if json.Unmarshal(r.payload, &p) == nil && p.RowsSHA256 != "" {
						bound[p.RowsSHA256] = r.seq
					}
				}
				prev, res.Head = r.hash, r.hash
				want++
			}
		}
		forward(batch)
	}
	eerr := finish()
	if err := <-readErr; err != nil && eerr == nil {
		return nil, 0, err
	}
	if eerr != nil {
		return nil, 0, eerr
	}
	if res.Events == 0 {
		broken(1, "the journal holds no events")
	}
	return bound, want - 1, nil
}

// rawEvent is an events row as stored, before parsing.
type rawEvent struct {
	seq                                int64
	at, actor, stepID, typ, prev, hash string
	payload                            []byte
}

func (r rawEvent) event() (Event, error) {
	at, err := time.Parse(time.RFC3339Nano, r.at)
	if err != nil {
		return Event{}, fmt.Errorf("seq %d: bad timestamp %q: %w", r.seq, r.at, err)
	}
	return Event{
		Seq: r.seq, At: at, Actor: r.actor, StepID: r.stepID, Type: Type(r.typ),
		Payload: json.RawMessage(r.payload), PrevHash: r.prev, Hash: r.hash,
	}, nil
}

// verifyRejects regroups the reject rows by batch, recomputes each batch's
// digest and checks the chain names it.
func verifyRejects(ctx context.Context, db *sql.DB, bound map[string]int64, res *VerifyReport, onReject func(RejectRecord) error) error {
	fail := func(format string, args ...any) {
		if res.RejectsReason == "" {
			res.RejectsReason = fmt.Sprintf(format, args...)
		}
	}
	seen := map[string]bool{}
	var batch []RejectRecord // the rows of one batch, contiguous by id
	check := func() {
		if len(batch) == 0 {
			return
		}
		first, last, digest := batch[0].ID, batch[len(batch)-1].ID, batch[0].Batch
		switch {
		case seen[digest]:
			fail("reject rows of batch %s are not contiguous (ids %d..)", digest, first)
		case rejectsDigest(batch) != digest:
			fail("reject rows %d..%d do not match their digest %s (changed, added or removed)", first, last, digest)
		case bound[digest] == 0:
			fail("reject rows %d..%d (digest %s) are named by no rows_rejected event: written by hand, or a crash before the event", first, last, digest)
		}
		seen[digest] = true
		batch = batch[:0]
	}
	err := eachReject(ctx, db, func(r RejectRecord) error {
		res.Rejects++
		if len(batch) > 0 && r.Batch != batch[0].Batch {
			check()
		}
		batch = append(batch, r)
		if onReject != nil {
			return onReject(r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	check()
	var missing struct {
		seq    int64
		digest string
	}
	for digest, seq := range bound {
		if !seen[digest] && (missing.seq == 0 || seq < missing.seq) {
			missing.seq, missing.digest = seq, digest
		}
	}
	if missing.seq != 0 {
		fail("rows_rejected event seq %d names reject rows (digest %s) that are not in the rejects table", missing.seq, missing.digest)
	}
	return nil
}
