package convert

import (
	"time"
)

// MySQL's TIMESTAMP holds 1970-01-01 00:00:01 to 2038-01-19 03:14:07 UTC.
var (
	mysqlTimestampMin = time.Date(1970, 1, 1, 0, 0, 1, 0, time.UTC)
	mysqlTimestampMax = time.Date(2038, 1, 19, 3, 14, 8, 0, time.UTC) // exclusive
)

// mysqlTimeMax is MySQL's largest TIME magnitude, 838:59:59.
const mysqlTimeMax = (838*3600 + 59*60 + 59) * int64(time.Second)

// civil is a date and time of day read from text, before validation.
type civil struct {
	year, month, day         int
	hour, min, sec, nsec     int
	hasTime, hasZone, excess bool // excess: nonzero digits beyond nanoseconds
	offset                   int  // zone offset in seconds east of UTC
}

// toDateTime converts to a Date, Timestamp or TimestampTZ column. A
// time.Time keeps its wall clock for a date or a timestamp without time
// zone, and its instant (in UTC) for a TimestampTZ. Text is read in ISO
// form ("2024-02-29", "2024-02-29 13:45:00.5", "2024-02-29T13:45:00+02:00");
// text without zone going into a TimestampTZ is taken as UTC; text with a
// nonzero offset cannot go into a column without time zone. Years must be
// 1 to 9999; 0001-01-01 00:00:00 is a real date like any other (the MySQL
// adapter reads with parseTime off and hands MySQL's zero dates over as
// their text, never as Go's zero time, so they are refused as text).
// Dates are returned as
// midnight UTC, timestamps without time zone as their wall clock in UTC.
func toDateTime(n any, t *Type) (any, *Reject) {
	if s, special, r := infiniteTime(n, t); special {
		if r != nil {
			return nil, r
		}
		return s, nil
	}
	tm, r := dateTimeOf(n, t)
	if r != nil {
		return nil, r
	}
	if x, ok := n.(time.Time); ok && x == tm {
		return n, nil // the same instant, location and all: no new interface (which allocates)
	}
	return tm, nil
}

// dateTimeOf is toDateTime without putting the result into an interface
// (which allocates), for the canonical forms.
func dateTimeOf(n any, t *Type) (time.Time, *Reject) {
	var tm time.Time
	switch x := n.(type) {
	case time.Time:
		switch {
		case t.Kind == TimestampTZ:
			tm = x.UTC()
		case x.Location() == time.UTC: // its wall clock in UTC already (no monotonic reading in UTC)
			tm = x
		default:
			y, mo, d := x.Date()
			h, mi, s := x.Clock()
			tm = time.Date(y, mo, d, h, mi, s, x.Nanosecond(), time.UTC)
		}
	case string:
		return textToDateTime(n, x, t)
	case []byte:
		return textToDateTime(n, string(x), t)
	default:
		return time.Time{}, rejectf(ReasonInvalidDate, t, n, "is not a date or time")
	}
	return checkDateTime(n, tm, t)
}

func textToDateTime(n any, s string, t *Type) (time.Time, *Reject) {
	c, r := parseCivil(n, s, t)
	if r != nil {
		return time.Time{}, r
	}
	if c.hasZone && c.offset != 0 && t.Kind != TimestampTZ {
		return time.Time{}, rejectf(ReasonInvalidDate, t, n, "carries a time-zone offset, which a column without time zone cannot keep")
	}
	tm := time.Date(c.year, time.Month(c.month), c.day, c.hour, c.min, c.sec, c.nsec, time.UTC)
	tm = tm.Add(-time.Duration(c.offset) * time.Second)
	if c.excess {
		return time.Time{}, rejectf(ReasonPrecisionLoss, t, n, "has fractional seconds finer than nanoseconds; they would be rounded")
	}
	return checkDateTime(n, tm, t)
}

