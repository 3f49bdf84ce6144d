package convert

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// decimalTypes are decimal columns of every shape the fast path must
// decide exactly as the full parse does.
var decimalTypes = []Type{
	ParsePostgres("numeric(12,4)", true), ParsePostgres("numeric(4,4)", true), ParsePostgres("numeric(5,0)", true),
	ParsePostgres("numeric(3,1)", true), ParsePostgres("numeric", true), ParsePostgres("numeric(1000,500)", true),
	ParseMySQL("decimal(10,2)", true), ParseMySQL("decimal(10,2) unsigned", true), ParseMySQL("decimal(65,30)", true),
	ParseSQLite("NUMERIC(12,4)", true), ParseSQLite("DECIMAL", true),
	{Kind: Decimal, Precision: 5, Scale: -2}, {Kind: Decimal, Precision: 3, Scale: 5},
}

// decimalSpellings are random strings of decimal-ish characters, plus the
// forms databases print, plus edge cases.
func decimalSpellings(r *rand.Rand, n int) []string {
	out := []string{"", "0", "-0", "0.0", "00", "01", "1", "-1", "1.", ".5", "-.5", "0.5", "-0.50", "0.0001",
		"0.00001", "12345678.1234", "123456789.1234", "99999999.99995", "1.10", "10.00", "-10", "+1", " 1", "1 ",
		"1e3", "1.5E-2", "NaN", "Infinity", "-Infinity", "1..2", "--1", "1-", "0.000", "100000000", "0.1000"}
	const alphabet = "0123456789000..-+eE "
	for range n {
		b := make([]byte, r.IntN(14))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		out = append(out, string(b))
		// and a plain decimal as a database prints one
		ip := r.Uint64N(1_000_000_000_000) >> r.IntN(40)
		s := ""
		if r.IntN(4) == 0 {
			s = "-"
		}
		s += uintText(ip)
		if f := r.IntN(7); f > 0 {
			s += "."
			for range f {
				s += string(rune('0' + r.IntN(10)*r.IntN(2)))
			}
		}
		out = append(out, s)
	}
	return out
}

func uintText(u uint64) string {
	if u == 0 {
		return "0"
	}
	var b []byte
	for ; u > 0; u /= 10 {
		b = append([]byte{byte('0' + u%10)}, b...)
	}
	return string(b)
}

// The one-pass path for plain decimals gives exactly what the full parse
// gives: the same canonical text, the same "unchanged" answer, and for
// anything it does not take, the full parse decides (so rejects keep
// their reasons).
func TestPlainDecimalFastPathMatchesTheFullParse(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 42))
	taken := 0
	for _, s := range decimalSpellings(r, 20000) {
		for i := range decimalTypes {
			typ := &decimalTypes[i]
			gs, gsame, grej := decimalOf(s, typ)
			ws, wsame, wrej := decimalOfParsed(s, typ)
			if gs != ws || gsame != wsame || !reflect.DeepEqual(grej, wrej) {
				t.Fatalf("%q into %s: fast path %q %v %v, full parse %q %v %v", s, typ, gs, gsame, grej, ws, wsame, wrej)
			}
			if _, fits := plainDecimalFits(s, typ); fits {
				taken++
				if wrej != nil {
					t.Fatalf("%q into %s: the fast path took a value the full parse rejects: %v", s, typ, wrej)
				}
			}
		}
	}
	if taken < 10000 {
		t.Errorf("the fast path took only %d values; the test does not exercise it", taken)
	}
}
