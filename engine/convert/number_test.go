package convert

import (
	"math"
	"testing"
)

func TestConvertInteger(t *testing.T) {
	runConvert(t, []convCase{
		{"int64", int64(42), pgInteger, int64(42), ""},
		{"int32 widens", int32(-7), pgInteger, int64(-7), ""},
		{"uint8", uint8(200), pgSmallint, int64(200), ""},
		{"text", "12", pgInteger, int64(12), ""},
		{"text with spaces", " 12 ", pgInteger, int64(12), ""},
		{"text with tab and sign", "\t+12\n", pgInteger, int64(12), ""},
		{"negative text", "-12", pgInteger, int64(-12), ""},
		{"bytes", []byte("300"), pgSmallint, int64(300), ""},
		{"zero fraction", "12.00", pgInteger, int64(12), ""},
		{"leading zeros", "007", pgInteger, int64(7), ""},
		{"integral float", 3.0, pgInteger, int64(3), ""},
		{"integral float32", float32(-4), pgInteger, int64(-4), ""},
		{"bool true", true, myTiny1, int64(1), ""},
		{"bool false", false, myTiny1, int64(0), ""},
		{"300 into smallint", 300, pgSmallint, int64(300), ""},
		{"smallint max", "32767", pgSmallint, int64(32767), ""},
		{"smallint min", int64(-32768), pgSmallint, int64(-32768), ""},
		{"int64 min text", "-9223372036854775808", pgBigint, int64(math.MinInt64), ""},
		{"255 unsigned tinyint", int64(255), myTinyU, int64(255), ""},
		{"uint64 max unsigned bigint", uint64(math.MaxUint64), myBigU, uint64(math.MaxUint64), ""},
		{"uint64 max text", "18446744073709551615", myBigU, uint64(math.MaxUint64), ""},
		{"negative zero unsigned", "-0", myTinyU, int64(0), ""},
		{"year", int64(2024), myYear, int64(2024), ""},
		{"year zero", int64(0), myYear, int64(0), ""},

		{"N/A", "N/A", pgInteger, nil, ReasonNotInteger},
		{"empty", "", pgInteger, nil, ReasonNotInteger},
		{"spaces only", "   ", pgInteger, nil, ReasonNotInteger},
		{"fraction text", "1.5", pgInteger, nil, ReasonNotInteger},
		{"exponent text", "1e3", pgInteger, nil, ReasonNotInteger},
		{"inner space", "1 2", pgInteger, nil, ReasonNotInteger},
		{"underscore", "1_000", pgInteger, nil, ReasonNotInteger},
		{"sign only", "-", pgInteger, nil, ReasonNotInteger},
		{"NaN", math.NaN(), pgInteger, nil, ReasonNotInteger},
		{"time", ts(2024, 1, 2, 3, 4, 5, 0), pgInteger, nil, ReasonNotInteger},
		{"fractional float", 1.5, pgInteger, nil, ReasonPrecisionLoss},
		{"fractional float32", float32(0.25), pgInteger, nil, ReasonPrecisionLoss},
		{"40000 into smallint", 40000, pgSmallint, nil, ReasonOutOfRange},
		{"-32769 into smallint", "-32769", pgSmallint, nil, ReasonOutOfRange},
		{"256 into unsigned tinyint", int64(256), myTinyU, nil, ReasonOutOfRange},
		{"negative into unsigned", int64(-1), myTinyU, nil, ReasonOutOfRange},
		{"uint64 into signed bigint", uint64(math.MaxUint64), pgBigint, nil, ReasonOutOfRange},
		{"text overflow", "99999999999999999999", pgBigint, nil, ReasonOutOfRange},
		{"int64 max+1 text", "9223372036854775808", pgBigint, nil, ReasonOutOfRange},
		{"huge float", 1e19, pgBigint, nil, ReasonOutOfRange},
		{"inf", math.Inf(1), pgBigint, nil, ReasonOutOfRange},
		{"year 1900", int64(1900), myYear, nil, ReasonOutOfRange},
		{"two-digit year", int64(24), myYear, nil, ReasonOutOfRange},
	})
}

