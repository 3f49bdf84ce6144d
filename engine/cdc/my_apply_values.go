package cdc

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/convert"
)

// myColumn is a target column's shape as the applier checks values
// against it.
type myColumn struct {
	dataType   string // information_schema DATA_TYPE, lower case
	columnType string // information_schema COLUMN_TYPE: the declaration, for engine/convert
	scale      int    // DECIMAL scale
	precision  int    // fractional seconds digits of a temporal type
}

// myColumns reads a target table's columns.
func myColumns(ctx context.Context, t *sql.Tx, schema, table string) (map[string]myColumn, error) {
	rows, err := t.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COALESCE(NUMERIC_SCALE, 0), COALESCE(DATETIME_PRECISION, 0)
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, schema, table)
	if err != nil {
		return nil, fmt.Errorf("read the target's columns of %s.%s: %w", schema, table, err)
	}
	defer rows.Close()
	out := map[string]myColumn{}
	for rows.Next() {
		var name string
		var c myColumn
		if err := rows.Scan(&name, &c.dataType, &c.columnType, &c.scale, &c.precision); err != nil {
			return nil, err
		}
		c.dataType = strings.ToLower(c.dataType)
		out[name] = c
	}
	return out, rows.Err()
}

var (
	myIntText     = regexp.MustCompile(`^[+-]?[0-9]+$`)
	myDecimalText = regexp.MustCompile(`^[+-]?([0-9]+\.?([0-9]*)|\.([0-9]+))$`)
	// A PostgreSQL timestamptz's text ends in its offset: +00, -05:30.
	pgOffset = regexp.MustCompile(`[+-][0-9]{2}(:[0-9]{2}(:[0-9]{2})?)?$`)
)

// value is a source text form as the target column must receive it, or an
// error when the target would store something else (round, cut, or
// misread it). PostgreSQL's forms that MySQL spells differently are
// translated: booleans t/f into numbers (BIT(1) too), a timestamptz's
// offset into UTC, a bit string into its number; a bytea's \x hex into
// bytes only for a stream journaled before byte columns were named
// (legacyBytea; since, they are myColumn.bytes' and a text that reads \x41
// stays that text).
func (c myColumn) value(s, source string, legacyBytea bool) (any, error) {
	pg := source == "postgres"
	switch c.dataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		if pg && (s == "t" || s == "f") {
			return map[string]string{"t": "1", "f": "0"}[s], nil
		}
		if !myIntText.MatchString(s) {
			return nil, fmt.Errorf("%q is not an integer: the %s column would round or refuse it", s, c.dataType)
		}
	case "decimal", "numeric":
		m := myDecimalText.FindStringSubmatch(s)
		if m == nil {
			return nil, fmt.Errorf("%q is not a decimal number the column can hold", s)
		}
		frac := m[2] + m[3]
		if extra := strings.TrimRight(frac, "0"); len(extra) > c.scale {
			return nil, fmt.Errorf("%s has %d decimal places, the column keeps %d: it would be rounded", s, len(extra), c.scale)
		}
	case "float":
		return s, sameFloat(s, 32)
	case "double", "real":
		return s, sameFloat(s, 64)
	case "datetime", "timestamp":
		if pg && pgOffset.MatchString(s) {
			u, err := pgTimestampUTC(s)
			if err != nil {
				return nil, err
			}
			s = u
		}
		return s, c.fraction(s)
	case "time":
		return s, c.fraction(s)
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		if legacyBytea && strings.HasPrefix(s, `\x`) {
			b, err := hex.DecodeString(s[2:])
			if err != nil {
				return nil, fmt.Errorf("bytea text %.20q: %w", s, err)
			}
			return b, nil
		}
	case "bit":
		if pg && (s == "t" || s == "f") {
			return map[string]uint64{"t": 1, "f": 0}[s], nil
		}
		if pg && strings.Trim(s, "01") == "" && s != "" {
			n, err := strconv.ParseUint(s, 2, 64)
			if err != nil {
				return nil, fmt.Errorf("bit string %q: %w", s, err)
			}
			return n, nil
		}
	}
	return s, nil
}

// bytes is a journaled byte value (\x hex, journal.CDCChange.Binary) as
// the target column must receive it: converted by engine/convert exactly
// as the bulk copy converts the same bytes — as they are into a binary
// column (too long refused), into BIT(n) as its (n+7)/8 bytes if it fits,
// into a text column only as UTF-8 text — or refused with the copy's
// reason.
func (c myColumn) bytes(s string) (any, error) {
	b, err := unhexBytes(s)
	if err != nil {
		return nil, err
	}
	t := convert.ParseMySQL(c.columnType, false)
	v, rej := convert.ConvertTo(b, &t)
	if rej != nil {
		return nil, rej
	}
	return v, nil
}

// fraction refuses a temporal value with more fractional second digits
// (not zeros) than the column keeps: MariaDB would cut them silently.
func (c myColumn) fraction(s string) error {
	dot := strings.LastIndex(s, ".")
	if dot < 0 || strings.ContainsAny(s[dot:], " -:") {
		return nil
	}
	digits := strings.TrimRight(s[dot+1:], "0")
	if len(digits) > c.precision {
		return fmt.Errorf("%s has %d fractional second digits, the %s(%d) column keeps %d: they would be cut", s, len(digits), c.dataType, c.precision, c.precision)
	}
	return nil
}

// sameFloat refuses a number a float of bits would not hold exactly as
// written: its shortest form at that width must be the same number.
func sameFloat(s string, bits int) error {
	f, err := strconv.ParseFloat(s, bits)
	if err != nil {
		return fmt.Errorf("%q is not a number a %d-bit float holds: %w", s, bits, err)
	}
	want, ok := new(big.Rat).SetString(s)
	got, ok2 := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, bits))
	if !ok || !ok2 || want.Cmp(got) != 0 {
		return fmt.Errorf("%s is not a %d-bit float: the column would store %s", s, bits, strconv.FormatFloat(f, 'g', -1, bits))
	}
	return nil
}

// pgTimestampUTC turns a timestamptz's text into the UTC wall time MySQL
// reads (the applier's session is in UTC), keeping its fraction.
func pgTimestampUTC(s string) (string, error) {
	off := pgOffset.FindString(s)
	base := s[:len(s)-len(off)]
	switch len(off) {
	case 3:
		off += ":00"
	case 9:
		off = off[:6] // seconds of an offset: only historical zones; refused below if non-zero
		if !strings.HasSuffix(s, ":00") {
			return "", fmt.Errorf("timestamp %s has an offset with seconds", s)
		}
	}
	t, err := time.Parse("2006-01-02 15:04:05.999999999-07:00", base+off)
	if err != nil {
		return "", fmt.Errorf("timestamp %q: %w", s, err)
	}
	out := t.UTC().Format("2006-01-02 15:04:05.999999999")
	return out, nil
}
