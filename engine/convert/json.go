package convert

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// toJSON converts to a JSON column. Text must be one valid JSON document
// in UTF-8; it is passed on as written (PostgreSQL's json keeps it
// verbatim). jsonb additionally refuses the escape \u0000, as PostgreSQL
// does. Numbers and booleans become their JSON text.
func toJSON(n any, t *Type) (any, *Reject) {
	var s string
	switch x := n.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
		n = s
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, rejectf(ReasonInvalidJSON, t, n, "has no JSON form")
		}
		return showValue(x), nil
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, rejectf(ReasonInvalidJSON, t, n, "has no JSON form")
		}
		return showValue(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	default:
		return nil, rejectf(ReasonInvalidJSON, t, n, "is not JSON")
	}
	if !utf8.ValidString(s) || !json.Valid([]byte(s)) {
		return nil, rejectf(ReasonInvalidJSON, t, n, "is not valid JSON")
	}
	if strings.EqualFold(t.Decl, "jsonb") && strings.Contains(s, `\u0000`) && jsonHasNUL(s) {
		return nil, rejectf(ReasonInvalidJSON, t, n, `contains \u0000, which PostgreSQL's jsonb refuses`)
	}
	return n, nil
}

// jsonHasNUL reports whether a decoded string or key of the document holds
// a NUL character.
func jsonHasNUL(s string) bool {
	v, err := decodeJSON(s)
	if err != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			return strings.IndexByte(x, 0) >= 0
		case []any:
			return slices.ContainsFunc(x, walk)
		case map[string]any:
			for k, e := range x {
				if strings.IndexByte(k, 0) >= 0 || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

func decodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// appendCanonicalJSON appends the compact form of a JSON document with
// object keys sorted and numbers in canonical decimal form (1.0 and 1e0 are
// both 1), so that json, jsonb and MySQL JSON render alike. ok is false for
// text that is not JSON.
func appendCanonicalJSON(dst []byte, s string) ([]byte, bool) {
	v, err := decodeJSON(s)
	if err != nil {
		return dst, false
	}
	return appendJSONValue(dst, v), true
}

func appendJSONValue(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		return strconv.AppendBool(dst, x)
	case json.Number:
		if d, ok := parseDecimal(string(x)); ok && d.fit(nil, &Type{Kind: Decimal}) == nil {
			return append(dst, d.String()...)
		}
		return append(dst, x...)
	case string:
		return appendJSONString(dst, x)
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, e)
		}
		return append(dst, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONValue(dst, x[k])
		}
		return append(dst, '}')
	}
	return dst
}

// appendJSONString quotes s as JSON, escaping only what must be escaped.
func appendJSONString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
