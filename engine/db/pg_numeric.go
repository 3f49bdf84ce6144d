package db

import (
	"encoding/binary"
	"strings"
)

// pgNumericMaxDScale is the largest display scale PostgreSQL's numeric
// keeps (NUMERIC_DSCALE_MAX); a longer fraction goes through pgx, which
// reports it.
const pgNumericMaxDScale = 0x3FFF

// appendPgNumeric appends a decimal written as [-]digits[.digits] (package
// convert's canonical text, or any plain decimal) as one field of numeric's
// binary format: base-10000 digits with weight, sign and display scale, the
// scale being the number of digits after the point, exactly as pgx's
// pgtype.Numeric encodes the same text. ok is false, with b unchanged, for
// any other spelling (exponents, NaN, infinities, a sign +, white space),
// which the caller hands to pgx.
func appendPgNumeric(b []byte, s string) (out []byte, ok bool) {
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	ip, fp := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		ip, fp = s[:i], s[i+1:]
	}
	if len(ip)+len(fp) == 0 || len(fp) > pgNumericMaxDScale || !allDigits(ip) || !allDigits(fp) {
		return b, false
	}
	for len(ip) > 0 && ip[0] == '0' {
		ip = ip[1:]
	}
	if len(ip) > 4*32767 {
		return b, false
	}
	start := len(b)
	b = append(b, make([]byte, 12)...) // length, ndigits, weight, sign, dscale
	nd, zeros, weight := 0, 0, 0
	if len(ip) > 0 {
		weight = (len(ip)+3)/4 - 1
		r := len(ip) % 4
		if r == 0 {
			r = 4
		}
		for pos := 0; pos < len(ip); pos, r = pos+r, 4 {
			d := digitGroup(ip[pos : pos+r])
			b = binary.BigEndian.AppendUint16(b, d)
			nd++
			if d == 0 {
				zeros++
			} else {
				zeros = 0
			}
		}
	}
	leading := len(ip) == 0
	if leading {
		weight = -1
	}
	for pos := 0; pos < len(fp); pos += 4 {
		var d uint16
		if pos+4 <= len(fp) {
			d = digitGroup(fp[pos : pos+4])
		} else {
			d = digitGroup(fp[pos:])
			for range pos + 4 - len(fp) {
				d *= 10
			}
		}
		if leading && d == 0 {
			weight--
			continue
		}
		leading = false
		b = binary.BigEndian.AppendUint16(b, d)
		nd++
		if d == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	b = b[:len(b)-2*zeros]
	nd -= zeros
	var sign uint16
	if nd == 0 {
		weight = 0 // zero is positive, whatever its spelling
	} else if neg {
		sign = 0x4000
	}
	h := b[start:]
	binary.BigEndian.PutUint32(h[0:], uint32(8+2*nd))
	binary.BigEndian.PutUint16(h[4:], uint16(nd))
	binary.BigEndian.PutUint16(h[6:], uint16(int16(weight)))
	binary.BigEndian.PutUint16(h[8:], sign)
	binary.BigEndian.PutUint16(h[10:], uint16(len(fp)))
	return b, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// digitGroup reads up to four decimal digits.
func digitGroup(s string) uint16 {
	var d uint16
	for i := 0; i < len(s); i++ {
		d = d*10 + uint16(s[i]-'0')
	}
	return d
}
