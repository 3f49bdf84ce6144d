package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The report words things as the plain printer (tui/plain.go) does: "ok"
// and "OVER RTO", "verified" and "NOT verified", objectives as a runbook
// spells them ("5m", "1h"), percentages with a precision that keeps small
// thresholds readable. Durations below a second are in milliseconds: the
// morning after, 18ms and 50ms are not both "0.0s".

// fmtInt formats n with thousands separators: 1234567 → "1,234,567".
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtDur is a compact duration: "18ms", "4.2s", "42s", "3m05s", "1h02m".
func fmtDur(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// fmtObjective prints a runbook duration the way a runbook spells it: "45m",
// "4h", "1h30m", "0s".
func fmtObjective(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return "0s"
	}
	return s
}

// fmtPct formats a fraction as a percentage: 0.001 → "0.100%", 0.065 →
// "6.50%", 0.42 → "42.0%".
func fmtPct(f float64) string {
	v := f * 100
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "–"
	case v >= 10:
		return fmt.Sprintf("%.1f%%", v)
	case v >= 1:
		return fmt.Sprintf("%.2f%%", v)
	default:
		return fmt.Sprintf("%.3f%%", v)
	}
}

// fmtTrigger formats a trigger's observed value or threshold in its unit.
func fmtTrigger(trigger string, v float64) string {
	switch trigger {
	case "reject_rate", "overrun":
		return fmtPct(v)
	case "cdc_lag":
		return fmt.Sprintf("%.0fs", v)
	default:
		return fmt.Sprintf("%g", v)
	}
}

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
