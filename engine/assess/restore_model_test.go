package assess

import (
	"strings"
	"testing"
	"time"
)

// A line through recorded restores separates the fixed cost from the cost
// per row; one restore, or noise that makes the line meaningless, falls
// back to the last restore's rate.
func TestRestoreModel(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	rec := func(h int, rows int64, took time.Duration) restoreRate {
		return restoreRate{journal: "j" + string(rune('0'+h)) + ".journal", at: t0.Add(time.Duration(h) * time.Hour), rows: rows, took: took}
	}
	// 2s fixed + 4µs a row
	line := fitRestores([]restoreRate{rec(1, 250_000, 3*time.Second), rec(2, 500_000, 4*time.Second), rec(3, 1_000_000, 6*time.Second)})
	if got := line.predict(2_000_000); got != 10*time.Second {
		t.Errorf("line predicts %s for 2M rows, want 10s", got)
	}
	if line.last.journal != "j3.journal" || !strings.Contains(line.basis(), "from 3 recorded restores (2s fixed + 4.00 µs a row") {
		t.Errorf("basis %q, last %s", line.basis(), line.last.journal)
	}
	one := fitRestores([]restoreRate{rec(1, 500_000, 2*time.Second)})
	if got := one.predict(1_000_000); got != 4*time.Second || !strings.Contains(one.basis(), "at the rate of the last restore (500000 rows in 2s") {
		t.Errorf("one restore predicts %s (%s)", got, one.basis())
	}
	// the bigger restore was faster: no line, the latest one's rate
	noisy := fitRestores([]restoreRate{rec(2, 500_000, 4*time.Second), rec(1, 1_000_000, 3*time.Second)})
	if got := noisy.predict(1_500_000); got != 12*time.Second {
		t.Errorf("noisy restores predict %s for 1.5M rows, want 12s (the latest: 500k in 4s)", got)
	}
	same := fitRestores([]restoreRate{rec(1, 500_000, 2*time.Second), rec(2, 500_000, 3*time.Second)})
	if got := same.predict(500_000); got != 3*time.Second {
		t.Errorf("restores of one size predict %s, want the latest's 3s", got)
	}
}
