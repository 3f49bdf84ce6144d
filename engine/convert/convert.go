package convert

import (
	"database/sql/driver"
	"math"
	"math/big"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// Convert converts a value, as a database/sql driver delivered it, to the
// target column type t. It returns a value every driver accepts — nil,
// int64 (uint64 only for an unsigned value above math.MaxInt64), float64,
// bool, string (text, decimals in exact canonical form, JSON, UUIDs,
// enums, times of day), time.Time (dates, timestamps) or []byte (binary) —
// or a Reject saying why the value does not fit. It never rounds and
// never truncates; the few assumptions it makes (text without zone into a
// timestamp with time zone is UTC; a float is its shortest decimal text)
// are documented where they are made.
//
// Inputs are taken liberally: any Go integer, float or string type, []byte
// and named byte slices, time.Time, pointers to those, driver.Valuer
// implementations (pgtype values, sql.Null*) and, as a last resort,
// fmt.Stringer.
func Convert(v any, t Type) (any, *Reject) { return convert(v, &t, false) }

// ConvertTo is Convert with the type by reference, for callers converting
// every value of many rows (a Type is too large to copy per value).
func ConvertTo(v any, t *Type) (any, *Reject) { return convert(v, t, false) }

// convert is Convert with the type by reference (a Type is large; the
// checksums convert every value of every row). nullable ignores NOT NULL.
func convert(v any, t *Type, nullable bool) (any, *Reject) {
	n := normalize(v, 0)
	if n == nil {
		if t.NotNull && !nullable {
			return nil, rejectf(ReasonNullViolation, t, nil, "cannot go into a NOT NULL column")
		}
		return nil, nil
	}
	switch t.Kind {
	case Integer:
		return toInteger(n, t)
	case Decimal:
		return toDecimal(n, t)
	case Float:
		return toFloat(n, t)
	case Text:
		return toText(n, t)
	case Bool:
		return toBool(n, t)
	case Date, Timestamp, TimestampTZ:
		return toDateTime(n, t)
	case Time:
		return toTimeOfDay(n, t)
	case JSON:
		return toJSON(n, t)
	case Binary:
		return toBinary(n, t)
	case Enum:
		return toEnum(n, t)
	case UUID:
		return toUUID(n, t)
	}
	if f, ok := n.(float64); ok {
		if r := sqliteNaN(n, f, t); r != nil {
			return nil, r
		}
	} else if f, ok := n.(float32); ok {
		if r := sqliteNaN(n, float64(f), t); r != nil {
			return nil, r
		}
	}
	return toAny(n), nil
}

// normalize reduces what drivers deliver to a small set of Go types: nil,
// int64, uint64 (only above math.MaxInt64), float64, float32 (kept apart so
// that its shortest decimal form is the 32-bit one), bool, string, []byte
// and time.Time. Anything else is returned unchanged, for the caller to
// reject.
func normalize(v any, depth int) any {
	switch x := v.(type) {
	case nil, int64, float64, float32, bool, string, []byte, time.Time:
		return v
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return v
	case uint:
		return normalize(uint64(x), depth)
	case uint32:
		return int64(x)
	case uint16:
		return int64(x)
	case uint8:
		return int64(x)
	case *big.Float:
		if x == nil {
			return nil
		}
		return x.Text('g', -1)
	case *big.Int:
		if x == nil {
			return nil
		}
		return x.String()
	}
	if depth > 4 {
		return v
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		if dv, ok := v.(driver.Valuer); ok {
			return valuer(dv, depth)
		}
		return normalize(rv.Elem().Interface(), depth+1)
	}
	if dv, ok := v.(driver.Valuer); ok {
		return valuer(dv, depth)
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return normalize(rv.Uint(), depth)
	case reflect.Float32:
		return float32(rv.Float())
	case reflect.Float64:
		return rv.Float()
	case reflect.Bool:
		return rv.Bool()
	case reflect.String:
		return rv.String()
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return rv.Bytes()
		}
	case reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return b
		}
	}
	if s, ok := v.(interface{ String() string }); ok {
		return s.String()
	}
	return v
}

// valuer asks a driver.Valuer for its value; an error leaves the original
// value, which the caller then rejects.
func valuer(dv driver.Valuer, depth int) any {
	val, err := dv.Value()
	if err != nil {
		return dv
	}
	return normalize(val, depth+1)
}

// toAny passes a value into a column without declared type. Text delivered
// as valid UTF-8 bytes becomes a string; float32 widens exactly to float64.
func toAny(n any) any {
	switch x := n.(type) {
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
	case float32:
		return float64(x)
	}
	return n
}

// toBool accepts true/false/t/f/1/0/yes/no/on/off in any case, the
// integers 0 and 1 (floats 0.0 and 1.0), and a single byte 0x00 or 0x01 (a
// MySQL BIT(1) value).
func toBool(n any, t *Type) (any, *Reject) {
	switch x := n.(type) {
	case bool:
		return n, nil
	case int64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case float64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case float32:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case string:
		if b, ok := parseBool(x); ok {
			return b, nil
		}
	case []byte:
		if len(x) == 1 && x[0] <= 1 {
			return x[0] == 1, nil
		}
		if b, ok := parseBool(string(x)); ok {
			return b, nil
		}
	}
	return nil, rejectf(ReasonNotBoolean, t, n, "is not a boolean")
}

// parseBool reads the boolean spellings PostgreSQL and MySQL accept.
func parseBool(s string) (value, ok bool) {
	s = trimSpace(s)
	if len(s) > 5 {
		return false, false
	}
	switch strings.ToLower(s) {
	case "t", "true", "1", "y", "yes", "on":
		return true, true
	case "f", "false", "0", "n", "no", "off":
		return false, true
	}
	return false, false
}

// trimSpace trims ASCII white space (space, \t, \n, \v, \f, \r), as
// PostgreSQL does around numbers, booleans and dates.
func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
