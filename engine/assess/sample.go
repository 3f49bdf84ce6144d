package assess

import (
	"fmt"
	"strconv"
	"strings"
)

// Sample is how much of each table an assessment reads: every row (the
// zero value), a number of rows, or a fraction of the rows. A sampled
// assessment's reject counts are estimates and say so.
type Sample struct {
	Rows     int64   // read about this many rows per table
	Fraction float64 // read about this fraction of each table's rows (0 < f ≤ 1)
}

// ParseSample reads "N" (rows) or "P%" (a percentage of each table).
func ParseSample(s string) (Sample, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Sample{}, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f <= 0 || f > 100 {
			return Sample{}, fmt.Errorf("--sample %q: a percentage above 0 and at most 100, like 10%%", s)
		}
		return Sample{Fraction: f / 100}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return Sample{}, fmt.Errorf("--sample %q: a number of rows (like 5000) or a percentage (like 10%%)", s)
	}
	return Sample{Rows: n}, nil
}

// All reports whether the sample is every row.
func (s Sample) All() bool { return s.Rows <= 0 && (s.Fraction <= 0 || s.Fraction >= 1) }

// String is the sample as ParseSample reads it; empty for every row.
func (s Sample) String() string {
	switch {
	case s.All():
		return ""
	case s.Fraction > 0:
		return strconv.FormatFloat(s.Fraction*100, 'f', -1, 64) + "%"
	}
	return strconv.FormatInt(s.Rows, 10)
}

// target is how many rows of a table of total rows the sample reads.
func (s Sample) target(total int64) int64 {
	switch {
	case s.All():
		return total
	case s.Fraction > 0:
		return max(int64(float64(total)*s.Fraction+0.5), 1)
	}
	return min(s.Rows, total)
}
