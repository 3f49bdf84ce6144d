package tui

import (
	"fmt"
	"github.com/tightrope/tightrope/human"
	"math"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// The shared wording (package human); fmtDur stays the console's own,
// compact for narrow panes.
var (
	fmtInt       = human.Int
	fmtObjective = human.Objective
	fmtPct       = human.Pct
	fmtTrigger   = human.Trigger
)

// fmtCount is a compact count: "980", "12.3k", "1.04M".
func fmtCount(n int64) string {
	switch {
	case n < 10000:
		return fmtInt(n)
	case n < 1000000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	default:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	}
}

// fmtDur is a compact duration: "4.2s", "42s", "3m05s", "1h02m".
func fmtDur(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
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

// fmtClock is a running clock: "0:32:10".
func fmtClock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}

// fmtStamp is an elapsed-time prefix for plain lines: "00:12.3", or
// "1:02:03.4" past the hour.
func fmtStamp(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	tenths := int64(d / (100 * time.Millisecond))
	sec, t := tenths/10, tenths%10
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d.%d", sec/3600, sec/60%60, sec%60, t)
	}
	return fmt.Sprintf("%02d:%02d.%d", sec/60, sec%60, t)
}

// fmtRate formats rows per second: "980/s", "4,980/s", "1.2M/s".
func fmtRate(r float64) string {
	switch {
	case r <= 0 || math.IsNaN(r) || math.IsInf(r, 0):
		return "–/s"
	case r >= 1e6:
		return fmt.Sprintf("%.1fM/s", r/1e6)
	case r >= 10:
		return fmtInt(int64(math.Round(r))) + "/s"
	default:
		return fmt.Sprintf("%.1f/s", r)
	}
}

// width is the printed width of s, escape codes excluded.
func width(s string) int { return lipgloss.Width(s) }

// truncate cuts s to w cells, ending with "…" when it had to cut.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// padRight truncates or pads s with spaces to exactly w cells.
func padRight(s string, w int) string {
	s = truncate(s, w)
	if n := w - width(s); n > 0 {
		s += strings.Repeat(" ", n)
	}
	return s
}

// padLeft right-aligns s in w cells.
func padLeft(s string, w int) string {
	s = truncate(s, w)
	if n := w - width(s); n > 0 {
		s = strings.Repeat(" ", n) + s
	}
	return s
}

// spread puts left and right on one line of w cells, cutting left first.
func spread(left, right string, w int) string {
	rw := width(right)
	if rw >= w {
		return truncate(right, w)
	}
	left = truncate(left, w-rw-1)
	gap := w - width(left) - rw
	return left + strings.Repeat(" ", max(gap, 1)) + right
}

// wrap word-wraps plain text to w cells, keeping explicit line breaks.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	var out []string
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		wrapped := ansi.Wrap(strings.ReplaceAll(line, "\t", "    "), w, "")
		out = append(out, strings.Split(wrapped, "\n")...)
	}
	return out
}

// fit makes lines exactly h lines of exactly w cells: long lines are cut
// with "…", missing lines are blank. It is the last guard against a pane
// overflowing its box.
func fit(lines []string, w, h int) string {
	if h <= 0 || w <= 0 {
		return ""
	}
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = padRight(lines[i], w)
		} else {
			out[i] = strings.Repeat(" ", w)
		}
	}
	return strings.Join(out, "\n")
}

// joinColumns puts two blocks side by side with a gutter between them.
func joinColumns(left, right string, lw, rw int, gutter string) string {
	l, r := strings.Split(left, "\n"), strings.Split(right, "\n")
	n := max(len(l), len(r))
	out := make([]string, n)
	for i := range n {
		var a, b string
		if i < len(l) {
			a = l[i]
		}
		if i < len(r) {
			b = r[i]
		}
		out[i] = padRight(a, lw) + gutter + padRight(b, rw)
	}
	return strings.Join(out, "\n")
}