func TestIntegerMessage(t *testing.T) {
	_, r := Convert("N/A", ParseSQLite("INTEGER", false))
	if want := `"N/A" is not an integer (target column type INTEGER)`; r == nil || r.Message != want {
		t.Fatalf("message %v, want %q", r, want)
	}
	_, r = Convert(40000, pgSmallint)
	if want := `40000 is out of range: the column holds -32768 to 32767 (target column type smallint)`; r == nil || r.Message != want {
		t.Fatalf("message %v, want %q", r, want)
	}
}

func TestConvertFloat(t *testing.T) {
	runConvert(t, []convCase{
		{"double", 0.1, pgDouble, 0.1, ""},
		{"text", "0.1", pgDouble, 0.1, ""},
		{"text exponent", " 1.5e3 ", pgDouble, 1500.0, ""},
		{"int exact", int64(1 << 53), pgDouble, float64(1 << 53), ""},
		{"float32 widens exactly", float32(0.1), pgDouble, float64(float32(0.1)), ""},
		{"0.1 into real keeps its digits", 0.1, pgReal, float64(float32(0.1)), ""},
		{"text into real", "0.1", pgReal, float64(float32(0.1)), ""},
		{"Infinity text", "-Infinity", pgDouble, math.Inf(-1), ""},
		{"MySQL float(7,2)", "12.25", myFloatMD, 12.25, ""},

		{"not a number", "abc", pgDouble, nil, ReasonNotNumber},
		{"empty", "", pgDouble, nil, ReasonNotNumber},
		{"hex float", "0x1p-2", pgDouble, nil, ReasonNotNumber},
		{"bool", true, pgDouble, nil, ReasonNotNumber},
		{"NaN into MySQL", math.NaN(), myDouble, nil, ReasonNotNumber},
		{"Inf text into MySQL", "inf", myFloat, nil, ReasonNotNumber},
		{"too many digits", "0.1000000000000000000001", pgDouble, nil, ReasonPrecisionLoss},
		{"int beyond 2^53", int64(1<<53 + 1), pgDouble, nil, ReasonPrecisionLoss},
		{"double into real", 0.123456789012, pgReal, nil, ReasonPrecisionLoss},
		{"int into real", int64(16777217), pgReal, nil, ReasonPrecisionLoss},
		{"underflow", "1e-400", pgDouble, nil, ReasonPrecisionLoss},
		{"float(7,2) decimals", 12.345, myFloatMD, nil, ReasonPrecisionLoss},
		{"overflow text", "1e400", pgDouble, nil, ReasonOutOfRange},
		{"overflow real", 1e39, pgReal, nil, ReasonOutOfRange},
		{"float(7,2) range", 123456.0, myFloatMD, nil, ReasonOutOfRange},
		{"unsigned double", -1.0, ParseMySQL("double unsigned", false), nil, ReasonOutOfRange},
	})
	got, r := Convert(math.NaN(), pgDouble)
	if r != nil || !math.IsNaN(got.(float64)) {
		t.Fatalf("NaN into double: %v %v", got, r)
	}
}

func TestConvertBool(t *testing.T) {
	var cases []convCase
	for _, s := range []string{"true", "TRUE", "t", "1", "yes", "On", " y "} {
		cases = append(cases, convCase{s, s, pgBool, true, ""})
	}
	for _, s := range []string{"false", "F", "0", "no", "OFF", "n"} {
		cases = append(cases, convCase{s, s, pgBool, false, ""})
	}
	cases = append(cases,
		convCase{"int 1", int64(1), pgBool, true, ""},
		convCase{"int 0", 0, pgBool, false, ""},
		convCase{"bit(1) byte", []byte{1}, pgBool, true, ""},
		convCase{"text bytes", []byte("f"), pgBool, false, ""},
		convCase{"bool", true, pgBool, true, ""},
		convCase{"int 2", int64(2), pgBool, nil, ReasonNotBoolean},
		convCase{"maybe", "maybe", pgBool, nil, ReasonNotBoolean},
		convCase{"empty", "", pgBool, nil, ReasonNotBoolean},
		convCase{"float 0.5", 0.5, pgBool, nil, ReasonNotBoolean},
		convCase{"time", ts(2024, 1, 1, 0, 0, 0, 0), pgBool, nil, ReasonNotBoolean},
	)
	runConvert(t, cases)
}
