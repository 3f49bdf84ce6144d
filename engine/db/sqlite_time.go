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
func sqliteTime(s string, box *boxes) any {
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
