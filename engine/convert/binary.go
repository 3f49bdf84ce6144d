package convert

import (
	"math/bits"
)

// toBinary converts to a Binary column: bytes as they are, text as its
// UTF-8 bytes. Length is in bytes. A BINARY(n) value is never padded
// (MySQL pads it with zero bytes; Canonical ignores trailing zero bytes of
// fixed binaries). A MySQL BIT(n) column (Bits > 0) takes bytes or a
// non-negative integer that fits n bits, and gets exactly (n+7)/8
// big-endian bytes.
func toBinary(n any, t *Type) (any, *Reject) {
	if t.Bits > 0 {
		return toBits(n, t)
	}
	var b []byte
	switch x := n.(type) {
	case []byte:
		b = x
	case string:
		b = []byte(x)
		n = b
	default:
		return nil, rejectf(ReasonNotBinary, t, n, "is not binary data")
	}
	if t.Length > 0 && len(b) > t.Length {
		return nil, rejectf(ReasonTooLong, t, n, "is %d bytes long, more than the %d the column allows", len(b), t.Length)
	}
	return n, nil
}

// toBits converts to a MySQL BIT(n) column.
func toBits(n any, t *Type) (any, *Reject) {
	size := (t.Bits + 7) / 8
	var v []byte
	switch x := n.(type) {
	case []byte:
		v = x
	case string:
		v = []byte(x)
	case bool:
		if x {
			v = []byte{1}
		} else {
			v = []byte{0}
		}
	case int64:
		if x < 0 {
			return nil, rejectf(ReasonOutOfRange, t, n, "is negative; a BIT column holds only non-negative values")
		}
		var be [8]byte
		for i := range be {
			be[i] = byte(uint64(x) >> (56 - 8*i))
		}
		v = be[:]
	case uint64:
		var be [8]byte
		for i := range be {
			be[i] = byte(x >> (56 - 8*i))
		}
		v = be[:]
	default:
		return nil, rejectf(ReasonNotBinary, t, n, "is not a bit value")
	}
	for len(v) > 0 && v[0] == 0 {
		v = v[1:]
	}
	width := 0
	if len(v) > 0 {
		width = (len(v)-1)*8 + bits.Len8(v[0])
	}
	if width > t.Bits {
		return nil, rejectf(ReasonOutOfRange, t, n, "needs %d bits, more than the %d the column holds", width, t.Bits)
	}
	if b, ok := n.([]byte); ok && len(b) == size {
		return n, nil
	}
	out := make([]byte, size)
	copy(out[size-len(v):], v)
	return out, nil
}
