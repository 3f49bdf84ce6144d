package journal

import (
	"encoding/json"
	"math"
)

// Progress samples are most of a long run's journal (one a second per
// table), so their payload has a decoder of its own: a single pass over
// the canonical JSON the store writes (keys sorted, no spaces, integers,
// a plain ASCII table name). Anything else — an escape, a non-ASCII byte,
// a key the struct lacks, a repeated key, a null, a fraction, an overflow,
// a space — goes to encoding/json, so the result and the errors are
// always json.Unmarshal's.

// progressSpec decodes ProgressPayload, fast for the canonical form.
func progressSpec() payloadSpec {
	slow := payload[ProgressPayload]()
	return payloadSpec{decode: func(raw json.RawMessage) (any, error) {
		if p, ok := fastProgress(raw); ok {
			return p, nil
		}
		return slow.decode(raw)
	}}
}

// fastProgress parses the canonical form of a ProgressPayload; ok is false
// for anything it does not handle exactly as encoding/json would.
func fastProgress(b []byte) (p ProgressPayload, ok bool) {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return p, false
	}
	var seen uint8
	i := 1
	if b[i] == '}' {
		return p, i == len(b)-1
	}
	for {
		key, n, ok := plainBytes(b, i) // compared without a string made of it
		if !ok || n >= len(b) || b[n] != ':' {
			return p, false
		}
		i = n + 1
		var bit uint8
		var dst *int64
		switch string(key) {
		case "bytes":
			bit, dst = 1, &p.Bytes
		case "elapsed_ms":
			bit, dst = 2, &p.ElapsedMS
		case "read":
			bit, dst = 4, &p.Read
		case "rejected":
			bit, dst = 8, &p.Rejected
		case "total":
			bit, dst = 16, &p.Total
		case "written":
			bit, dst = 32, &p.Written
		case "table":
			bit = 64
			s, n, ok := plainString(b, i)
			if !ok {
				return p, false
			}
			p.Table, i = s, n
		case "total_exact":
			bit = 128
			switch {
			case hasAt(b, i, "true"):
				p.TotalExact, i = true, i+4
			case hasAt(b, i, "false"):
				p.TotalExact, i = false, i+5
			default:
				return p, false
			}
		default:
			return p, false
		}
		if seen&bit != 0 {
			return p, false
		}
		seen |= bit
		if dst != nil {
			v, n, ok := plainInt(b, i)
			if !ok {
				return p, false
			}
			*dst, i = v, n
		}
		switch {
		case i >= len(b):
			return p, false
		case b[i] == ',':
			i++
		case b[i] == '}':
			return p, i == len(b)-1
		default:
			return p, false
		}
	}
}

// plainString reads a JSON string at b[i] made of printable ASCII without
// escapes, and returns it with the index after its closing quote.
func plainString(b []byte, i int) (string, int, bool) {
	s, n, ok := plainBytes(b, i)
	return string(s), n, ok
}

// plainBytes is plainString's text as the bytes of b it lies in.
func plainBytes(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// plainInt reads a JSON integer at b[i] (an optional minus, digits, no
// leading zero, no fraction or exponent) that fits an int64.
func plainInt(b []byte, i int) (int64, int, bool) {
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	start := i
	var v uint64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, 0, false
		}
		v = v*10 + d
	}
	switch {
	case i == start, i-start > 1 && b[start] == '0':
		return 0, 0, false
	case i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E'):
		return 0, 0, false
	case !neg && v > math.MaxInt64, neg && v > math.MaxInt64+1:
		return 0, 0, false
	}
	if neg {
		return -int64(v), i, true // v == MaxInt64+1 wraps to MinInt64, as intended
	}
	return int64(v), i, true
}

// hasAt reports whether b holds word at i.
func hasAt(b []byte, i int, word string) bool {
	return len(b)-i >= len(word) && string(b[i:i+len(word)]) == word
}
