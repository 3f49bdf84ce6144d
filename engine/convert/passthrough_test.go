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
