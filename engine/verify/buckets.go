package verify

// Buckets: for every other key (text, dates, UUIDs, decimals, composite
// keys), rows are spread over a fixed number of buckets by a hash of their
// canonical key. That needs no order at all — the engines' collations and
// Go's byte order may disagree about text, and then a key range would
// hold different rows on each side — and still localises a difference to
// the few rows of one bucket. The price is in the descent: a bucket is not
// something a database can read on its own, so naming the keys of
// mismatching buckets takes another full read of each side (see descend).

import (
	"encoding/binary"
	"hash/maphash"
	"strings"

	"github.com/tightrope/tightrope/engine/convert"
)

// appendKey appends the canonical form of a key to dst: each value's
// canonical text prefixed with its length, so that no two different keys
// share an encoding. It accepts raw driver values and converted ones alike
// (canonical forms convert first).
func appendKey(dst []byte, vals []any, types []convert.Type) []byte {
	for i, v := range vals {
		at := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		dst = convert.AppendCanonical(dst, v, types[i])
		binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	}
	return dst
}

// appendConvertedKey is appendKey for values Convert returned for types
// (a source row through the plan): the same bytes, without converting the
// values again.
func appendConvertedKey(dst []byte, vals []any, types []convert.Type) []byte {
	for i, v := range vals {
		at := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		dst = convert.AppendConverted(dst, v, types[i])
		binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	}
	return dst
}

// showKey renders an encoded key for people: the canonical values joined
// with commas, as the journal lists mismatching keys. NULL reads "NULL";
// a value its column cannot hold reads as the value it is.
func showKey(enc string) string {
	var parts []string
	for len(enc) >= 4 {
		n := int(binary.BigEndian.Uint32([]byte(enc[:4])))
		enc = enc[4:]
		n = min(n, len(enc))
		part := enc[:n]
		switch {
		case part == "\x00N":
			part = "NULL"
		case strings.HasPrefix(part, "\x00!"): // "\x00!" Go type ":" value
			_, part, _ = strings.Cut(part, ":")
		}
		parts = append(parts, part)
		enc = enc[n:]
	}
	return strings.Join(parts, ",")
}

// bucketOf returns the bucket of an encoded key. The seed is shared by
// both sides of one verify and its descent.
func bucketOf(seed maphash.Seed, enc []byte, n int) int {
	return int(maphash.Bytes(seed, enc) % uint64(n))
}
