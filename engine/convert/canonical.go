package convert

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Markers that no canonical value can equal: canonical text never starts
// with a NUL byte except through these (a value of an untyped column that
// does is escaped with one more NUL).
const (
	nullMarker    = "\x00N" // SQL NULL
	invalidMarker = "\x00!" // a value that does not convert to the type
	bytesMarker   = "\x00x" // bytes that are not UTF-8, in an untyped column
	escapeMarker  = "\x00"  // prefix of untyped text that starts with NUL
)

// Canonical renders a value in the one textual form used by checksums, so
// that equal values from different engines render equal. It accepts raw
// driver values as well as Convert's results, and converts first (NOT
// NULL aside): "12.30" read from MySQL and 12.3 read from SQLite into a
// numeric(10,2) both render "12.3". Forms:
//
//   - NULL: "\x00N", which no other value renders as;
//   - integers in decimal; decimals without exponent, leading zeros,
//     trailing fractional zeros or "-0";
//   - floats as strconv 'g' -1 at the column's width (-0 renders "0");
//   - booleans "t" and "f";
//   - PostgreSQL's non-finite values as their text: numeric "NaN",
//     "Infinity", "-Infinity"; date and timestamp "infinity", "-infinity";
//   - dates "2006-01-02"; timestamps without time zone as wall time
//     "2006-01-02T15:04:05.999999999"; with time zone RFC 3339 in UTC;
//     times of day "15:04:05.999999999";
//   - text as is, CHAR(n) without trailing spaces; binary in lower-case
//     hex, BINARY(n) without trailing zero bytes;
//   - JSON compact with sorted keys and canonical numbers;
//   - a value that does not convert: "\x00!" and its Go type and value.
func Canonical(v any, t Type) string {
	return string(AppendCanonical(nil, v, t))
}

// AppendCanonical appends Canonical(v, t) to dst; on the integer and text
// paths it does not allocate when dst has room.
func AppendCanonical(dst []byte, v any, t Type) []byte { return appendCanonical(dst, v, &t) }

func appendCanonical(dst []byte, v any, t *Type) []byte {
	switch t.Kind {
	case Decimal, Date, Timestamp, TimestampTZ:
		// Converted without putting the result into an interface, which
		// would allocate for every value of every row checksummed.
		n := normalize(v, 0)
		if n == nil {
			break
		}
		if t.Kind == Decimal {
			if s, _, r := decimalOf(n, t); r == nil {
				return append(dst, s...)
			}
		} else if s, special, r := infiniteTime(n, t); special {
			if r == nil {
				return append(dst, s...)
			}
		} else if tm, r := dateTimeOf(n, t); r == nil {
			return appendTime(dst, tm, t)
		}
		return appendInvalid(dst, v)
	}
	c, r := convert(v, t, true)
	if r != nil {
		return appendInvalid(dst, v)
	}
	if out, ok := appendConverted(dst, c, t); ok {
		return out
	}
	return fmt.Appendf(append(dst, escapeMarker+"?"...), "%T:%v", c, c)
}

// AppendConverted appends Canonical(c, t) for a value c that Convert
// returned for t, without converting it again (see RowHasher.SumConverted
// for the contract); a value of a Go type Convert never returns goes
// through AppendCanonical.
func AppendConverted(dst []byte, c any, t Type) []byte { return appendConvertedOr(dst, c, &t) }

// appendConvertedOr is AppendConverted with the type by reference.
func appendConvertedOr(dst []byte, c any, t *Type) []byte {
	if out, ok := appendConverted(dst, c, t); ok {
		return out
	}
	return appendCanonical(dst, c, t)
}

// appendConverted appends the canonical form of c, a value Convert
// returned for t, without converting it again. ok is false (and dst
// unchanged) for a Go type Convert never returns.
func appendConverted(dst []byte, c any, t *Type) (_ []byte, ok bool) {
	switch x := c.(type) {
	case nil:
		return append(dst, nullMarker...), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case uint64:
		return strconv.AppendUint(dst, x, 10), true
	case float64:
		if x == 0 {
			return append(dst, '0'), true // -0 equals 0 in SQL
		}
		return strconv.AppendFloat(dst, x, 'g', -1, floatBits(t)), true
	case bool:
		if x {
			return append(dst, 't'), true
		}
		return append(dst, 'f'), true
	case string:
		return appendCanonicalString(dst, x, t), true
	case []byte:
		if t.Kind == Any {
			dst = append(dst, bytesMarker...) // not UTF-8, else it would be a string
		} else if t.Fixed && t.Bits == 0 {
			for len(x) > 0 && x[len(x)-1] == 0 {
				x = x[:len(x)-1]
			}
		}
		return hex.AppendEncode(dst, x), true
	case time.Time:
		return appendTime(dst, x, t), true
	}
	return dst, false
}

// appendInvalid appends the form of a value that does not convert.
func appendInvalid(dst []byte, v any) []byte {
	return fmt.Appendf(append(dst, invalidMarker...), "%T:%v", v, normalize(v, 0))
}

// appendTime appends the canonical form of a converted time.
func appendTime(dst []byte, x time.Time, t *Type) []byte {
	switch t.Kind {
	case Date:
		return appendDate(dst, x) // "2006-01-02"
	case Timestamp:
		return appendDateTime(dst, x, 'T', false) // "2006-01-02T15:04:05.999999999"
	case TimestampTZ:
		return appendDateTime(dst, x.UTC(), 'T', true) // time.RFC3339Nano in UTC
	}
	return appendDateTime(dst, x, 'T', true) // time.RFC3339Nano
}

func appendCanonicalString(dst []byte, s string, t *Type) []byte {
	switch t.Kind {
	case Text:
		if t.Fixed {
			s = strings.TrimRight(s, " ")
		}
	case JSON:
		if out, ok := appendCanonicalJSON(dst, s); ok {
			return out
		}
	case Any:
		if s != "" && s[0] == 0 {
			dst = append(dst, escapeMarker...)
		}
	}
	return append(dst, s...)
}
