package convert

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"sync"
)

// rowDomain separates row hashes from every other sha256 in the project.
const rowDomain = "tightrope/row/v1\x00"

// RowHasher hashes rows, reusing one buffer; it is not safe for concurrent
// use. The zero value is ready.
type RowHasher struct{ buf []byte }

// Sum returns the row hash: sha256 over a domain tag, the number of values
// and each value's canonical form (Canonical) prefixed with its length, so
// that no two different rows share an encoding. types[i] is the column
// type of values[i]; the two must be equally long (it panics otherwise —
// a programming error, never a data error).
func (h *RowHasher) Sum(values []any, types []Type) [32]byte {
	return h.sum(values, types, false)
}

// SumConverted returns the same hash as Sum for values that Convert
// returned for types (as copy's Plan.ConvertRow does), without converting
// them a second time: Convert is idempotent, so Sum would only convert them
// into themselves. A value of a Go type Convert never returns is converted
// as Sum would; any other value that is not Convert's output for its type
// (say, unconverted text into a decimal column) hashes differently from
// Sum's — the caller guarantees it does not pass one.
func (h *RowHasher) SumConverted(values []any, types []Type) [32]byte {
	return h.sum(values, types, true)
}

func (h *RowHasher) sum(values []any, types []Type, converted bool) [32]byte {
	if len(values) != len(types) {
		panic(fmt.Sprintf("convert: RowHash of %d values with %d types", len(values), len(types)))
	}
	b := append(h.buf[:0], rowDomain...)
	b = binary.AppendUvarint(b, uint64(len(values)))
	for i, v := range values {
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		if converted {
			b = appendConvertedOr(b, v, &types[i])
		} else {
			b = appendCanonical(b, v, &types[i])
		}
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	h.buf = b
	return sha256.Sum256(b)
}

var hasherPool = sync.Pool{New: func() any { return new(RowHasher) }}

// RowHash returns the hash of one row (see RowHasher.Sum). Verify and
// snapshots hash rows from different engines with the same column types
// and compare.
func RowHash(values []any, types []Type) [32]byte {
	h := hasherPool.Get().(*RowHasher)
	defer hasherPool.Put(h)
	return h.Sum(values, types)
}

// Checksum is an order-independent checksum of a set of rows: the sum of
// their row hashes as 256-bit integers modulo 2^256, and their count. A sum
// rather than an XOR, so that duplicate rows do not cancel out. Checksums
// of chunks merge; equal checksums compare equal with ==. The zero value
// is the checksum of no rows.
type Checksum struct {
	sum [4]uint64 // little-endian 64-bit limbs
	n   int64
}

// Add adds a row hash.
func (c *Checksum) Add(h [32]byte) {
	var carry uint64
	for i := range c.sum {
		c.sum[i], carry = bits.Add64(c.sum[i], limb(h, i), carry)
	}
	c.n++
}

// Remove takes out a row hash added before (a row deleted after capture).
func (c *Checksum) Remove(h [32]byte) {
	var borrow uint64
	for i := range c.sum {
		c.sum[i], borrow = bits.Sub64(c.sum[i], limb(h, i), borrow)
	}
	c.n--
}

// AddRow adds the hash of one row.
func (c *Checksum) AddRow(values []any, types []Type) { c.Add(RowHash(values, types)) }

// Merge adds the rows of another checksum (of a disjoint chunk).
func (c *Checksum) Merge(o Checksum) {
	var carry uint64
	for i := range c.sum {
		c.sum[i], carry = bits.Add64(c.sum[i], o.sum[i], carry)
	}
	c.n += o.n
}

// limb returns the i-th least significant 64 bits of h read big-endian.
func limb(h [32]byte, i int) uint64 {
	return binary.BigEndian.Uint64(h[32-8*(i+1):])
}

// Count is the number of rows added (minus those removed).
func (c Checksum) Count() int64 { return c.n }

// Sum is the 256-bit sum, big-endian.
func (c Checksum) Sum() [32]byte {
	var out [32]byte
	for i, l := range c.sum {
		binary.BigEndian.PutUint64(out[32-8*(i+1):], l)
	}
	return out
}

// Hex is the sum in 64 lower-case hex digits.
func (c Checksum) Hex() string {
	s := c.Sum()
	return hex.EncodeToString(s[:])
}

// String renders "count:hex", the form ParseChecksum reads back (for
// snapshot labels and journal payloads).
func (c Checksum) String() string { return strconv.FormatInt(c.n, 10) + ":" + c.Hex() }

// ParseChecksum reads the form of Checksum.String.
func ParseChecksum(s string) (Checksum, error) {
	count, sum, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(count, 10, 64)
	raw, herr := hex.DecodeString(sum)
	if !ok || err != nil || herr != nil || len(raw) != 32 {
		return Checksum{}, fmt.Errorf("checksum %q: want count:64-hex-digits", s)
	}
	var c Checksum
	for i := range c.sum {
		c.sum[i] = limb([32]byte(raw), i)
	}
	c.n = n
	return c, nil
}
