package convert

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// toText converts to a Text column. The text must be valid UTF-8 without
// NUL bytes (PostgreSQL refuses them in text). Length counts characters;
// MaxBytes counts UTF-8 bytes. A CHAR(n) value is never padded: it fits
// when it fits after trimming trailing spaces (CHAR semantics ignore them),
// and is then stored trimmed. Numbers, booleans and times become their
// text, which loses nothing.
func toText(n any, t *Type) (any, *Reject) {
	var s string
	switch x := n.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
		n = s
	case int64:
		s = strconv.FormatInt(x, 10)
		n = s
	case uint64:
		s = strconv.FormatUint(x, 10)
		n = s
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
		n = s
	case float32:
		s = strconv.FormatFloat(float64(x), 'g', -1, 32)
		n = s
	case bool:
		s = strconv.FormatBool(x)
		n = s
	case time.Time:
		s = string(appendDateTime(nil, x, ' ', true)) // "2006-01-02 15:04:05.999999999Z07:00"
		n = s
	default:
		return nil, rejectf(ReasonInvalidText, t, n, "is not text")
	}
	if r := checkText(n, s, t); r != nil {
		return nil, r
	}
	if t.Length > 0 && len(s) > t.Length {
		if c := utf8.RuneCountInString(s); c > t.Length {
			trimmed := strings.TrimRight(s, " ")
			if !t.Fixed || utf8.RuneCountInString(trimmed) > t.Length {
				return nil, rejectf(ReasonTooLong, t, n, "is %d characters long, more than the %d the column allows", c, t.Length)
			}
			return trimmed, nil
		}
	}
	return n, nil
}

// checkText checks UTF-8, NUL bytes and the byte limit.
func checkText(n any, s string, t *Type) *Reject {
	if !utf8.ValidString(s) {
		return rejectf(ReasonInvalidText, t, n, "is not valid UTF-8 text")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return rejectf(ReasonInvalidText, t, n, "contains a NUL byte, which PostgreSQL refuses in text")
	}
	if t.MaxBytes > 0 && len(s) > t.MaxBytes {
		return rejectf(ReasonTooLong, t, n, "is %d bytes long, more than the %d bytes the column allows", len(s), t.MaxBytes)
	}
	return nil
}

// toEnum accepts exactly one of the type's values (case-sensitive).
func toEnum(n any, t *Type) (any, *Reject) {
	var s string
	switch x := n.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return nil, enumReject(n, t)
	}
	for _, m := range t.Enum {
		if m == s {
			return m, nil
		}
	}
	return nil, enumReject(n, t)
}

func enumReject(n any, t *Type) *Reject {
	var b strings.Builder
	for i, m := range t.Enum {
		if i == 8 {
			b.WriteString(", …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteCut(m))
	}
	if len(t.Enum) == 0 {
		return rejectf(ReasonInvalidEnum, t, n, "is not a value of the enum, which has none")
	}
	return rejectf(ReasonInvalidEnum, t, n, "is not one of the values %s", b.String())
}

// toUUID accepts the text forms PostgreSQL reads (hex digits in either
// case, hyphens after any group of four, optional braces) and 16 raw
// bytes (MySQL BINARY(16)), and returns the lower-case 8-4-4-4-12 form.
// Sixteen bytes that are all printable ASCII are refused: they could as
// well be a 16-character text, and guessing would be silent.
func toUUID(n any, t *Type) (any, *Reject) {
	var s string
	switch x := n.(type) {
	case string:
		s = x
	case []byte:
		if len(x) == 16 {
			if printable(x) {
				return nil, rejectf(ReasonInvalidUUID, t, n, "is ambiguous: 16 printable bytes could be text or a binary UUID")
			}
			return formatUUID(x), nil
		}
		s = string(x)
	default:
		return nil, rejectf(ReasonInvalidUUID, t, n, "is not a UUID")
	}
	var raw [16]byte
	if !parseUUID(s, &raw) {
		return nil, rejectf(ReasonInvalidUUID, t, n, "is not a UUID")
	}
	return formatUUID(raw[:]), nil
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// parseUUID reads 32 hex digits, hyphenated after any group of four, in
// optional braces.
func parseUUID(s string, out *[16]byte) bool {
	s = trimSpace(s)
	if len(s) >= 2 && s[0] == '{' && s[len(s)-1] == '}' {
		s = s[1 : len(s)-1]
	}
	nd := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			if nd == 0 || nd == 32 || nd%4 != 0 || s[i-1] == '-' {
				return false
			}
			continue
		}
		v, ok := unhex(c)
		if !ok || nd == 32 {
			return false
		}
		if nd%2 == 0 {
			out[nd/2] = v << 4
		} else {
			out[nd/2] |= v
		}
		nd++
	}
	return nd == 32
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// formatUUID renders 16 bytes as lower-case 8-4-4-4-12.
func formatUUID(b []byte) string {
	const digits = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = digits[c>>4], digits[c&15]
		j += 2
	}
	return string(out[:])
}
