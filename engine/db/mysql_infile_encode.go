package db

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"
)

// The text a LOAD DATA statement of mysqlInfileFormat reads: one line per
// row ending in '\n', fields separated by '\t', no enclosing quotes,
// backslash the escape character, \N a NULL. A column whose batch holds
// []byte values is sent as hexadecimal digits and loaded through UNHEX, so
// binary data never passes the character-set conversion of the load.
//
// Every value is written exactly: integers as digits, floats in the
// shortest form that reads back as the same float64 (a float32 through its
// exact float64), decimals, JSON, enum and set values as their text, times
// in UTC as the driver writes them. The encoding is reversible
// (decodeInfileField in the tests reads it back by the server's rules).

// mysqlInfileFormat is the format clause matching appendInfileRow.
const mysqlInfileFormat = ` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ENCLOSED BY '' ESCAPED BY '\\' LINES STARTING BY '' TERMINATED BY '\n'`

// infileHexColumns tells, per column, whether the batch holds binary
// values there (the column is then sent in hexadecimal).
func infileHexColumns(ncols int, rows [][]any) []bool {
	hexed := make([]bool, ncols)
	for _, r := range rows {
		for i, v := range r {
			if _, ok := v.([]byte); ok && i < ncols {
				hexed[i] = true
			}
		}
	}
	return hexed
}

// appendInfileRow appends one row's line.
func appendInfileRow(buf []byte, row []any, hexed []bool) ([]byte, error) {
	for i, v := range row {
		if i > 0 {
			buf = append(buf, '\t')
		}
		var err error
		if buf, err = appendInfileValue(buf, v, i < len(hexed) && hexed[i]); err != nil {
			return buf, err
		}
	}
	return append(buf, '\n'), nil
}

// appendInfileValue appends one field; hexed writes text and bytes as
// hexadecimal digits.
func appendInfileValue(buf []byte, v any, hexed bool) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, '\\', 'N'), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case uint64:
		return strconv.AppendUint(buf, x, 10), nil
	case int:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case bool:
		if x {
			return append(buf, '1'), nil
		}
		return append(buf, '0'), nil
	case float64:
		return appendInfileFloat(buf, x)
	case float32:
		return appendInfileFloat(buf, float64(x)) // exact: every float32 is a float64
	case string:
		if hexed {
			return hex.AppendEncode(buf, []byte(x)), nil
		}
		return appendInfileEscaped(buf, x), nil
	case []byte:
		if x == nil { // the driver sends a nil slice as NULL
			return append(buf, '\\', 'N'), nil
		}
		if hexed {
			return hex.AppendEncode(buf, x), nil
		}
		return appendInfileEscaped(buf, string(x)), nil
	case time.Time:
		return appendInfileTime(buf, x)
	}
	return buf, fmt.Errorf("a %T value has no LOAD DATA text", v)
}

// appendInfileFloat writes the shortest decimal that reads back as f. The
// server rejects what is not finite (package convert refuses it first).
func appendInfileFloat(buf []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return buf, fmt.Errorf("%v has no MySQL value", f)
	}
	return strconv.AppendFloat(buf, f, 'g', -1, 64), nil
}

// appendInfileEscaped writes s with the load's escapes: backslash, tab,
// newline, carriage return and NUL become \\, \t, \n, \r and \0; every
// other byte (UTF-8 continuation bytes are never ASCII) is itself.
func appendInfileEscaped(buf []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc byte
		switch s[i] {
		case '\\':
			esc = '\\'
		case '\t':
			esc = 't'
		case '\n':
			esc = 'n'
		case '\r':
			esc = 'r'
		case 0:
			esc = '0'
		default:
			continue
		}
		buf = append(buf, s[start:i]...)
		buf = append(buf, '\\', esc)
		start = i + 1
	}
	return append(buf, s[start:]...)
}

// appendInfileTime writes a time in UTC as the driver writes a parameter:
// the date alone at midnight, else the clock, with the fraction's
// trailing zeros cut.
func appendInfileTime(buf []byte, t time.Time) ([]byte, error) {
	t = t.UTC()
	if t.Year() < 1 || t.Year() > 9999 {
		return buf, fmt.Errorf("year %d is outside MySQL's 1..9999", t.Year())
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.AppendFormat(buf, "2006-01-02"), nil
	}
	return t.AppendFormat(buf, "2006-01-02 15:04:05.999999999"), nil
}
