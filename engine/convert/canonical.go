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
func AppendCanonical(dst []byte, v any, t Type) []byte {
	t.NotNull = false
	c, r := Convert(v, t)
	if r != nil {
		return fmt.Appendf(append(dst, invalidMarker...), "%T:%v", v, normalize(v, 0))
	}
	switch x := c.(type) {
	case nil:
		return append(dst, nullMarker...)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case uint64:
		return strconv.AppendUint(dst, x, 10)
	case float64:
		if x == 0 {
			return append(dst, '0') // -0 equals 0 in SQL
		}
		return strconv.AppendFloat(dst, x, 'g', -1, floatBits(t))
	case bool:
		if x {
			return append(dst, 't')
		}
		return append(dst, 'f')
	case string:
		return appendCanonicalString(dst, x, t)
	case []byte:
		if t.Kind == Any {
			dst = append(dst, bytesMarker...) // not UTF-8, else it would be a string
		} else if t.Fixed && t.Bits == 0 {
			for len(x) > 0 && x[len(x)-1] == 0 {
				x = x[:len(x)-1]
			}
		}
		return hex.AppendEncode(dst, x)
	case time.Time:
		switch t.Kind {
		case Date:
			return x.AppendFormat(dst, "2006-01-02")
		case Timestamp:
			return x.AppendFormat(dst, "2006-01-02T15:04:05.999999999")
		case TimestampTZ:
			return x.UTC().AppendFormat(dst, time.RFC3339Nano)
		}
		return x.AppendFormat(dst, time.RFC3339Nano)
	}
	return fmt.Appendf(append(dst, escapeMarker+"?"...), "%T:%v", c, c)
}

func appendCanonicalString(dst []byte, s string, t Type) []byte {
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
