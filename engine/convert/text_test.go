package convert

import (
	"strings"
	"testing"
	"time"
)

func TestConvertText(t *testing.T) {
	runConvert(t, []convCase{
		{"ascii", "hello", pgVarchar5, "hello", ""},
		{"5 chars 6 bytes", "héllo", pgVarchar5, "héllo", ""},
		{"bytes become string", []byte("héllo"), pgVarchar5, "héllo", ""},
		{"unbounded", strings.Repeat("x", 10000), pgText, strings.Repeat("x", 10000), ""},
		{"int", int64(-12), pgText, "-12", ""},
		{"float", 0.1, pgText, "0.1", ""},
		{"bool", true, pgText, "true", ""},
		{"time", ts(2024, 2, 29, 13, 45, 0, 500000000), pgText, "2024-02-29 13:45:00.5Z", ""},
		{"char(3) fits", "ab", pgChar3, "ab", ""},
		{"char(3) trailing spaces", "abc   ", pgChar3, "abc", ""},
		{"tinytext 255 bytes", strings.Repeat("a", 255), myTinytext, strings.Repeat("a", 255), ""},
		{"SQLite varchar keeps trailing spaces", "ab ", ParseSQLite("CHAR(3)", false), "ab ", ""},

		{"6 chars", "héllo!", pgVarchar5, nil, ReasonTooLong},
		{"varchar trailing spaces count", "hello ", pgVarchar5, nil, ReasonTooLong},
		{"char(3) too long", "abcd", pgChar3, nil, ReasonTooLong},
		{"tinytext 128 two-byte chars", strings.Repeat("é", 128), myTinytext, nil, ReasonTooLong},
		{"int too long", int64(123456), pgVarchar5, nil, ReasonTooLong},
		{"invalid UTF-8", []byte{'a', 0xff, 'b'}, pgText, nil, ReasonInvalidText},
		{"invalid UTF-8 string", "a\xc3", pgText, nil, ReasonInvalidText},
		{"NUL", "a\x00b", pgText, nil, ReasonInvalidText},
		{"unknown Go type", struct{ A int }{1}, pgText, nil, ReasonInvalidText},
		{"first instant of year 1", time.Time{}, pgText, "0001-01-01 00:00:00Z", ""},
	})
}

func TestTextMessage(t *testing.T) {
	_, r := Convert("héllo!", pgVarchar5)
	want := `"héllo!" is 6 characters long, more than the 5 the column allows (target column type character varying(5))`
	if r == nil || r.Message != want {
		t.Fatalf("got %v\nwant %s", r, want)
	}
	_, r = Convert(strings.Repeat("x", 100), pgVarchar5)
	if r == nil || !strings.HasPrefix(r.Message, `"`+strings.Repeat("x", 40)+`…" is 100 characters`) {
		t.Fatalf("long value not cut: %v", r)
	}
}

func TestConvertEnum(t *testing.T) {
	runConvert(t, []convCase{
		{"member", "green", myEnum, "green", ""},
		{"member with quote", "it's", myEnum, "it's", ""},
		{"bytes", []byte("red"), myEnum, "red", ""},
		{"not a member", "purple", myEnum, nil, ReasonInvalidEnum},
		{"case differs", "Red", myEnum, nil, ReasonInvalidEnum},
		{"empty", "", myEnum, nil, ReasonInvalidEnum},
		{"number", int64(1), myEnum, nil, ReasonInvalidEnum},
	})
}

