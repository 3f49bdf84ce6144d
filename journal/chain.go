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

	Rejects       int64  // reject rows checked
	RejectsReason string // first reject batch not bound to the chain; "" when all are
}

// OK reports whether the chain is whole and every reject row is bound to it.
func (r VerifyReport) OK() bool { return r.BrokenSeq == 0 && r.RejectsReason == "" }

// String is the one-line verdict `tightrope journal verify` prints.
func (r VerifyReport) String() string {
	var b strings.Builder
	if r.BrokenSeq != 0 {
		fmt.Fprintf(&b, "BROKEN at seq %d: %s (%d events in the file)", r.BrokenSeq, r.Reason, r.Events)
	} else {
		fmt.Fprintf(&b, "OK: %d events, head %s", r.Events, r.Head)
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
// A truncated tail is still a valid chain: compare Events or Head with a
// value recorded elsewhere (a report, a ticket) to detect it. Verify also
// recomputes the digest of every reject batch and checks a chained
// rows_rejected event carries it. The error is for a file that cannot be
// read as a journal; a broken chain is reported in the result.
func Verify(path string) (VerifyReport, error) {
	db, err := openRead(path)
	if err != nil {
		return VerifyReport{}, err
	}
	defer db.Close()
	ctx := context.Background()
	var res VerifyReport
	bound, err := verifyChain(ctx, db, &res)
	if err != nil {
		return res, fmt.Errorf("journal %s: verify: %w", path, err)
	}
	if err := verifyRejects(ctx, db, bound, &res); err != nil {
		return res, fmt.Errorf("journal %s: verify rejects: %w", path, err)
	}
	return res, nil
}

// verifyChain walks the events in seq order and fills res. It returns the
// rows digests named by rows_rejected events of the unbroken chain.
func verifyChain(ctx context.Context, db *sql.DB, res *VerifyReport) (map[string]int64, error) {
	rows, err := db.QueryContext(ctx,
		`SELECT seq, at, actor, step_id, type, payload_json, prev_hash, hash FROM events ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	bound := map[string]int64{}
	prev, want := zeroHash, int64(1)
	broken := func(seq int64, format string, args ...any) {
		if res.BrokenSeq == 0 {
			res.BrokenSeq, res.Reason = seq, fmt.Sprintf(format, args...)
		}
	}
	for rows.Next() {
		var r rawEvent
		if err := rows.Scan(&r.seq, &r.at, &r.actor, &r.stepID, &r.typ, &r.payload, &r.prev, &r.hash); err != nil {
			return nil, err
		}
		res.Events++
		if res.BrokenSeq != 0 {
			continue
		}
		switch {
		case r.seq != want:
			broken(want, "seq %d is missing or out of place (found seq %d)", want, r.seq)
		case r.prev != prev:
			broken(r.seq, "prev_hash does not match the hash of seq %d (event removed, reordered or rewritten)", r.seq-1)
		case chainHash(r.seq, r.prev, r.at, r.actor, r.stepID, r.typ, r.payload) != r.hash:
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
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if res.Events == 0 {
		broken(1, "the journal holds no events")
	}
	return bound, nil
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
func verifyRejects(ctx context.Context, db *sql.DB, bound map[string]int64, res *VerifyReport) error {
	recs, err := queryRejects(ctx, db)
	if err != nil {
		return err
	}
	res.Rejects = int64(len(recs))
	fail := func(format string, args ...any) {
		if res.RejectsReason == "" {
			res.RejectsReason = fmt.Sprintf(format, args...)
		}
	}
	seen := map[string]bool{}
	for i := 0; i < len(recs); {
		j := i + 1
		for j < len(recs) && recs[j].Batch == recs[i].Batch {
			j++
		}
		batch := recs[i].Batch
		switch {
		case seen[batch]:
			fail("reject rows of batch %s are not contiguous (ids %d..)", batch, recs[i].ID)
		case rejectsDigest(recs[i:j]) != batch:
			fail("reject rows %d..%d do not match their digest %s (changed, added or removed)", recs[i].ID, recs[j-1].ID, batch)
		case bound[batch] == 0:
			fail("reject rows %d..%d (digest %s) are named by no rows_rejected event: written by hand, or a crash before the event", recs[i].ID, recs[j-1].ID, batch)
		}
		seen[batch] = true
		i = j
	}
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
