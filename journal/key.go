package journal

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Chain kinds, as recorded in RunStartedPayload.Chain ("" means ChainSHA256,
// the kind of every journal written before keys existed).
const (
	// ChainSHA256 is the unkeyed chain: anyone can recompute it, so it
	// detects accidents and edits that were not re-chained, not forgery.
	ChainSHA256 = "sha256"
	// ChainHMAC is the keyed chain: each hash is an HMAC-SHA256 under the
	// journal key, and the head is sealed (see sealSQL).
	ChainHMAC = "hmac-sha256"
)

// MinKeyLen is the shortest journal key accepted, in bytes.
const MinKeyLen = 16

// Tags separating the keyed chain's MACs from each other and from the
// unkeyed chain.
const (
	hmacTag  = "tightrope/journal/hmac/v1"
	keyIDTag = "tightrope/journal/key-id/v1"
	sealTag  = "tightrope/journal/seal/v1"
)

// ErrKey is returned (wrapped) when a journal and the key given do not go
// together: a keyed journal opened without its key or with another key, or
// a key given for a journal written without one.
var ErrKey = errors.New("journal key")

// WithKey makes the chain an HMAC-SHA256 chain under key: Create records the
// chain kind and the key's id (never the key) in run_started; OpenWriter and
// Verify check every event and the head seal with it. A nil or empty key
// changes nothing.
func WithKey(key []byte) Option {
	return func(s *Store) {
		if len(key) > 0 {
			s.key = append([]byte(nil), key...)
		}
	}
}

// CheckKey reports whether key is long enough to be a journal key.
func CheckKey(key []byte) error {
	if len(key) < MinKeyLen {
		return fmt.Errorf("%w: the key is %d bytes; a journal key needs at least %d", ErrKey, len(key), MinKeyLen)
	}
	return nil
}

// KeyID is a short public name of key (a MAC of a fixed text under it): it
// tells a wrong key from a forged journal without revealing the key.
func KeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(keyIDTag))
	return hex.EncodeToString(m.Sum(nil))[:16]
}

// eventHash is the chain hash of an event: chainHash without a key, an
// HMAC-SHA256 under key over the same length-prefixed fields otherwise.
func eventHash(key []byte, seq int64, prev, at, actor, stepID, typ string, payload []byte) string {
	if len(key) == 0 {
		return chainHash(seq, prev, at, actor, stepID, typ, payload)
	}
	m := hmac.New(sha256.New, key)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	writeField(m, []byte(hmacTag))
	writeField(m, n[:])
	for _, f := range []string{prev, at, actor, stepID, typ} {
		writeField(m, []byte(f))
	}
	writeField(m, payload)
	return hex.EncodeToString(m.Sum(nil))
}

// sealSQL creates the head seal of a keyed journal: one row, rewritten in
// the transaction of every append, naming the last seq and its hash under a
// MAC. Cutting events from the end leaves a seal that names an event no
// longer there; a seal cannot be made for the new end without the key.
// (A seal copied from an earlier moment of the file can be put back: only a
// head recorded outside the machine, e.g. by a notification, catches that.)
const sealSQL = `CREATE TABLE seal (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL,
    mac  TEXT    NOT NULL
)`

// sealMAC is the MAC binding a seal to its seq and head hash.
func sealMAC(key []byte, seq int64, head string) string {
	m := hmac.New(sha256.New, key)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	writeField(m, []byte(sealTag))
	writeField(m, n[:])
	writeField(m, []byte(head))
	return hex.EncodeToString(m.Sum(nil))
}

// writeSeal points the seal at ev inside tx.
func writeSeal(ctx context.Context, tx *sql.Tx, key []byte, seq int64, head string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO seal (id, seq, hash, mac) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, mac = excluded.mac`,
		seq, head, sealMAC(key, seq, head))
	if err != nil {
		return fmt.Errorf("journal: seal seq %d: %w", seq, err)
	}
	return nil
}

// checkSeal compares the seal with the end of the unbroken chain (seq
// last, hash head) and returns why they disagree, or "".
func checkSeal(ctx context.Context, db *sql.DB, key []byte, last int64, head string) (string, error) {
	var seq int64
	var hash, mac string
	err := db.QueryRowContext(ctx, `SELECT seq, hash, mac FROM seal WHERE id = 1`).Scan(&seq, &hash, &mac)
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err != nil && strings.Contains(err.Error(), "no such table")):
		return fmt.Sprintf("the head seal is missing (removed by hand); the chain ends at seq %d", last), nil
	case err != nil:
		return "", err
	case !hmac.Equal([]byte(mac), []byte(sealMAC(key, seq, hash))):
		return fmt.Sprintf("the head seal (seq %d) does not carry a valid MAC: it was written without the key", seq), nil
	case seq > last:
		return fmt.Sprintf("the journal ends at seq %d but its seal names seq %d (head %s): events were cut from its end", last, seq, hash), nil
	case seq != last || hash != head:
		return fmt.Sprintf("the seal names seq %d (head %s) but the chain ends at seq %d (head %s)", seq, hash, last, head), nil
	}
	return "", nil
}

// chainOf reads the chain kind and key id a run_started payload declares.
// A payload that does not decode declares nothing (sha256), as journals did
// before keys: if it was keyed, its hash no longer verifies as sha256.
func chainOf(payload []byte) (kind, keyID string, err error) {
	var p struct {
		Chain any    `json:"chain"`
		KeyID string `json:"key_id"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return ChainSHA256, "", nil
	}
	switch p.Chain {
	case nil, "", ChainSHA256:
		return ChainSHA256, "", nil
	case ChainHMAC:
		return ChainHMAC, p.KeyID, nil
	}
	return "", "", fmt.Errorf("unknown chain kind %v: this build cannot verify it", p.Chain)
}

// keyedFirst declares the chain kind of a journal Create is about to write
// in its run_started payload: ChainHMAC and the key's id when opts carry a
// key (checked for length), nothing otherwise.
func keyedFirst(first *RunStartedPayload, opts []Option) error {
	var o Store
	for _, f := range opts {
		f(&o)
	}
	first.Chain, first.KeyID = "", ""
	if len(o.key) == 0 {
		return nil
	}
	if err := CheckKey(o.key); err != nil {
		return err
	}
	first.Chain, first.KeyID = ChainHMAC, KeyID(o.key)
	return nil
}
