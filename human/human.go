// Package human words numbers the way the console, the plain printer and
// the report all print them, so the three never disagree.
package human

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tightrope/tightrope/runbooks"
)

// Int formats n with thousands separators: 1234567 → "1,234,567".
func Int(n int64) string {
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

// Objective prints a runbook duration the way a runbook spells it: "45m",
// "4h", "1h30m", "30s", "0s".
func Objective(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Pct formats a fraction as a percentage with a precision that keeps small
// thresholds readable: 0.001 → "0.100%", 0.065 → "6.50%", 0.42 → "42.0%".
func Pct(f float64) string {
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

// Dur is a compact duration: "18ms", "4.2s", "42s", "3m05s", "1h02m".
func Dur(d time.Duration) string {
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

// Trigger formats a trigger's observed value or threshold by the unit the
// trigger registry (runbooks.TriggerSpecs) gives it: a percentage for a
// fraction, a duration for milliseconds (like engine.Command.Limit), a
// count otherwise — rows, and triggers this build does not know.
func Trigger(trigger string, v float64) string {
	spec, _ := runbooks.TriggerByName(trigger)
	switch spec.Unit {
	case runbooks.UnitFraction:
		return Pct(v)
	case runbooks.UnitMillis:
		return Dur(time.Duration(v) * time.Millisecond)
	default:
		return fmt.Sprintf("%g", v)
	}
}

// Bytes is a byte count in binary units: 512 B, 1.5 KiB, 3.2 GiB.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
