package convert

// Hand-written formatting of dates and times for canonical values and
// conversions. Each function writes exactly what time.Time.AppendFormat
// writes for its layout (TestTimeFormatMatchesStdlib proves it over many
// random times), only without interpreting a layout: canonical timestamps
// are on the hot path of every checksum. Years outside 0 to 9999 and zone
// offsets with seconds go through AppendFormat itself.

import "time"

// appendDate appends t's date in t's location as "2006-01-02".
func appendDate(dst []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, "2006-01-02")
	}
	return appendYMD(dst, year, int(month), day)
}

// appendDateTime appends t's wall clock in t's location as
// "2006-01-02Tsep15:04:05.999999999" with sep between date and time (the
// fraction only when nonzero, without trailing zeros) and, when zone is
// set, its offset as "Z07:00" ("Z" for UTC). It equals t.AppendFormat with
// the layouts "2006-01-02T15:04:05.999999999", time.RFC3339Nano (zone) and
// "2006-01-02 15:04:05.999999999Z07:00" (sep ' ', zone).
func appendDateTime(dst []byte, t time.Time, sep byte, zone bool) []byte {
	year, month, day := t.Date()
	var offset int
	if zone {
		_, offset = t.Zone()
	}
	if year < 0 || year > 9999 || offset%60 != 0 || offset <= -100*3600 || offset >= 100*3600 {
		layout := "2006-01-02T15:04:05.999999999"
		if sep != 'T' {
			layout = "2006-01-02" + string(sep) + "15:04:05.999999999"
		}
		if zone {
			layout += "Z07:00"
		}
		return t.AppendFormat(dst, layout)
	}
	dst = appendYMD(dst, year, int(month), day)
	dst = append(dst, sep)
	hour, minute, sec := t.Clock()
	dst = appendClock(dst, hour, minute, sec, t.Nanosecond())
	if zone {
		dst = appendZone(dst, offset)
	}
	return dst
}

// appendYMD appends "YYYY-MM-DD" for a year of 0 to 9999.
func appendYMD(dst []byte, year, month, day int) []byte {
	return append(dst,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10))
}

// appendClock appends "HH:MM:SS" and, for a nonzero nsec, "." and the
// fraction without trailing zeros. hour may exceed 99 (MySQL's TIME); it
// is then written with all its digits, as "%02d" does.
func appendClock(dst []byte, hour, minute, sec, nsec int) []byte {
	if hour >= 100 {
		dst = appendUint(dst, uint64(hour))
	} else {
		dst = append(dst, byte('0'+hour/10), byte('0'+hour%10))
	}
	dst = append(dst, ':', byte('0'+minute/10), byte('0'+minute%10), ':', byte('0'+sec/10), byte('0'+sec%10))
	return appendFraction(dst, nsec)
}

// appendFraction appends "." and nanoseconds (0 to 999999999) as nine
// digits without the trailing zeros; nothing for zero.
func appendFraction(dst []byte, nsec int) []byte {
	if nsec == 0 {
		return dst
	}
	n := 9 // digits left once the trailing zeros are gone
	for nsec%1000 == 0 {
		nsec /= 1000
		n -= 3
	}
	for nsec%10 == 0 {
		nsec /= 10
		n--
	}
	var buf [10]byte
	buf[0] = '.'
	i := n
	for ; i >= 2; i -= 2 {
		q := nsec / 100
		r := nsec - q*100
		buf[i-1], buf[i] = byte('0'+r/10), byte('0'+r%10)
		nsec = q
	}
	if i == 1 {
		buf[1] = byte('0' + nsec)
	}
	return append(dst, buf[:n+1]...)
}

// appendZone appends a whole-minute offset of less than 100 hours as "Z"
// (zero) or "±hh:mm".
func appendZone(dst []byte, offset int) []byte {
	if offset == 0 {
		return append(dst, 'Z')
	}
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	h, m := offset/3600, offset/60%60
	return append(dst, sign, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10))
}

// appendUint appends a non-negative integer in decimal.
func appendUint(dst []byte, v uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		if v /= 10; v == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}
