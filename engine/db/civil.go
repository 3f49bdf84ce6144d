package db

import "time"

// parseCivilText reads "YYYY-MM-DD" and "YYYY-MM-DD HH:MM:SS" with an
// optional fraction of one to nine digits (and T instead of the space when
// allowT), as time.Parse reads them with the layouts "2006-01-02" and
// "2006-01-02 15:04:05.999999999": a UTC time.Time, the calendar and the
// clock checked as time.Parse checks them (year 0 included). ok is false
// for any other text; the callers then take their slow, general path.
func parseCivilText[T string | []byte](b T, allowT bool) (time.Time, bool) {
	n := len(b)
	if n != 10 && n != 19 && (n < 21 || n > 29) {
		return time.Time{}, false
	}
	year, ok1 := digitsAt(b, 0, 4)
	month, ok2 := digitsAt(b, 5, 2)
	day, ok3 := digitsAt(b, 8, 2)
	if !ok1 || !ok2 || !ok3 || b[4] != '-' || b[7] != '-' {
		return time.Time{}, false
	}
	var hour, minute, sec, nsec int
	if n > 10 {
		var ok4, ok5, ok6 bool
		hour, ok4 = digitsAt(b, 11, 2)
		minute, ok5 = digitsAt(b, 14, 2)
		sec, ok6 = digitsAt(b, 17, 2)
		if !ok4 || !ok5 || !ok6 || !(b[10] == ' ' || allowT && b[10] == 'T') || b[13] != ':' || b[16] != ':' {
			return time.Time{}, false
		}
		if n > 19 {
			f, ok := digitsAt(b, 20, n-20)
			if b[19] != '.' || !ok {
				return time.Time{}, false
			}
			for range 9 - (n - 20) {
				f *= 10
			}
			nsec = f
		}
	}
	if !validCivil(year, month, day, hour, minute, sec) {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

// digitsAt reads n decimal digits at b[i:].
func digitsAt[T string | []byte](b T, i, n int) (int, bool) {
	if i+n > len(b) {
		return 0, false
	}
	v := 0
	for j := i; j < i+n; j++ {
		c := b[j]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// validCivil checks a calendar date and a time of day as time.Parse does.
func validCivil(year, month, day, hour, minute, sec int) bool {
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}
