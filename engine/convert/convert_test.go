package convert

import (
	"database/sql"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
)

type cents int32

type label string

type stringer struct{}

func (stringer) String() string { return "42" }

func TestConvertNull(t *testing.T) {
	for _, ty := range []Type{pgInteger, pgNumeric, pgText, pgDate, myEnum, sqAny} {
		got, r := Convert(nil, ty)
		if got != nil || r != nil {
			t.Errorf("NULL into nullable %s: %v %v", ty, got, r)
		}
		ty.NotNull = true
		for _, null := range []any{nil, sql.NullInt64{}, (*int64)(nil), sql.NullString{}} {
			got, r = Convert(null, ty)
			if got != nil || r == nil || r.Reason != ReasonNullViolation {
				t.Fatalf("%#v into NOT NULL %s: %v %v", null, ty, got, r)
			}
			checkMessage(t, r, ty)
		}
	}
	_, r := Convert(nil, ParsePostgres("integer", true))
	if want := "NULL cannot go into a NOT NULL column (target column type integer)"; r.Message != want {
		t.Errorf("message %q, want %q", r.Message, want)
	}
}

func TestConvertInputTypes(t *testing.T) {
	i := int64(7)
	s := "7"
	runConvert(t, []convCase{
		{"int", 7, pgInteger, int64(7), ""},
		{"uint", uint(7), pgInteger, int64(7), ""},
		{"pointer", &i, pgInteger, int64(7), ""},
		{"string pointer", &s, pgInteger, int64(7), ""},
		{"named int", cents(7), pgInteger, int64(7), ""},
		{"named string", label("7"), pgInteger, int64(7), ""},
		{"sql.NullInt64", sql.NullInt64{Int64: 7, Valid: true}, pgInteger, int64(7), ""},
		{"sql.NullString", sql.NullString{String: "12.30", Valid: true}, pgNumeric, "12.3", ""},
		{"big.Int", big.NewInt(7), pgNumeric, "7", ""},
		{"big.Float", big.NewFloat(0.25), pgNumeric, "0.25", ""},
		{"Stringer", stringer{}, pgInteger, int64(42), ""},
		{"json.RawMessage", json.RawMessage(`{"a":1}`), pgJSON, `{"a":1}`, ""},
		{"sql.RawBytes", sql.RawBytes("abc"), pgText, "abc", ""},
	})
}

func TestConvertAny(t *testing.T) {
	runConvert(t, []convCase{
		{"int", int64(1), sqAny, int64(1), ""},
		{"int32", int32(1), sqAny, int64(1), ""},
		{"float32", float32(0.5), sqAny, 0.5, ""},
		{"text bytes", []byte("héllo"), sqAny, "héllo", ""},
		{"binary bytes", []byte{0xff, 0}, sqAny, []byte{0xff, 0}, ""},
		{"string", "x", sqAny, "x", ""},
		{"bool", true, sqAny, true, ""},
		{"time", ts(2024, 1, 2, 3, 4, 5, 0), sqAny, ts(2024, 1, 2, 3, 4, 5, 0), ""},
	})
}

func TestMessageValues(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{"N/A", `"N/A"`},
		{[]byte{0xff, 0x00}, `x'ff00'`},
		{strings.Repeat("é", 50), `"` + strings.Repeat("é", 40) + `…"`},
		{"tab\there", `"tab\there"`},
		{int64(-3), "-3"},
		{2.5, "2.5"},
		{nil, "NULL"},
	} {
		if got := showValue(c.in); got != c.want {
			t.Errorf("showValue(%#v) = %s, want %s", c.in, got, c.want)
		}
	}
}
