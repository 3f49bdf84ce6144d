package convert

import (
	"testing"
	"time"
)

// A value that already is what the column takes comes back as the same
// interface value: the copy converts every value of every row, and a new
// interface for an unchanged value is an allocation per value.
func TestConvertKeepsWhatFitsWithoutAllocating(t *testing.T) {
	ts := ParsePostgres("timestamp(6) without time zone", true)
	tstz := ParsePostgres("timestamp with time zone", true)
	date := ParsePostgres("date", true)
	for _, c := range []struct {
		v    any
		t    Type
		name string
	}{
		{time.Date(2021, 3, 4, 5, 6, 7, 123456000, time.UTC), ts, "timestamp"},
		{time.Date(2021, 3, 4, 5, 6, 7, 123456000, time.UTC), tstz, "timestamptz"},
		{time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC), date, "date"},
		{int64(123456), pgBigint, "bigint"},
		{"hello", pgVarchar5, "varchar"},
		{"12.5", pgNumeric, "numeric"},
	} {
		got, r := ConvertTo(c.v, &c.t)
		if r != nil {
			t.Fatalf("%s: %v rejected: %s", c.name, c.v, r.Message)
		}
		if got != c.v {
			t.Errorf("%s: %#v became %#v", c.name, c.v, got)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = ConvertTo(c.v, &c.t) }); n != 0 {
			t.Errorf("%s: converting %v allocates %v times", c.name, c.v, n)
		}
	}
}

// A time that is not in UTC still becomes its wall clock (timestamp) or
// its instant (timestamptz) in UTC: passing values through never skips
// the conversion.
func TestConvertStillMovesTimesToUTC(t *testing.T) {
	zone := time.FixedZone("X", 2*3600)
	in := time.Date(2021, 3, 4, 5, 6, 7, 0, zone)
	got, r := Convert(in, ParsePostgres("timestamp", true))
	if r != nil || got != any(time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)) {
		t.Errorf("timestamp: %v → %v (%v)", in, got, r)
	}
	got, r = Convert(in, ParsePostgres("timestamptz", true))
	if r != nil || got != any(in.UTC()) {
		t.Errorf("timestamptz: %v → %v (%v)", in, got, r)
	}
	local := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC).In(zone)
	if got, _ := Convert(local, ParsePostgres("timestamptz", true)); got.(time.Time).Location() != time.UTC {
		t.Errorf("timestamptz keeps location %v", got.(time.Time).Location())
	}
}

// inYears1To9999 agrees with the year itself at and around both ends of
// the range, in UTC and in other zones.
func TestInYears1To9999AtTheEdges(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("E", 14*3600), time.FixedZone("W", -12*3600)}
	edges := []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(-4713, 11, 24, 0, 0, 0, 0, time.UTC),
		time.Date(294276, 12, 31, 23, 59, 59, 999999000, time.UTC),
	}
	for _, e := range edges {
		for _, d := range []time.Duration{-time.Hour * 24, -time.Second, -time.Nanosecond, 0, time.Nanosecond, time.Second, 24 * time.Hour} {
			for _, z := range zones {
				tm := e.Add(d).In(z)
				y := tm.Year()
				if got, want := inYears1To9999(tm), y >= 1 && y <= 9999; got != want {
					t.Errorf("%v (year %d): %v, want %v", tm, y, got, want)
				}
			}
		}
	}
}

// checkFraction refuses exactly the fractions finer than the column's
// scale, for every scale and for negative remainders too (times of day).
func TestCheckFractionByScale(t *testing.T) {
	for scale := -1; scale <= 10; scale++ {
		typ := Type{Kind: Timestamp, Scale: scale}
		s := min(max(scale, 0), 9)
		unit := 1
		for range 9 - s {
			unit *= 10
		}
		for _, nsec := range []int{0, 1, 9, 10, 999, 1000, 1001, 123456000, 123456789, 500000000, 999999999,
			-1, -1000, -123456000, -999999999, 1_000_000_000, 1_000_001_000} {
			if got, want := checkFraction(nil, nsec, &typ) == nil, nsec%unit == 0; got != want {
				t.Errorf("scale %d, %d ns: accepted %v, want %v", scale, nsec, got, want)
			}
		}
	}
}
