package convert

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata" // the named zones below, whatever the machine has installed
)

// randomTimes returns n times spread over the years 1 to 9999 (and a few
// outside them), in many zones, with fractions of every length.
func randomTimes(t *testing.T, n int) []time.Time {
	t.Helper()
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 0), time.FixedZone("X", 9*3600),
		time.FixedZone("Y", -(3*3600 + 30*60)), time.FixedZone("S", 5*3600+17), time.FixedZone("N", -45),
		time.FixedZone("BIG", 101*3600), time.FixedZone("NBIG", -99*3600-59*60)}
	for _, name := range []string{"America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/Amsterdam", "Pacific/Chatham"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		zones = append(zones, loc)
	}
	r := rand.New(rand.NewPCG(1, 2))
	out := []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 23, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, zones[3]), time.Date(9999, 12, 31, 23, 0, 0, 0, zones[4]),
		{}, time.Unix(0, 0), time.Date(2024, 2, 29, 13, 45, 10, 500_000_000, time.UTC),
	}
	for range n {
		year := 1 + r.IntN(9999)
		if r.IntN(50) == 0 {
			year = -200 + r.IntN(400) + 9999*r.IntN(2)
		}
		nsec := r.IntN(1_000_000_000)
		switch r.IntN(5) { // fractions of every length, and none
		case 0:
			nsec = 0
		case 1:
			nsec -= nsec % 1000
		case 2:
			nsec -= nsec % 1_000_000
		case 3:
			nsec -= nsec % 100_000_000
		}
		tm := time.Date(year, time.Month(1+r.IntN(12)), 1+r.IntN(31), r.IntN(24), r.IntN(60), r.IntN(60), nsec, zones[r.IntN(len(zones))])
		out = append(out, tm, tm.UTC())
	}
	return out
}

// TestTimeFormatMatchesStdlib proves the hand-written formatting writes
// exactly what time.Time.AppendFormat writes.
func TestTimeFormatMatchesStdlib(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	for _, tm := range randomTimes(t, n) {
		check := func(what, got, want string) {
			if got != want {
				t.Fatalf("%s of %s (%s): %q, AppendFormat: %q", what, tm, tm.Location(), got, want)
			}
		}
		check("date", string(appendDate([]byte("x"), tm)), "x"+tm.Format("2006-01-02"))
		check("timestamp", string(appendDateTime(nil, tm, 'T', false)), tm.Format("2006-01-02T15:04:05.999999999"))
		check("RFC 3339", string(appendDateTime(nil, tm, 'T', true)), tm.Format(time.RFC3339Nano))
		check("text", string(appendDateTime(nil, tm, ' ', true)), tm.Format("2006-01-02 15:04:05.999999999Z07:00"))
		check("space, no zone", string(appendDateTime(nil, tm, ' ', false)), tm.Format("2006-01-02 15:04:05.999999999"))
		// The canonical forms, as they were written before.
		for _, ty := range []Type{{Kind: Date}, {Kind: Timestamp}, {Kind: TimestampTZ}, {Kind: Any}} {
			got, _ := appendConverted(nil, tm, &ty)
			check("canonical "+ty.Kind.String(), string(got), string(oldCanonicalTime(tm, ty)))
		}
	}
}

// oldCanonicalTime is the canonical form of a time as AppendCanonical
// wrote it with AppendFormat.
func oldCanonicalTime(x time.Time, t Type) []byte {
	switch t.Kind {
	case Date:
		return x.AppendFormat(nil, "2006-01-02")
	case Timestamp:
		return x.AppendFormat(nil, "2006-01-02T15:04:05.999999999")
	case TimestampTZ:
		return x.UTC().AppendFormat(nil, time.RFC3339Nano)
	}
	return x.AppendFormat(nil, time.RFC3339Nano)
}

// TestFormatTimeOfDay compares with the fmt-based rendering it replaced,
// over MySQL's whole TIME range.
func TestFormatTimeOfDay(t *testing.T) {
	old := func(neg bool, d int64) string {
		sec := d / int64(time.Second)
		s := fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
		if neg {
			s = "-" + s
		}
		if ns := d % int64(time.Second); ns != 0 {
			f := fmt.Sprintf("%09d", ns)
			for f[len(f)-1] == '0' {
				f = f[:len(f)-1]
			}
			s += "." + f
		}
		return s
	}
	r := rand.New(rand.NewPCG(3, 4))
	ds := []int64{0, 1, int64(time.Second), mysqlTimeMax, 24 * int64(time.Hour), 99*int64(time.Hour) + 59, 100 * int64(time.Hour)}
	for range 100_000 {
		d := r.Int64N(mysqlTimeMax + int64(time.Second))
		if r.IntN(2) == 0 {
			d -= d % int64(time.Microsecond)
		}
		ds = append(ds, d)
	}
	for _, d := range ds {
		for _, neg := range []bool{false, true} {
			if got, want := formatTimeOfDay(neg, d), old(neg, d); got != want {
				t.Fatalf("formatTimeOfDay(%v, %d) = %q, want %q", neg, d, got, want)
			}
		}
	}
}

// TestSumConvertedMatchesSum: for every value Convert accepts, hashing its
// output without converting again gives Sum's hash of the output and of
// the original value.
func TestSumConvertedMatchesSum(t *testing.T) {
	var h RowHasher
	r := rand.New(rand.NewPCG(5, 6))
	for _, tm := range randomTimes(t, 2000) {
		for _, ty := range []Type{pgDate, pgTS, pgTSTZ, myDatetime6, myTimestamp, pgTime, pgText, sqAny} {
			for _, in := range []any{tm, tm.Format("2006-01-02 15:04:05.999999999-07:00"), tm.Format("2006-01-02"),
				tm.Format("15:04:05.999999"), tm.Format("2006-01-02T15:04:05.999999999")} {
				checkSumConverted(t, &h, in, ty)
			}
		}
	}
	for range 2000 {
		f := r.NormFloat64() * 1e6
		for _, in := range []any{f, float32(f), int64(f), fmt.Sprint(f), []byte(fmt.Sprintf("%.4f", f)), fmt.Sprintf("%.0f", f)} {
			for _, ty := range fuzzTypes {
				checkSumConverted(t, &h, in, ty)
			}
		}
	}
}

// checkSumConverted checks SumConverted against Sum for one value, in a
// row with a NULL and an integer beside it.
func checkSumConverted(t *testing.T, h *RowHasher, in any, ty Type) {
	t.Helper()
	c, rej := Convert(in, ty)
	if rej != nil {
		return
	}
	types := []Type{pgBigint, ty, pgText}
	want := h.Sum([]any{int64(7), in, nil}, types)
	if got := h.Sum([]any{int64(7), c, nil}, types); got != want {
		t.Fatalf("%s: Sum of %#v differs from Sum of its conversion %#v", ty, in, c)
	}
	if got := h.SumConverted([]any{int64(7), c, nil}, types); got != want {
		t.Fatalf("%s: SumConverted of %#v (from %#v) differs from Sum", ty, c, in)
	}
}
