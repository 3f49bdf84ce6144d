package convert

import (
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestConvertDecimal(t *testing.T) {
	n52 := ParsePostgres("numeric(5,2)", false)
	neg := ParsePostgres("numeric(3,-2)", false)  // PostgreSQL 15: multiples of 100
	small := ParsePostgres("numeric(3,5)", false) // magnitudes below 0.01
	runConvert(t, []convCase{
		{"trailing zeros", "12.3400", pgNumeric, "12.34", ""},
		{"canonical text", "12.34", pgNumeric, "12.34", ""},
		{"max", "99999999.99", pgNumeric, "99999999.99", ""},
		{"min", "-99999999.99", pgNumeric, "-99999999.99", ""},
		{"integer text", "7", pgNumeric, "7", ""},
		{"leading zeros and plus", " +0012.50 ", pgNumeric, "12.5", ""},
		{"negative zero", "-0.00", pgNumeric, "0", ""},
		{"point only fraction", ".5", pgNumeric, "0.5", ""},
		{"point at end", "5.", pgNumeric, "5", ""},
		{"exponent", "1.5e3", pgNumeric, "1500", ""},
		{"negative exponent", "125E-2", pgNumeric, "1.25", ""},
		{"zero with huge exponent", "0e999999999999", pgNumeric, "0", ""},
		{"int64", int64(-42), pgNumeric, "-42", ""},
		{"uint64", uint64(math.MaxUint64), pgNumericU, "18446744073709551615", ""},
		{"float shortest text", 12.3, pgNumeric, "12.3", ""},
		{"float 0.1", 0.1, pgNumeric, "0.1", ""},
		{"float32 shortest text", float32(0.1), pgNumeric, "0.1", ""},
		{"big float exponent", 1e21, pgNumericU, "1000000000000000000000", ""},
		{"tiny float", 1.5e-7, pgNumericU, "0.00000015", ""},
		{"bytes", []byte("3.10"), pgNumeric, "3.1", ""},
		{"unconstrained long", "123456789012345678901234567890.123456789", pgNumericU, "123456789012345678901234567890.123456789", ""},
		{"negative scale", "12300", neg, "12300", ""},
		{"scale above precision", "0.00123", small, "0.00123", ""},
		{"MySQL unsigned", "1.5", myDecimalU, "1.5", ""},
		{"SQLite 15 digits", "12345678901.2345", sqNumeric, "12345678901.2345", ""},
		{"SQLite int64 beyond 15 digits", "1234567890123456", sqNumeric, "1234567890123456", ""},

		{"float too precise", 12.345, pgNumeric, nil, ReasonPrecisionLoss},
		{"text too precise", "12.345", pgNumeric, nil, ReasonPrecisionLoss},
		{"exponent too precise", "1e-3", pgNumeric, nil, ReasonPrecisionLoss},
		{"negative scale rounding", "12345", neg, nil, ReasonPrecisionLoss},
		{"SQLite 16 significant digits", "123456789012.3456", sqNumeric, nil, ReasonPrecisionLoss},
		{"unconstrained fraction limit", "1e-16384", pgNumericU, nil, ReasonPrecisionLoss},
		{"too many integer digits", "999999999.99", pgNumeric, nil, ReasonOutOfRange},
		{"100000000", int64(100000000), pgNumeric, nil, ReasonOutOfRange},
		{"exponent too large", "1e8", pgNumeric, nil, ReasonOutOfRange},
		{"huge exponent", "1e999999999999", pgNumeric, nil, ReasonOutOfRange},
		{"unconstrained integer limit", "1e131072", pgNumericU, nil, ReasonOutOfRange},
		{"scale above precision range", "0.01", small, nil, ReasonOutOfRange},
		{"numeric(5,2)", "1000", n52, nil, ReasonOutOfRange},
		{"MySQL unsigned negative", "-1.5", myDecimalU, nil, ReasonOutOfRange},
		{"not a number", "abc", pgNumeric, nil, ReasonNotNumber},
		{"empty", "", pgNumeric, nil, ReasonNotNumber},
		{"point only", ".", pgNumeric, nil, ReasonNotNumber},
		{"comma", "1,5", pgNumeric, nil, ReasonNotNumber},
		{"dangling exponent", "1e", pgNumeric, nil, ReasonNotNumber},
		{"NaN text into MySQL", "NaN", myDecimalU, nil, ReasonNotNumber}, // PostgreSQL holds it: see nonfinite_test.go
		{"NaN float", math.NaN(), pgNumeric, nil, ReasonNotNumber},
		{"Inf float", math.Inf(1), pgNumeric, nil, ReasonNotNumber},
		{"bool", true, pgNumeric, nil, ReasonNotNumber},
	})
}

func TestDecimalMessages(t *testing.T) {
	for in, want := range map[string]string{
		"12.345":       `"12.345" has 3 digits after the point, more than the 2 the column keeps; it would be rounded (target column type numeric(10,2))`,
		"999999999.99": `"999999999.99" has 9 digits before the point, more than the 8 the column allows (target column type numeric(10,2))`,
	} {
		if _, r := Convert(in, pgNumeric); r == nil || r.Message != want {
			t.Errorf("%s: %v\nwant %s", in, r, want)
		}
	}
}

// TestDecimalNoFloatMath checks values a float64 cannot hold exactly.
func TestDecimalNoFloatMath(t *testing.T) {
	in := "90071992547409931.000000000000000000001"
	got, r := Convert(in, pgNumericU)
	if r != nil || got != "90071992547409931.000000000000000000001" {
		t.Fatalf("got %v %v", got, r)
	}
	_, r = Convert(in, ParsePostgres("numeric(40,20)", false))
	if r == nil || r.Reason != ReasonPrecisionLoss {
		t.Fatalf("want precision_loss, got %v", r)
	}
}

func FuzzConvertDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0", "12.3400", "99999999.99", "999999999.99", "1e3", "1.5E-3",
		".5", "5.", "-.0", "+7", " 42 ", "abc", "", "1e999999999999", "0.000", "00012300.00100", "1e-16384",
		strings.Repeat("9", 70) + "." + strings.Repeat("1", 30)} {
		f.Add(s, uint8(10), uint8(2))
		f.Add(s, uint8(0), uint8(0))
		f.Add(s, uint8(65), uint8(30))
	}
	f.Fuzz(func(t *testing.T, s string, p, sc uint8) {
		typ := Type{Kind: Decimal, Precision: int(p), Scale: int(sc)}
		got, r := Convert(s, typ)
		if r != nil {
			if got != nil || r.Reason == "" || r.Message == "" {
				t.Fatalf("bad reject %v %v", got, r)
			}
			return
		}
		out := got.(string)
		// The canonical text is a fixed point of Convert.
		if again, r := Convert(out, typ); r != nil || again != out {
			t.Fatalf("%q -> %q -> %v %v", s, out, again, r)
		}
		if strings.HasPrefix(out, "-0") && out != "-0" && !strings.HasPrefix(out, "-0.") || out == "-0" ||
			strings.Contains(out, ".") && strings.HasSuffix(out, "0") {
			t.Fatalf("%q -> %q is not canonical", s, out)
		}
		// Exact: the same number as the input (checked with big.Rat when the
		// input is small enough to expand).
		in := trimSpace(s)
		if len(in) > 200 || strings.ContainsAny(in, "eE") && len(in) > 20 {
			return
		}
		if e := strings.IndexAny(in, "eE"); e >= 0 && len(in)-e > 5 {
			return
		}
		a, ok1 := new(big.Rat).SetString(strings.TrimPrefix(in, "+"))
		b, ok2 := new(big.Rat).SetString(out)
		if ok1 && (!ok2 || a.Cmp(b) != 0) {
			t.Fatalf("%q -> %q: not the same number", s, out)
		}
	})
}
