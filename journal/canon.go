package journal

import (
	"bytes"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// Canonical JSON, as the store writes payloads and reject rows: objects with
// sorted keys, no insignificant whitespace, no HTML escaping, and numbers as
// their exact text (never through float64).
//
// Values are converted to a JSON tree first (toTree): map[string]any, []any,
// string, json.Number, bool and nil. Database values get these rules, so a
// rejected row is kept exactly:
//
//   - []byte holding valid UTF-8 becomes a string (drivers such as MySQL's
//     return text columns as []byte); any other []byte becomes
//     {"$base64": "<standard base64>"}.
//   - float64/float32 NaN and ±Inf, which JSON cannot hold, become the
//     strings "NaN", "+Inf" and "-Inf"; other floats are their shortest
//     exact text.
//   - time.Time becomes RFC3339Nano text, keeping its offset.
//   - a driver.Valuer (sql.NullString, decimal types...) becomes its Value.
//   - json.Number and json.RawMessage are kept as written (numbers exact).
//   - anything else goes through encoding/json and is decoded back with
//     UseNumber, so integers and decimals keep their exact text.

// toTree converts v to a JSON tree.
func toTree(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, json.Number:
		return x, nil
	case []byte:
		if utf8.Valid(x) {
			return string(x), nil
		}
		return map[string]any{"$base64": base64.StdEncoding.EncodeToString(x)}, nil
	case float64:
		if s, ok := nonFinite(x); ok {
			return s, nil
		}
	case float32:
		if s, ok := nonFinite(float64(x)); ok {
			return s, nil
		}
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			t, err := toTree(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = t
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			t, err := toTree(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = t
		}
		return out, nil
	case driver.Valuer:
		dv, err := x.Value()
		if err != nil {
			return nil, err
		}
		if _, again := dv.(driver.Valuer); !again {
			return toTree(dv)
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeTree(b)
}

// nonFinite spells NaN and infinities, which JSON has no numbers for.
func nonFinite(f float64) (string, bool) {
	switch {
	case math.IsNaN(f):
		return "NaN", true
	case math.IsInf(f, 1):
		return "+Inf", true
	case math.IsInf(f, -1):
		return "-Inf", true
	}
	return "", false
}

// decodeTree parses JSON into a tree, numbers as json.Number.
func decodeTree(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var t any
	if err := dec.Decode(&t); err != nil {
		return nil, err
	}
	return t, nil
}

// encodeTree writes a tree as canonical JSON.
func encodeTree(t any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(t); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// canonJSON converts v to canonical JSON, redacted by r as tightrope's own
// text (secrets and password shapes).
func (r *redactor) canonJSON(v any) ([]byte, error) {
	t, err := toTree(v)
	if err != nil {
		return nil, err
	}
	return encodeTree(r.tree(t, r.text))
}

// canonData converts row data to canonical JSON with only the registered
// secrets redacted: a value that merely looks like a DSN password is data
// and is kept whole.
func (r *redactor) canonData(v any) ([]byte, error) {
	t, err := toTree(v)
	if err != nil {
		return nil, err
	}
	return encodeTree(r.tree(t, r.exact))
}
