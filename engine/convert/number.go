package convert

import (
	"math"
	"strconv"
	"strings"
)

// intBits is the width of an Integer type; 0 (or nonsense) means 64.
func intBits(t *Type) int {
	if t.Bits <= 0 || t.Bits > 64 {
		return 64
	}
	return t.Bits
}

// floatBits is the width of a Float type: 32 or 64.
func floatBits(t *Type) int {
	if t.Bits == 32 {
		return 32
	}
	return 64
}

// toInteger converts to an Integer column. Text is read as PostgreSQL reads
// it: surrounding white space is ignored and a sign is allowed; a fraction
// made only of zeros ("12.00") is accepted because it loses nothing, while
// "1.5", "1e3", "" and "N/A" are not integers. A float must be integral. A
// boolean becomes 0 or 1 (MySQL's and SQLite's booleans are integers).
func toInteger(n any, t *Type) (any, *Reject) {
	var neg bool
	var mag uint64
	switch x := n.(type) {
	case int64:
		neg, mag = x < 0, absInt(x)
		if r := intCheck(n, neg, mag, t); r != nil {
			return nil, r
		}
		return n, nil
	case uint64:
		mag = x
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case float32:
		return floatToInteger(n, float64(x), t)
	case float64:
		return floatToInteger(n, x, t)
	case string:
		var st intStatus
		neg, mag, st = parseIntText(x)
		if st != intOK {
			return nil, intTextReject(n, st, t)
		}
	case []byte:
		var st intStatus
		neg, mag, st = parseIntText(x)
		if st != intOK {
			return nil, intTextReject(n, st, t)
		}
	default:
		return nil, rejectf(ReasonNotInteger, t, n, "is not an integer")
	}
	if r := intCheck(n, neg, mag, t); r != nil {
		return nil, r
	}
	return intValue(neg, mag), nil
}

// intCheck checks the range of t, and MySQL's YEAR range.
func intCheck(n any, neg bool, mag uint64, t *Type) *Reject {
	if !intFits(neg, mag, t) {
		return intRange(n, t)
	}
	if isMySQLYear(t) && mag != 0 && (neg || mag < 1901 || mag > 2155) {
		return rejectf(ReasonOutOfRange, t, n, "is not a year MySQL's YEAR holds (1901 to 2155, or 0)")
	}
	return nil
}

func floatToInteger(n any, f float64, t *Type) (any, *Reject) {
	switch {
	case math.IsNaN(f):
		return nil, rejectf(ReasonNotInteger, t, n, "is not an integer")
	case math.IsInf(f, 0) || f <= -1<<64 || f >= 1<<64:
		return nil, intRange(n, t)
	case f != math.Trunc(f):
		return nil, rejectf(ReasonPrecisionLoss, t, n, "is not a whole number; it would be rounded")
	}
	neg, mag := f < 0, uint64(math.Abs(f))
	if r := intCheck(n, neg, mag, t); r != nil {
		return nil, r
	}
	return intValue(neg, mag), nil
}

func absInt(x int64) uint64 {
	if x < 0 {
		return uint64(-x) // math.MinInt64 wraps to 1<<63, its magnitude
	}
	return uint64(x)
}

// intFits reports whether the integer with sign neg and magnitude mag fits
// the width and signedness of t.
func intFits(neg bool, mag uint64, t *Type) bool {
	b := intBits(t)
	if t.Unsigned {
		if neg {
			return mag == 0
		}
		return b == 64 || mag <= 1<<b-1
	}
	if neg {
		return mag <= 1<<(b-1)
	}
	return mag <= 1<<(b-1)-1
}

// intValue boxes an integer that fits: int64, or uint64 above MaxInt64.
func intValue(neg bool, mag uint64) any {
	if neg {
		return -int64(mag)
	}
	if mag > math.MaxInt64 {
		return mag
	}
	return int64(mag)
}

// intLimits renders the range of t, for messages.
func intLimits(t *Type) string {
	b := intBits(t)
	if t.Unsigned {
		max := uint64(math.MaxUint64)
		if b < 64 {
			max = 1<<b - 1
		}
		return "0 to " + strconv.FormatUint(max, 10)
	}
	min, max := int64(math.MinInt64), int64(math.MaxInt64)
	if b < 64 {
		min, max = -1<<(b-1), 1<<(b-1)-1
	}
	return strconv.FormatInt(min, 10) + " to " + strconv.FormatInt(max, 10)
}

func intRange(n any, t *Type) *Reject {
	return rejectf(ReasonOutOfRange, t, n, "is out of range: the column holds %s", intLimits(t))
}

type intStatus int

const (
	intOK intStatus = iota
	intSyntax
	intOverflow
)

func intTextReject(n any, st intStatus, t *Type) *Reject {
	if st == intOverflow {
		return intRange(n, t)
	}
	return rejectf(ReasonNotInteger, t, n, "is not an integer")
}

