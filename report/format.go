package report

import (
	"fmt"
	"github.com/tightrope/tightrope/human"
	"time"
)

// The report words things as the plain printer (tui/plain.go) does: "ok"
// and "OVER RTO", "verified" and "NOT verified", objectives as a runbook
// spells them ("5m", "1h"), percentages with a precision that keeps small
// thresholds readable. Durations below a second are in milliseconds: the
// morning after, 18ms and 50ms are not both "0.0s".

// The shared wording (package human).
var (
	fmtInt       = human.Int
	fmtDur       = human.Dur
	fmtObjective = human.Objective
	fmtPct       = human.Pct
	fmtTrigger   = human.Trigger
)

// fmtBytes is a size: "512 B", "236.0 KiB", "1.2 MiB".
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// vsLimit is "91ms (RTO 5m, ok)" or "45m (RTO 30m, OVER RTO)", and
// "7m00s (expected 5m, OVER)"; with no limit, just the duration.
func vsLimit(d, limit time.Duration, label string) string {
	if limit <= 0 {
		return fmtDur(d)
	}
	verdict := "ok"
	switch {
	case d > limit && label == "RTO":
		verdict = "OVER RTO"
	case d > limit:
		verdict = "OVER"
	}
	return fmt.Sprintf("%s (%s %s, %s)", fmtDur(d), label, fmtObjective(limit), verdict)
}

// share is d as a percentage of limit: "0.030%".
func share(d, limit time.Duration) string {
	if limit <= 0 {
		return "–"
	}
	return fmtPct(float64(d) / float64(limit))
}

// shortHash is the first 12 hex digits of a hash, as the engine logs it.
func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// fmtTime is a UTC time to the millisecond, or "—".
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000Z")
}

// fmtOffset is the "+0.2s" stamp of a timeline line.
func fmtOffset(n int64) string { return "+" + fmtDur(dur(n)) }

// plural is "1 row" or "2 rows".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmtInt(n) + " " + many
}
