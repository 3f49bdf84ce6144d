package db

import (
	"strings"
	"time"
)

// sqliteTimeFormats are modernc.org/sqlite's parseTimeFormats: the text
// forms it turns into time.Time in a column declared DATE, DATETIME or
// TIMESTAMP.
var sqliteTimeFormats = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// sqliteTime turns the TEXT value of a time-declared column into what
// modernc.org/sqlite itself would deliver (the adapter reads such columns
// as plain text and decides here, which costs far less than the driver's
// attempts at every format): a time.Time when the text is in one of its
// formats, else the text unchanged. The usual forms ("YYYY-MM-DD",
// "YYYY-MM-DD HH:MM:SS[.fraction]", with T or a space) are read directly;
// everything else takes the driver's own path (see sqliteTimeSlow). The
// time is boxed in box.
//
// One deliberate difference: a text whose fraction of a second has a
// nonzero digit beyond the ninth stays text, where the driver would drop
// the digits (time.Parse keeps nanoseconds); package convert then rejects
// it as precision_loss instead of copying a changed time.
func sqliteTime(s string, box *boxes) any {
	if finerThanNanos(s) {
		return s
	}
	if t, ok := parseCivilText(s, true); ok {
		return box.time(t)
	}
	return sqliteTimeSlow(s)
}

// sqliteTimeSlow is modernc.org/sqlite's (*conn).parseTime for a
// connection without a location: first the form time.Time.String writes
// (up to a monotonic-clock suffix), then, without one trailing "Z", each
// of sqliteTimeFormats; the text unchanged when none fits.
func sqliteTimeSlow(s string) any {
	ts := s
	if x := strings.Index(s, "m="); x > 0 {
		ts = s[:x]
	}
	if t, err := time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", strings.TrimSpace(ts)); err == nil {
		return t
	}
	ts, _ = strings.CutSuffix(s, "Z")
	for _, f := range sqliteTimeFormats {
		if t, err := time.Parse(f, ts); err == nil {
			return t
		}
	}
	return s
}

// finerThanNanos tells a time text whose fraction of a second (the digits
// after its first '.') has a nonzero digit beyond the ninth.
func finerThanNanos(s string) bool {
	i := strings.IndexByte(s, '.')
	if i < 0 {
		return false
	}
	j := i + 1
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return j-i-1 > 9 && strings.Trim(s[i+10:j], "0") != ""
}
