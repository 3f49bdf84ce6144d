package convert

import (
	"math"
	"strconv"
)

// Limits of an unconstrained decimal: PostgreSQL's numeric keeps up to
// 131072 digits before the point and 16383 after it.
const (
	maxDecimalIntDigits  = 131072
	maxDecimalFracDigits = 16383
	// sqliteDigits is what SQLite keeps of a non-integer NUMERIC value: it
	// stores it as an 8-byte float and preserves 15 significant digits.
	sqliteDigits = 15
	// maxExponent caps an exponent while parsing; anything larger is out of
	// every range anyway.
	maxExponent = 1_000_000_000
)

// decimal is an exact decimal number read from text, never through a
// float: its value is ip.fp × 10^exp. It refers to the text it was read
// from and allocates nothing until it is formatted.
type decimal struct {
	neg bool
	ip  string // integer digits, without leading zeros
	fp  string // fraction digits, without trailing zeros
	exp int
}

// toDecimal converts to a Decimal column with exact decimal arithmetic on
// the text. A float source is taken as its shortest round-trip text
// (strconv 'g', -1: 12.345 is "12.345", not 12.3449999…). The result is
// the canonical text: no exponent, no leading zeros, no trailing
// fractional zeros, no "-0".
func toDecimal(n any, t *Type) (any, *Reject) {
	s, same, r := decimalOf(n, t)
	switch {
	case r != nil:
		return nil, r
	case same:
		return n, nil // no allocation
	}
	return s, nil
}

// decimalOf is toDecimal without putting the result into an interface
// (which allocates), for the canonical forms. same says the result is n,
// a string, as it is.
func decimalOf(n any, t *Type) (_ string, same bool, _ *Reject) {
	if x, ok := n.(string); ok {
		if k, fits := plainDecimalFits(x, t); fits {
			return x[:k], k == len(x), nil
		}
	}
	return decimalOfParsed(n, t)
}

// plainDecimalFits is the common case of decimalOf in one pass: s is a
// plain decimal as databases print them ([-]digits[.digits], no leading
// zero, not zero) that fits t. k is the length of its canonical form, a
// prefix of s (trailing fraction zeros and a bare point dropped). fits
// is false for anything else, which decimalOfParsed then decides, with
// the same result for what fits and the reasons for what does not.
func plainDecimalFits(s string, t *Type) (k int, fits bool) {
	if t.Unsigned || t.Engine == EngineSQLite {
		return 0, false
	}
	i := 0
	if len(s) > 0 && s[0] == '-' {
		i = 1
	}
	a := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	ip := s[a:i]
	if ip == "" || (len(ip) > 1 && ip[0] == '0') {
		return 0, false
	}
	k = i
	fp := ""
	if i < len(s) {
		if s[i] != '.' {
			return 0, false
		}
		b := i + 1
		e := b
		for e < len(s) && isDigit(s[e]) {
			e++
		}
		if e != len(s) {
			return 0, false
		}
		for e > b && s[e-1] == '0' {
			e--
		}
		if e > b {
			fp, k = s[b:e], e
		}
	}
	h := len(ip) - 1 // the power of ten of the first significant digit
	if ip == "0" {
		if fp == "" {
			return 0, false // zero: "0", whatever its spelling
		}
		z := 0
		for fp[z] == '0' {
			z++
		}
		h = -z - 1
	}
	l := -len(fp) // at most the power of the last significant digit
	maxHi, minLo := maxDecimalIntDigits-1, -maxDecimalFracDigits
	if t.Precision > 0 {
		maxHi, minLo = t.Precision-t.Scale-1, -t.Scale
	}
	if h > maxHi || l < minLo {
		return 0, false
	}
	return k, true
}

// decimalOfParsed is decimalOf for any input: parsed, checked against t
// and put in canonical form.
func decimalOfParsed(n any, t *Type) (_ string, same bool, _ *Reject) {
	var s string
	switch x := n.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case uint64:
		s = strconv.FormatUint(x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", false, rejectf(ReasonNotNumber, t, n, "cannot be stored in a decimal column")
		}
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return "", false, rejectf(ReasonNotNumber, t, n, "cannot be stored in a decimal column")
		}
		s = strconv.FormatFloat(float64(x), 'g', -1, 32)
	default:
		return "", false, rejectf(ReasonNotNumber, t, n, "is not a number")
	}
	d, ok := parseDecimal(s)
	if !ok {
		if nf, special := nonFiniteDecimal(s); special {
			if r := fitNonFiniteDecimal(n, nf, t); r != nil {
				return "", false, r
			}
			_, isString := n.(string)
			return nf, isString && nf == s, nil
		}
		return "", false, rejectf(ReasonNotNumber, t, n, "is not a number")
	}
	if r := d.fit(n, t); r != nil {
		return "", false, r
	}
	switch k := d.prefix(s); {
	case k == len(s):
		_, isString := n.(string)
		return s, isString, nil
	case k > 0:
		return s[:k], false, nil // "12.3400": the canonical form is a prefix, not a copy
	}
	return d.String(), false, nil
}

