package convert

import "testing"

// fuzzTypes are the targets FuzzConvert tries text against.
var fuzzTypes = []Type{
	pgSmallint, pgBigint, pgNumeric, pgNumericU, pgReal, pgDouble, pgVarchar5, pgChar3, pgBool,
	pgDate, pgTS, pgTS0, pgTSTZ, pgTime, pgJSON, pgJSONB, pgBytea, pgUUID, myTinyU, myBigU, myYear,
	myFloatMD, myTinytext, myEnum, myDatetime6, myTimestamp, myTime, myBinary4, myBit10, sqNumeric, sqAny,
}

// FuzzConvert asserts that Convert never panics on text or bytes, that a
// converted value converts to itself, and that it renders canonically like
// its source, also without converting it again (SumConverted).
func FuzzConvert(f *testing.F) {
	for _, s := range []string{"12", " -7 ", "12.3400", "1e3", "héllo", "2024-02-29 13:45:10.5+02:00",
		"0000-00-00", "13:45:10", "-838:59:59", "true", `{"a":[1.0]}`, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"NaN", "-Infinity", "\x00", "\xff", "green", "2038-01-19 03:14:07"} {
		for i := range fuzzTypes {
			f.Add(s, uint8(i), false)
		}
		f.Add(s, uint8(0), true)
	}
	f.Fuzz(func(t *testing.T, s string, k uint8, asBytes bool) {
		ty := fuzzTypes[int(k)%len(fuzzTypes)]
		var in any = s
		if asBytes {
			in = []byte(s)
		}
		out, r := Convert(in, ty)
		if r != nil {
			if r.Reason == "" || out != nil {
				t.Fatalf("bad reject %v %v", out, r)
			}
			return
		}
		again, r := Convert(out, ty)
		if r != nil || !same(again, out) && Canonical(again, ty) != Canonical(out, ty) { // NaN != NaN
			t.Fatalf("%s: %q -> %#v -> %#v, %v", ty, s, out, again, r)
		}
		if Canonical(out, ty) != Canonical(in, ty) {
			t.Fatalf("%s: canonical of %q differs from its conversion %#v", ty, s, out)
		}
		var h RowHasher
		checkSumConverted(t, &h, in, ty)
	})
}