// checkDateTime applies the checks shared by time.Time and text sources.
func checkDateTime(n any, tm time.Time, t *Type) (time.Time, *Reject) {
	if !inYears1To9999(tm) {
		return time.Time{}, rejectf(ReasonOutOfRange, t, n, "is outside the years 1 to 9999")
	}
	if t.Kind == Date {
		if h, m, s := tm.Clock(); h != 0 || m != 0 || s != 0 || tm.Nanosecond() != 0 {
			return time.Time{}, rejectf(ReasonPrecisionLoss, t, n, "has a time of day, which a date column would drop")
		}
		return tm, nil
	}
	if r := checkFraction(n, tm.Nanosecond(), t); r != nil {
		return time.Time{}, r
	}
	if t.Kind == TimestampTZ && t.Engine == EngineMySQL && (tm.Before(mysqlTimestampMin) || !tm.Before(mysqlTimestampMax)) {
		return time.Time{}, rejectf(ReasonOutOfRange, t, n, "is outside MySQL's TIMESTAMP range, 1970-01-01 00:00:01 to 2038-01-19 03:14:07 UTC")
	}
	return tm, nil
}

// fractionUnits[scale] is the nanoseconds of a column's last fraction
// digit: 10^(9-scale).
var fractionUnits = [10]uint32{1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 10, 1}

// checkFraction refuses fractional seconds finer than t.Scale digits.
func checkFraction(n any, nsec int, t *Type) *Reject {
	scale := min(max(t.Scale, 0), 9)
	unit := fractionUnits[scale]
	var rest int
	if nsec >= 0 && nsec < 1e9 {
		rest = int(uint32(nsec) % unit) // a 32-bit division, the cheaper one
	} else {
		rest = nsec % int(unit)
	}
	if rest != 0 {
		return rejectf(ReasonPrecisionLoss, t, n, "has fractional seconds finer than the %d digits the column keeps; they would be rounded", scale)
	}
	return nil
}