// parseDecimal reads [ws][+|-]digits[.digits][(e|E)[+|-]digits][ws], with
// at least one digit before or after the point (".5" and "5." are
// numbers, as PostgreSQL reads them).
func parseDecimal(s string) (decimal, bool) {
	s = trimSpace(s)
	var d decimal
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	a := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	d.ip = s[a:i]
	if i < len(s) && s[i] == '.' {
		i++
		b := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		d.fp = s[b:i]
	}
	if d.ip == "" && d.fp == "" {
		return decimal{}, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		b := i
		for ; i < len(s) && isDigit(s[i]); i++ {
			if d.exp < maxExponent {
				d.exp = d.exp*10 + int(s[i]-'0')
			}
		}
		if i == b {
			return decimal{}, false
		}
		if eneg {
			d.exp = -d.exp
		}
	}
	if i != len(s) {
		return decimal{}, false
	}
	for len(d.ip) > 0 && d.ip[0] == '0' {
		d.ip = d.ip[1:]
	}
	for len(d.fp) > 0 && d.fp[len(d.fp)-1] == '0' {
		d.fp = d.fp[:len(d.fp)-1]
	}
	if d.zero() {
		return decimal{}, true
	}
	return d, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (d decimal) zero() bool { return d.ip == "" && d.fp == "" }

// hi is the power of ten of the most significant digit; d must not be zero.
func (d decimal) hi() int {
	if d.ip != "" {
		return len(d.ip) - 1 + d.exp
	}
	z := 0
	for z < len(d.fp) && d.fp[z] == '0' {
		z++
	}
	return -1 - z + d.exp
}

// lo is the power of ten of the least significant digit; d must not be zero.
func (d decimal) lo() int {
	if d.fp != "" {
		return -len(d.fp) + d.exp
	}
	z := 0
	for z < len(d.ip) && d.ip[len(d.ip)-1-z] == '0' {
		z++
	}
	return z + d.exp
}

// digit returns the digit at power of ten p.
func (d decimal) digit(p int) byte {
	k := len(d.ip) - 1 + d.exp - p
	switch {
	case k >= 0 && k < len(d.ip):
		return d.ip[k]
	case k >= len(d.ip) && k < len(d.ip)+len(d.fp):
		return d.fp[k-len(d.ip)]
	}
	return '0'
}

// fit checks d against a column's precision and scale (or, unconstrained,
// against PostgreSQL's limits) and SQLite's 15 significant digits.
func (d decimal) fit(n any, t *Type) *Reject {
	if d.zero() {
		return nil
	}
	maxHi, minLo := maxDecimalIntDigits-1, -maxDecimalFracDigits
	if t.Precision > 0 {
		maxHi, minLo = t.Precision-t.Scale-1, -t.Scale
	}
	h, l := d.hi(), d.lo()
	switch {
	case t.Unsigned && d.neg:
		return rejectf(ReasonOutOfRange, t, n, "is negative; the column is unsigned")
	case h > maxHi && maxHi >= 0:
		return rejectf(ReasonOutOfRange, t, n, "has %d digits before the point, more than the %d the column allows", h+1, maxHi+1)
	case h > maxHi:
		return rejectf(ReasonOutOfRange, t, n, "is too large: the column only holds values smaller than 1e%d", maxHi+1)
	case l < minLo && minLo <= 0:
		return rejectf(ReasonPrecisionLoss, t, n, "has %d digits after the point, more than the %d the column keeps; it would be rounded", -l, -minLo)
	case l < minLo:
		return rejectf(ReasonPrecisionLoss, t, n, "is not a multiple of 1e%d; it would be rounded", minLo)
	}
	if t.Engine == EngineSQLite && t.Kind == Decimal && h-l+1 > sqliteDigits && !d.isInt64() {
		return rejectf(ReasonPrecisionLoss, t, n, "has %d significant digits; SQLite stores a NUMERIC value that is not a 64-bit integer as an 8-byte float, keeping %d", h-l+1, sqliteDigits)
	}
	return nil
}

// isInt64 reports whether d is an integer within the int64 range.
func (d decimal) isInt64() bool {
	if d.zero() {
		return true
	}
	if d.lo() < 0 || d.hi() > 18 {
		return false
	}
	_, err := strconv.ParseInt(d.String(), 10, 64)
	return err == nil
}

// String formats d canonically: optional "-", integer digits (at least
// "0"), and a point with fraction digits only when there are any.
func (d decimal) String() string {
	if d.zero() {
		return "0"
	}
	h, l := d.hi(), d.lo()
	top, bottom := max(h, 0), min(l, 0)
	b := make([]byte, 0, top-bottom+3)
	if d.neg {
		b = append(b, '-')
	}
	for p := top; p >= bottom; p-- {
		if p == -1 {
			b = append(b, '.')
		}
		b = append(b, d.digit(p))
	}
	return string(b)
}

// matches reports whether s is exactly d.String(), without allocating.
func (d decimal) matches(s string) bool { return d.prefix(s) == len(s) }

// prefix returns the length of d.String() when s starts with it (as
// "12.3400" starts with "12.34"), else -1; it does not allocate.
func (d decimal) prefix(s string) int {
	if d.zero() {
		if s != "" && s[0] == '0' {
			return 1
		}
		return -1
	}
	i := 0
	if d.neg {
		if s == "" || s[0] != '-' {
			return -1
		}
		i = 1
	}
	h, l := d.hi(), d.lo()
	for p := max(h, 0); p >= min(l, 0); p-- {
		if p == -1 {
			if i >= len(s) || s[i] != '.' {
				return -1
			}
			i++
		}
		if i >= len(s) || s[i] != d.digit(p) {
			return -1
		}
		i++
	}
	return i
}

// equal reports whether d and o are the same number.
func (d decimal) equal(o decimal) bool {
	if d.zero() || o.zero() {
		return d.zero() && o.zero()
	}
	h, l := d.hi(), d.lo()
	if d.neg != o.neg || h != o.hi() || l != o.lo() {
		return false
	}
	for p := h; p >= l; p-- {
		if d.digit(p) != o.digit(p) {
			return false
		}
	}
	return true
}
