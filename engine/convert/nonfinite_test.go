package convert

import "testing"

// TestPostgresNonFiniteValues: numeric NaN and ±Infinity and infinite
// dates and timestamps convert for a PostgreSQL column that holds them
// (as their canonical text, which is also their canonical form), and are
// rejected, naming why, by one that does not.
func TestPostgresNonFiniteValues(t *testing.T) {
	myDecimal, liteNumeric := ParseMySQL("decimal(10,2)", false), ParseSQLite("NUMERIC", false)
	pgDate, pgTS, pgTZ := ParsePostgres("date", false), ParsePostgres("timestamp without time zone", false), ParsePostgres("timestamp with time zone", false)
	myDate, liteDate := ParseMySQL("date", false), ParseSQLite("DATE", false)
	cases := []struct {
		in     any
		t      Type
		want   string // "" when rejected
		reason string
	}{
		{"NaN", pgNumericU, "NaN", ""},
		{"nan", pgNumeric, "NaN", ""}, // a declared precision holds NaN
		{[]byte("Infinity"), pgNumericU, "Infinity", ""},
		{"-Infinity", pgNumericU, "-Infinity", ""},
		{"Infinity", pgNumeric, "", ReasonOutOfRange}, // but no infinity
		{"NaN", myDecimal, "", ReasonNotNumber},
		{"-Infinity", liteNumeric, "", ReasonNotNumber},
		{"infinity", pgDate, "infinity", ""},
		{"-infinity", pgTS, "-infinity", ""},
		{"+infinity", pgTZ, "infinity", ""},
		{"infinity", myDate, "", ReasonInvalidDate},
		{"-infinity", liteDate, "", ReasonInvalidDate},
		{"NaN", pgDate, "", ReasonInvalidDate},
	}
	for _, c := range cases {
		got, r := Convert(c.in, c.t)
		switch {
		case c.reason != "" && (r == nil || r.Reason != c.reason):
			t.Errorf("%v into %s: %v, %+v; want the reason %s", c.in, c.t, got, r, c.reason)
		case c.reason == "" && (r != nil || got != c.want):
			t.Errorf("%v into %s: %v, %+v; want %q", c.in, c.t, got, r, c.want)
		case c.reason == "":
			if canon := Canonical(c.in, c.t); canon != c.want || Canonical(got, c.t) != c.want {
				t.Errorf("%v into %s: canonical %q, want %q", c.in, c.t, canon, c.want)
			}
		}
	}
}
