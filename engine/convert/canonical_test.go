package convert

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestCanonicalAcrossEngines renders the same value as each engine's driver
// delivers it, into the same target type, and expects one canonical form.
func TestCanonicalAcrossEngines(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	for _, c := range []struct {
		name string
		t    Type
		want string
		ins  []any
	}{
		{"decimal", pgNumeric, "12.3", []any{"12.30", []byte("12.30"), 12.3, float32(12.3), "1.23e1", "12.3"}},
		{"negative zero decimal", pgNumeric, "0", []any{"-0.00", 0.0, math.Copysign(0, -1), int64(0)}},
		{"integer", pgBigint, "5", []any{int64(5), int32(5), []byte("5"), " 5 ", 5.0, uint8(5)}},
		{"bool", pgBool, "t", []any{true, int64(1), "t", "TRUE", []byte("1"), []byte{1}}},
		{"float", pgDouble, "0.1", []any{0.1, "0.1", []byte("0.10")}},
		{"real", pgReal, "0.1", []any{float32(0.1), 0.1, "0.1"}},
		{"negative zero float", pgDouble, "0", []any{math.Copysign(0, -1), 0.0, "-0"}},
		{"timestamptz", pgTSTZ, "2024-02-29T00:00:00.5Z", []any{
			time.Date(2024, 2, 29, 9, 0, 0, 5e8, tokyo), "2024-02-29 00:00:00.5", "2024-02-29T09:00:00.500+09:00",
		}},
		{"timestamp", pgTS, "2024-02-29T13:45:10", []any{ts(2024, 2, 29, 13, 45, 10, 0), "2024-02-29 13:45:10", []byte("2024-02-29T13:45:10.000000")}},
		{"date", pgDate, "2024-02-29", []any{date(2024, 2, 29), "2024-02-29", []byte("2024-02-29 00:00:00")}},
		{"time", pgTime, "13:45:10.5", []any{"13:45:10.500000", []byte("13:45:10.5"), time.Date(0, 1, 1, 13, 45, 10, 5e8, time.UTC)}},
		{"json", pgJSONB, `{"a":[1,2.5,"é"],"b":{"c":null}}`, []any{
			`{"b": {"c": null}, "a": [1.0, 2.50, "é"]}`, []byte(`{"a":[1e0,25e-1,"\u00e9"],"b":{"c":null}}`),
		}},
		{"uuid", pgUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", []any{
			"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc999c0b4ef8bb6d6bb9bd380a11",
		}},
		{"char", pgChar3, "ab", []any{"ab", "ab ", []byte("ab  ")}},
		{"binary(4)", myBinary4, "01", []any{[]byte{1}, []byte{1, 0, 0, 0}}},
		{"bit(10)", myBit10, "0005", []any{[]byte{5}, int64(5), []byte{0, 5}}},
		{"text", pgText, "héllo", []any{"héllo", []byte("héllo")}},
		{"any", sqAny, "12", []any{int64(12), "12", []byte("12")}},
	} {
		for _, in := range c.ins {
			if got := Canonical(in, c.t); got != c.want {
				t.Errorf("%s: Canonical(%#v) = %q, want %q", c.name, in, got, c.want)
			}
		}
	}
}

func TestCanonicalDistinct(t *testing.T) {
	null := Canonical(nil, sqAny)
	for _, c := range []struct {
		v any
		t Type
	}{
		{"", sqAny}, {"\x00N", sqAny}, {"\x00", sqAny}, {int64(0), sqAny}, {"", pgText},
		{[]byte{0, 'N'}, sqAny}, {"N/A", pgInteger}, {[]byte{}, pgBytea},
	} {
		if got := Canonical(c.v, c.t); got == null {
			t.Errorf("Canonical(%#v, %s) = %q equals NULL's", c.v, c.t, got)
		}
	}
	if Canonical(nil, pgInteger) != null || Canonical(nil, ParsePostgres("integer", true)) != null {
		t.Error("NULL renders differently by type")
	}
	if got := Canonical("N/A", pgInteger); !strings.HasPrefix(got, invalidMarker) {
		t.Errorf("an unconvertible value renders %q", got)
	}
	if Canonical("\x00N", sqAny) == Canonical("N", sqAny) {
		t.Error("escaping collides")
	}
}

func TestCanonicalAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	var v any = int64(123456)
	if n := testing.AllocsPerRun(100, func() { buf = AppendCanonical(buf[:0], v, pgBigint) }); n != 0 {
		t.Errorf("integer canonical allocates %v times", n)
	}
	var s any = "hello"
	if n := testing.AllocsPerRun(100, func() { buf = AppendCanonical(buf[:0], s, pgVarchar5) }); n != 0 {
		t.Errorf("text canonical allocates %v times", n)
	}
}
