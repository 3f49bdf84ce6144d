package assess

import (
	"testing"

	"github.com/tightrope/tightrope/engine/convert"
)

func TestParseSample(t *testing.T) {
	for in, want := range map[string]Sample{"": {}, "5000": {Rows: 5000}, "10%": {Fraction: 0.1}, "0.5%": {Fraction: 0.005}, "100%": {Fraction: 1}} {
		got, err := ParseSample(in)
		if err != nil || got != want {
			t.Errorf("ParseSample(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"0", "-3", "0%", "101%", "ten", "10 %x"} {
		if _, err := ParseSample(bad); err == nil {
			t.Errorf("ParseSample(%q) accepted", bad)
		}
	}
	if (Sample{Fraction: 1}).String() != "" || !(Sample{Fraction: 1}).All() {
		t.Error("100% is every row, not a sample")
	}
	if n := (Sample{Fraction: 0.1}).target(20000); n != 2000 {
		t.Errorf("10%% of 20000 = %d", n)
	}
	if n := (Sample{Rows: 500}).target(100); n != 100 {
		t.Errorf("500 rows of a 100-row table = %d", n)
	}
}

func TestNarrowing(t *testing.T) {
	dec := func(p, s int) convert.Type { return convert.Type{Kind: convert.Decimal, Precision: p, Scale: s} }
	for _, c := range []struct {
		src, dst convert.Type
		narrows  bool
	}{
		{dec(20, 8), dec(12, 2), true},
		{dec(10, 2), dec(12, 2), false},
		{dec(10, 2), dec(12, 4), false},
		{dec(12, 4), dec(12, 2), true},
		{convert.Type{Kind: convert.Text}, convert.Type{Kind: convert.Integer}, true},
		{convert.Type{Kind: convert.Integer, Bits: 64}, convert.Type{Kind: convert.Integer, Bits: 32}, true},
		{convert.Type{Kind: convert.Integer, Bits: 32}, convert.Type{Kind: convert.Integer}, false},
		{convert.Type{Kind: convert.Text, Length: 80}, convert.Type{Kind: convert.Text, Length: 64}, true},
		{convert.Type{Kind: convert.Text, Length: 64}, convert.Type{Kind: convert.Text}, false},
		{convert.Type{Kind: convert.Integer, Bits: 32}, dec(12, 2), false},
		{convert.Type{Kind: convert.Integer}, dec(12, 2), true},
		{convert.Type{Kind: convert.Timestamp, Scale: 6}, convert.Type{Kind: convert.Timestamp, Scale: 0}, true},
	} {
		if got := narrowing(c.src, c.dst) != ""; got != c.narrows {
			t.Errorf("%+v → %+v: narrows %v, want %v (%q)", c.src, c.dst, got, c.narrows, narrowing(c.src, c.dst))
		}
	}
}
