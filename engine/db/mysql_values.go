package db

import (
	"database/sql"
	"strings"
	"time"
)

// myKind is how ReadBatch takes the values of a MySQL result column.
type myKind uint8

const (
	myText     myKind = iota // raw bytes → string
	myBytes                  // raw bytes → []byte
	myTemporal               // raw bytes → time.Time (or the text, when not a real date)
	myNumber                 // the driver's own value (int64, uint64, float32, float64) through myValue
)

// myColumn decodes one result column, chosen once per query from the
// type name the driver reports. The driver parses integer and
// floating-point columns itself (ReadBatch uses the binary protocol, where
// they arrive as the stored bits) and hands out every other value as
// bytes of its receive buffer; those are scanned as sql.RawBytes (no copy)
// and copied once, into the batch's arena.
type myColumn struct {
	kind myKind
	typ  string
	raw  sql.RawBytes
	val  any
}

func newMyColumn(typ string) myColumn {
	c := myColumn{typ: typ}
	switch strings.TrimPrefix(typ, "UNSIGNED ") {
	case "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "BINARY", "VARBINARY", "BIT", "GEOMETRY", "VECTOR":
		c.kind = myBytes
	case "DATE", "DATETIME", "TIMESTAMP":
		c.kind = myTemporal
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "YEAR", "FLOAT", "DOUBLE", "":
		c.kind = myNumber
	}
	return c
}

// value returns the scanned value as myValue would (by the same rules),
// copying bytes into m.
func (c *myColumn) value(m *batchMem) any {
	if c.kind == myNumber {
		v := myValue(c.typ, c.val)
		c.val = nil
		return v
	}
	if c.raw == nil {
		return nil
	}
	switch c.kind {
	case myBytes:
		return m.arena.bytes(c.raw)
	case myTemporal:
		if tm, ok := parseMyDateTime(c.raw); ok {
			return m.box.time(tm)
		}
		return myTime(string(c.raw))
	}
	return m.text(c.raw)
}

// parseMyDateTime reads the forms MySQL sends, "YYYY-MM-DD" and
// "YYYY-MM-DD HH:MM:SS[.ffffff]", exactly as myTime's time.Parse would; ok
// is false for anything else (a zero date, year 0, an impossible day,
// another spelling), which myTime then decides.
func parseMyDateTime(b []byte) (time.Time, bool) {
	t, ok := parseCivilText(b, false)
	return t, ok && t.Year() >= 1
}