func TestConvertUUID(t *testing.T) {
	const u = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
	raw := []byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
	runConvert(t, []convCase{
		{"canonical", u, pgUUID, u, ""},
		{"upper case", strings.ToUpper(u), pgUUID, u, ""},
		{"braces", "{" + u + "}", pgUUID, u, ""},
		{"no hyphens", strings.ReplaceAll(u, "-", ""), pgUUID, u, ""},
		{"hyphen every four", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", pgUUID, u, ""},
		{"binary(16)", raw, pgUUID, u, ""},
		{"array", [16]byte(raw), pgUUID, u, ""},
		{"short", u[:35], pgUUID, nil, ReasonInvalidUUID},
		{"long", u + "0", pgUUID, nil, ReasonInvalidUUID},
		{"not hex", strings.Replace(u, "a", "g", 1), pgUUID, nil, ReasonInvalidUUID},
		{"double hyphen", "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11", pgUUID, nil, ReasonInvalidUUID},
		{"16 printable bytes", []byte("abcdefghijklmnop"), pgUUID, nil, ReasonInvalidUUID},
		{"number", int64(1), pgUUID, nil, ReasonInvalidUUID},
	})
}

func TestConvertJSON(t *testing.T) {
	runConvert(t, []convCase{
		{"object kept verbatim", `{"b": 1, "a": [true, null]}`, pgJSON, `{"b": 1, "a": [true, null]}`, ""},
		{"bytes", []byte(`[1,2]`), myJSON, `[1,2]`, ""},
		{"scalar", `"x"`, pgJSONB, `"x"`, ""},
		{"int", int64(5), pgJSON, "5", ""},
		{"float", 0.5, pgJSON, "0.5", ""},
		{"bool", false, pgJSON, "false", ""},
		{"NUL escape in json", `"a\u0000"`, pgJSON, `"a\u0000"`, ""},
		{"escaped backslash in jsonb", `"\\u0000"`, pgJSONB, `"\\u0000"`, ""},

		{"invalid", `{a:1}`, pgJSON, nil, ReasonInvalidJSON},
		{"two documents", `1 2`, pgJSON, nil, ReasonInvalidJSON},
		{"empty", ``, pgJSON, nil, ReasonInvalidJSON},
		{"invalid UTF-8", "\"\xff\"", pgJSON, nil, ReasonInvalidJSON},
		{"NUL escape in jsonb", `{"a":"x\u0000"}`, pgJSONB, nil, ReasonInvalidJSON},
		{"NaN", nan(), pgJSON, nil, ReasonInvalidJSON},
		{"time", ts(2024, 1, 1, 0, 0, 0, 0), pgJSON, nil, ReasonInvalidJSON},
	})
}

func TestConvertBinary(t *testing.T) {
	runConvert(t, []convCase{
		{"bytes", []byte{0, 1, 2}, pgBytea, []byte{0, 1, 2}, ""},
		{"text bytes", "héllo", pgBytea, []byte("héllo"), ""},
		{"varbinary(3)", []byte{1, 2, 3}, myVarbin3, []byte{1, 2, 3}, ""},
		{"binary(4) not padded", []byte{1}, myBinary4, []byte{1}, ""},
		{"bit(10) from bytes", []byte{0x03, 0xff}, myBit10, []byte{0x03, 0xff}, ""},
		{"bit(10) padded", []byte{0x05}, myBit10, []byte{0x00, 0x05}, ""},
		{"bit(10) from int", int64(513), myBit10, []byte{0x02, 0x01}, ""},
		{"bit(10) from bool", true, myBit10, []byte{0, 1}, ""},

		{"varbinary(3) too long", []byte{1, 2, 3, 4}, myVarbin3, nil, ReasonTooLong},
		{"int into bytea", int64(1), pgBytea, nil, ReasonNotBinary},
		{"time into bytea", ts(2024, 1, 1, 0, 0, 0, 0), pgBytea, nil, ReasonNotBinary},
		{"bit(10) overflow", int64(1024), myBit10, nil, ReasonOutOfRange},
		{"bit(10) overflow bytes", []byte{0x04, 0x00}, myBit10, nil, ReasonOutOfRange},
		{"bit negative", int64(-1), myBit10, nil, ReasonOutOfRange},
		{"bit from float", 1.0, myBit10, nil, ReasonNotBinary},
	})
}