// parseCivil reads YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][ ][zone], zone
// being Z, UTC, GMT or ±HH[[:]MM]. It validates the calendar.
func parseCivil(n any, s string, t *Type) (civil, *Reject) {
	var c civil
	p := scanner{s: trimSpace(s)}
	bad := func() (civil, *Reject) {
		return civil{}, rejectf(ReasonInvalidDate, t, n, "is not a date or time in ISO form (YYYY-MM-DD HH:MM:SS)")
	}
	var ok bool
	if c.year, ok = p.digits(4, 4); !ok || !p.take('-') {
		return bad()
	}
	if c.month, ok = p.digits(1, 2); !ok || !p.take('-') {
		return bad()
	}
	if c.day, ok = p.digits(1, 2); !ok {
		return bad()
	}
	if p.take('T') || p.take('t') || p.spaces() && p.atDigit() {
		c.hasTime = true
		if !p.clock(&c.hour, &c.min, &c.sec, &c.nsec, &c.excess, 2) {
			return bad()
		}
	}
	p.spaces()
	if p.more() {
		if !p.zone(&c.offset) {
			return bad()
		}
		c.hasZone = true
	}
	switch {
	case c.year == 0 && c.month == 0 && c.day == 0:
		return civil{}, rejectf(ReasonInvalidDate, t, n, "is MySQL's zero date, which is not a real date")
	case c.month == 0 || c.day == 0:
		return civil{}, rejectf(ReasonInvalidDate, t, n, "has a zero month or day (a MySQL partial date), which is not a real date")
	case c.year == 0:
		return civil{}, rejectf(ReasonInvalidDate, t, n, "has year 0, which does not exist")
	case c.month > 12:
		return civil{}, rejectf(ReasonInvalidDate, t, n, "is not a valid date: there is no month %d", c.month)
	case c.day > daysIn(c.year, c.month):
		return civil{}, rejectf(ReasonInvalidDate, t, n, "is not a valid date: %s %d has %d days", time.Month(c.month), c.year, daysIn(c.year, c.month))
	case c.hour > 23 || c.min > 59 || c.sec > 59:
		return civil{}, rejectf(ReasonInvalidDate, t, n, "is not a valid time of day")
	}
	return c, nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// toTimeOfDay converts to a Time column and returns canonical text,
// "HH:MM:SS" with a fraction only when nonzero. PostgreSQL's time holds
// 00:00:00 to 24:00:00; MySQL's TIME is a duration of up to ±838:59:59.
// A time.Time gives its clock when its date is a placeholder (year 0 or
// 1, or 1970-01-01); any other date would be dropped, so it is refused.
func toTimeOfDay(n any, t *Type) (any, *Reject) {
	var neg bool
	var d int64 // nanoseconds
	switch x := n.(type) {
	case time.Time:
		y, mo, day := x.Date()
		if !(mo == 1 && day == 1 && (y == 0 || y == 1 || y == 1970)) {
			return nil, rejectf(ReasonPrecisionLoss, t, n, "has a date, which a time column would drop")
		}
		h, m, s := x.Clock()
		d = int64(h)*int64(time.Hour) + int64(m)*int64(time.Minute) + int64(s)*int64(time.Second) + int64(x.Nanosecond())
	case string, []byte:
		s, _ := x.(string)
		if b, isBytes := x.([]byte); isBytes {
			s = string(b)
		}
		var r *Reject
		if neg, d, r = parseTimeOfDay(n, s, t); r != nil {
			return nil, r
		}
	default:
		return nil, rejectf(ReasonInvalidDate, t, n, "is not a time of day")
	}
	if r := checkFraction(n, int(d%int64(time.Second)), t); r != nil {
		return nil, r
	}
	if t.Engine == EngineMySQL {
		if d > mysqlTimeMax {
			return nil, rejectf(ReasonOutOfRange, t, n, "is outside MySQL's TIME range, -838:59:59 to 838:59:59")
		}
	} else if neg && d != 0 || d > 24*int64(time.Hour) {
		return nil, rejectf(ReasonOutOfRange, t, n, "is outside the times of day 00:00:00 to 24:00:00")
	}
	return formatTimeOfDay(neg && d != 0, d), nil
}

// parseTimeOfDay reads [-]H[HH]:MM[:SS[.fraction]].
func parseTimeOfDay(n any, s string, t *Type) (neg bool, d int64, r *Reject) {
	p := scanner{s: trimSpace(s)}
	neg = p.take('-')
	var h, m, sec, ns int
	var excess bool
	if !p.clock(&h, &m, &sec, &ns, &excess, 3) || p.more() {
		return false, 0, rejectf(ReasonInvalidDate, t, n, "is not a time of day (HH:MM:SS)")
	}
	if m > 59 || sec > 59 {
		return false, 0, rejectf(ReasonInvalidDate, t, n, "is not a valid time of day")
	}
	if excess {
		return false, 0, rejectf(ReasonPrecisionLoss, t, n, "has fractional seconds finer than nanoseconds; they would be rounded")
	}
	d = int64(h)*int64(time.Hour) + int64(m)*int64(time.Minute) + int64(sec)*int64(time.Second) + int64(ns)
	return neg, d, nil
}

// formatTimeOfDay renders nanoseconds d as [-]HH:MM:SS[.fraction]: hours
// with at least two digits, the fraction without trailing zeros and only
// when nonzero.
func formatTimeOfDay(neg bool, d int64) string {
	var buf [32]byte
	b := buf[:0]
	if neg {
		b = append(b, '-')
	}
	sec := d / int64(time.Second)
	b = appendClock(b, int(sec/3600), int(sec/60%60), int(sec%60), int(d%int64(time.Second)))
	return string(b)
}

// The first instants of the years 1 and 10000, UTC, in Unix seconds.
var (
	unixYear1     = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	unixYear10000 = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// inYears1To9999 reports whether tm's year is 1 to 9999: for a time in UTC
// (every time checkDateTime sees) by its Unix seconds, cheaper than
// working out the year.
func inYears1To9999(tm time.Time) bool {
	if tm.Location() != time.UTC {
		y := tm.Year()
		return y >= 1 && y <= 9999
	}
	u := tm.Unix()
	return u >= unixYear1 && u < unixYear10000
}
