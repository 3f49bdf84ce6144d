package db

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// decodeInfile reads text of mysqlInfileFormat back by the server's rules
// for FIELDS TERMINATED BY '\t' ENCLOSED BY ” ESCAPED BY '\\' LINES
// TERMINATED BY '\n': a field that is exactly \N is NULL; \0 \b \n \r \t
// \Z are NUL, backspace, newline, return, tab and ^Z; any other escaped
// byte is itself. A tab or newline that is not escaped ends a field or a
// line. Fields are returned as strings (nil for NULL).
func decodeInfile(t *testing.T, data []byte) [][]any {
	t.Helper()
	var rows [][]any
	var row []any
	var field []byte
	escaped, raw := false, 0 // raw counts the field's bytes as written
	end := func() {
		if raw == 2 && string(field) == "N" && escaped {
			row = append(row, nil)
		} else {
			row = append(row, string(field))
		}
		field, raw, escaped = nil, 0, false
	}
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case '\\':
			if i+1 == len(data) {
				t.Fatalf("a lone backslash ends the text")
			}
			i++
			raw += 2
			escaped = true
			switch e := data[i]; e {
			case '0':
				field = append(field, 0)
			case 'b':
				field = append(field, '\b')
			case 'n':
				field = append(field, '\n')
			case 'r':
				field = append(field, '\r')
			case 't':
				field = append(field, '\t')
			case 'Z':
				field = append(field, 0x1a)
			default:
				field = append(field, e)
			}
		case '\t':
			end()
		case '\n':
			end()
			rows = append(rows, row)
			row = nil
		default:
			raw++
			field = append(field, c)
		}
	}
	if row != nil || raw != 0 {
		t.Fatalf("the text does not end with a newline")
	}
	return rows
}

// hostileStrings are texts that break naive TSV writers.
var hostileStrings = []string{
	"", "\\", "\\N", "N", "NULL", "\\\\N", "\t", "\n", "\r\n", "\x00", "a\x00b", "\\0", "\\t", "tab\there",
	"line\nbreak", "trailing\\", "\\\\", "\x1a", "\\Z", "\b", "'quoted'", `"double"`, "`tick`", ",comma,",
	"Straße — Zürich 🎁", "\u202egnirts desrever", "\xef\xbb\xbfbom", "  spaces  ", "\u00a0", strings.Repeat("x\\", 300),
	"@tightrope_0", "UNHEX(41)", "--", "/* c */", "é\te\n",
}

// TestInfileEncodingIsReversible: every value written for LOAD DATA reads
// back, by the server's rules, as the text the driver would send for it:
// hostile strings (escapes, NULL look-alikes, separators, NUL, invalid and
// non-BMP UTF-8), bytes (in hexadecimal), floats in full, integers at
// their limits, times to the nanosecond, and NULL.
func TestInfileEncodingIsReversible(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 2026))
	var rows [][]any
	for _, s := range hostileStrings {
		rows = append(rows, []any{s, []byte(s), nil})
	}
	for range 500 { // random bytes, also as text
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		rows = append(rows, []any{string(b), b, nil})
	}
	rows = append(rows, []any{"", []byte{}, nil}, []any{nil, nil, nil})
	var buf []byte
	hexed := []bool{false, true, false}
	var err error
	for _, row := range rows {
		if buf, err = appendInfileRow(buf, row, hexed); err != nil {
			t.Fatal(err)
		}
	}
	got := decodeInfile(t, buf)
	if len(got) != len(rows) {
		t.Fatalf("read back %d rows, wrote %d", len(got), len(rows))
	}
	for i, row := range rows {
		if len(got[i]) != 3 {
			t.Fatalf("row %d: %d fields, want 3 (%q)", i, len(got[i]), got[i])
		}
		if row[0] == nil {
			if got[i][0] != nil || got[i][1] != nil {
				t.Fatalf("row %d: NULL read back as %q", i, got[i])
			}
			continue
		}
		if got[i][0] != row[0] {
			t.Errorf("row %d: text %q read back as %q", i, row[0], got[i][0])
		}
		b, err := hex.DecodeString(got[i][1].(string))
		if err != nil || !bytes.Equal(b, row[1].([]byte)) {
			t.Errorf("row %d: bytes %x read back as %q", i, row[1], got[i][1])
		}
		if got[i][2] != nil {
			t.Errorf("row %d: NULL read back as %q", i, got[i][2])
		}
	}

	// Numbers and times: the text is the value, in full.
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1.0 / 3, math.MaxFloat64, -math.MaxFloat64,
		math.SmallestNonzeroFloat64, 2.2250738585072014e-308, 1e21, 1e-7, 123456789012345678}
	for range 1000 {
		floats = append(floats, math.Float64frombits(r.Uint64()))
	}
	for _, f := range floats {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			if _, err := appendInfileValue(nil, f, false); err == nil {
				t.Errorf("%v encoded; MySQL has no such value", f)
			}
			continue
		}
		txt := string(must(appendInfileValue(nil, f, false)))
		back, err := strconv.ParseFloat(txt, 64)
		if err != nil || math.Float64bits(back) != math.Float64bits(f) {
			t.Errorf("float64 %v written %q reads back as %v", f, txt, back)
		}
		f32 := float32(f)
		if math.IsInf(float64(f32), 0) {
			continue
		}
		txt = string(must(appendInfileValue(nil, f32, false)))
		back, err = strconv.ParseFloat(txt, 64)
		if err != nil || math.Float32bits(float32(back)) != math.Float32bits(f32) || back != float64(f32) {
			t.Errorf("float32 %v written %q reads back as %v", f32, txt, back)
		}
	}
	for _, n := range []any{int64(math.MinInt64), int64(math.MaxInt64), uint64(math.MaxUint64), int64(0), true, false} {
		txt := string(must(appendInfileValue(nil, n, false)))
		want := map[any]string{true: "1", false: "0"}[n]
		if want == "" {
			want = fmtAny(n)
		}
		if txt != want {
			t.Errorf("%v written %q, want %q", n, txt, want)
		}
	}
	times := map[time.Time]string{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC):                               "0001-01-01",
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC):                           "2024-02-29",
		time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC):                        "2024-02-29 23:59:59",
		time.Date(2024, 2, 29, 23, 59, 59, 500000000, time.UTC):                "2024-02-29 23:59:59.5",
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC):               "9999-12-31 23:59:59.999999",
		time.Date(2024, 3, 1, 1, 0, 0, 1, time.FixedZone("x", 3600)):           "2024-03-01 00:00:00.000000001",
		time.Date(2024, 3, 1, 5, 30, 0, 0, time.FixedZone("ist", 5*3600+1800)): "2024-03-01",
	}
	for tm, want := range times {
		if got := string(must(appendInfileValue(nil, tm, false))); got != want {
			t.Errorf("%v written %q, want %q", tm, got, want)
		}
	}
	if _, err := appendInfileValue(nil, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), false); err == nil {
		t.Error("year 10000 encoded")
	}
	for _, hexed := range []bool{false, true} {
		if got := string(must(appendInfileValue(nil, []byte(nil), hexed))); got != `\N` {
			t.Errorf("a nil []byte written %q, want \\N (NULL, as the driver sends it)", got)
		}
		if got := string(must(appendInfileValue(nil, []byte{}, hexed))); got != "" {
			t.Errorf("an empty []byte written %q, want an empty field", got)
		}
	}
	if _, err := appendInfileValue(nil, struct{}{}, false); err == nil {
		t.Error("a struct encoded")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func fmtAny(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	}
	return ""
}