// parseIntText reads [ws][+|-]digits[.0*][ws] without allocating.
func parseIntText[S ~string | ~[]byte](s S) (neg bool, mag uint64, st intStatus) {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	if i < j && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start, over := i, false
	for ; i < j && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if mag > (math.MaxUint64-d)/10 {
			over = true
		}
		mag = mag*10 + d
	}
	if i == start {
		return false, 0, intSyntax
	}
	if i < j && s[i] == '.' {
		for i++; i < j && s[i] == '0'; i++ {
		}
	}
	if i != j {
		return false, 0, intSyntax
	}
	if over {
		return neg, 0, intOverflow
	}
	return neg, mag, intOK
}

// toFloat converts to a Float column. A value is accepted only when the
// column's float holds it exactly, or — for text and for doubles into a
// 32-bit float — when the float keeps the value's shortest decimal form
// ("0.1" into real). NaN and ±Inf are accepted except by MySQL, which has
// no such values.
func toFloat(n any, t *Type) (any, *Reject) {
	switch x := n.(type) {
	case float64:
		return floatFit(n, x, true, t)
	case float32:
		return floatFit(n, float64(x), false, t) // widening is exact
	case int64:
		f := float64(x)
		if f >= 1<<63 || int64(f) != x {
			return nil, floatLoss(n, t)
		}
		return floatFit(n, f, false, t)
	case uint64:
		f := float64(x)
		if f >= 1<<64 || uint64(f) != x {
			return nil, floatLoss(n, t)
		}
		return floatFit(n, f, false, t)
	case string:
		return textToFloat(n, x, t)
	case []byte:
		return textToFloat(n, string(x), t)
	}
	return nil, rejectf(ReasonNotNumber, t, n, "is not a number")
}

func floatLoss(n any, t *Type) *Reject {
	return rejectf(ReasonPrecisionLoss, t, n, "has more digits than a %d-bit float keeps; it would be rounded", floatBits(t))
}

// floatFit checks f against the width, the engine and a MySQL FLOAT(M,D)
// declaration. same says n already is f as a float64, to be returned as it
// is (no allocation).
func floatFit(n any, f float64, same bool, t *Type) (any, *Reject) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		if t.Engine == EngineMySQL {
			return nil, rejectf(ReasonNotNumber, t, n, "is not a number MySQL can store")
		}
		if r := sqliteNaN(n, f, t); r != nil {
			return nil, r
		}
		if same {
			return n, nil
		}
		return f, nil
	}
	if t.Unsigned && f < 0 {
		return nil, rejectf(ReasonOutOfRange, t, n, "is negative; the column is unsigned")
	}
	if floatBits(t) == 32 {
		f32 := float64(float32(f))
		if math.IsInf(f32, 0) {
			return nil, rejectf(ReasonOutOfRange, t, n, "is out of range for a 32-bit float")
		}
		if f32 != f {
			if strconv.FormatFloat(f32, 'g', -1, 32) != strconv.FormatFloat(f, 'g', -1, 64) {
				return nil, floatLoss(n, t)
			}
			f, same = f32, false
		}
	}
	if t.Precision > 0 {
		d, _ := parseDecimal(strconv.FormatFloat(f, 'g', -1, floatBits(t)))
		if r := d.fit(n, t); r != nil {
			return nil, r
		}
	}
	if same {
		return n, nil
	}
	return f, nil
}

// textToFloat parses text as a float: a decimal literal (with optional
// exponent) or NaN/Inf/Infinity. The float must keep every digit given.
func textToFloat(n any, s string, t *Type) (any, *Reject) {
	s = trimSpace(s)
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "nan", "inf", "infinity":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, rejectf(ReasonNotNumber, t, n, "is not a number")
		}
		return floatFit(n, f, false, t)
	}
	d, ok := parseDecimal(s)
	if !ok {
		return nil, rejectf(ReasonNotNumber, t, n, "is not a number")
	}
	bits := floatBits(t)
	f, err := strconv.ParseFloat(s, bits)
	if err != nil {
		return nil, rejectf(ReasonOutOfRange, t, n, "is out of range for a %d-bit float", bits)
	}
	back, _ := parseDecimal(strconv.FormatFloat(f, 'g', -1, bits))
	if !back.equal(d) {
		return nil, floatLoss(n, t)
	}
	return floatFit(n, f, false, t)
}

// sqliteNaN refuses NaN for a SQLite column: SQLite stores a NaN it is
// given as NULL. Its infinities are kept.
func sqliteNaN(n any, f float64, t *Type) *Reject {
	if t.Engine == EngineSQLite && math.IsNaN(f) {
		return rejectf(ReasonNotNumber, t, n, "is NaN, which SQLite would store as NULL")
	}
	return nil
}
