package db

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestParseMyDateTimeMatchesMyTime: the fast path gives exactly what
// myTime's time.Parse gives, and declines everything it does not.
func TestParseMyDateTimeMatchesMyTime(t *testing.T) {
	cases := []string{
		"2024-02-29", "2023-02-29", "2000-02-29", "1900-02-29", "0000-00-00", "0000-01-01", "0001-01-01",
		"9999-12-31 23:59:59.999999", "2024-01-01 00:00:00", "2024-01-01 24:00:00", "2024-01-01 23:60:00",
		"2024-01-01 23:59:60", "2024-13-01", "2024-00-10", "2024-04-31", "2024-01-01 10:00:00.5",
		"2024-01-01 10:00:00.123456789", "2024-01-01 10:00:00.1234567891", "2024-01-01 10:00:00.", "2024-1-01",
		"2024-01-01T10:00:00", "2024-01-01 10:00", "2024-01-01 10:00:00,5", "abcd-ef-gh", "", "2024-01-01 10:00:00Z",
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		s := fmt.Sprintf("%04d-%02d-%02d", r.IntN(10000), r.IntN(14), r.IntN(33))
		if r.IntN(4) > 0 {
			s += fmt.Sprintf(" %02d:%02d:%02d", r.IntN(25), r.IntN(61), r.IntN(61))
			if n := r.IntN(10); n > 0 {
				s += fmt.Sprintf(".%0*d", n, r.IntN(1000000000)%pow10(n))
			}
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		want := myTime(s)
		got, ok := parseMyDateTime([]byte(s))
		if ok && !reflect.DeepEqual(any(got), want) {
			t.Errorf("%q: fast path %#v, myTime %#v", s, got, want)
		}
	}
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}
