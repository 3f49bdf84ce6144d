package convert

import "strings"

// ParseMySQL maps a MySQL/MariaDB COLUMN_TYPE ("decimal(12,4)", "int(10)
// unsigned", "enum('a','b')", "varchar(16)", "datetime(6)").
//
// Decisions:
//   - tinyint(1) is Integer 8, not Bool: MySQL's BOOLEAN is a tinyint(1),
//     but the column can hold -128..127 and some schemas do; Convert puts
//     booleans into it as 0/1 and a Bool column accepts 0/1 from it.
//   - TINYTEXT/TEXT/MEDIUMTEXT limits are in bytes, so they become MaxBytes
//     (255, 65535, 16777215), checked on the UTF-8 bytes: never fewer bytes
//     than the column stores, so a value MySQL would cut is always refused.
//     LONGTEXT and LONGBLOB are unbounded here (4 GiB).
//   - TIMESTAMP is TimestampTZ: MySQL stores it as a UTC instant (readers
//     should use time_zone '+00:00' and the driver's loc=UTC). Its range,
//     1970-01-01 00:00:01 to 2038-01-19 03:14:07 UTC, is checked. DATETIME
//     is Timestamp (wall time). Fractional seconds: the declared fsp, 0 by
//     default, so a value with microseconds into datetime is refused
//     instead of rounded.
//   - YEAR is Integer 16, checked against 1901..2155 (and 0).
//   - BIT(n) is Binary of (n+7)/8 bytes with Bits n, since drivers deliver
//     bits as bytes.
//   - SET is Text; spatial types are Binary (WKB); MariaDB's UUID is UUID;
//     unknown types are Text with the declaration kept.
//   - FLOAT(M,D)/DOUBLE(M,D) keep M and D as Precision and Scale, and
//     refuse values MySQL would round to D decimals; UNSIGNED on DECIMAL,
//     FLOAT and DOUBLE refuses negative values.
func ParseMySQL(columnType string, notNull bool) Type {
	t := Type{Kind: Text, NotNull: notNull, Decl: columnType, Engine: EngineMySQL}
	d := splitDecl(columnType)
	t.Unsigned = d.unsigned
	switch d.words {
	case "tinyint", "int1", "bool", "boolean":
		t.Kind, t.Bits = Integer, 8
	case "smallint", "int2":
		t.Kind, t.Bits = Integer, 16
	case "mediumint", "int3", "middleint":
		t.Kind, t.Bits = Integer, 24
	case "int", "integer", "int4":
		t.Kind, t.Bits = Integer, 32
	case "bigint", "int8":
		t.Kind, t.Bits = Integer, 64
	case "serial":
		t.Kind, t.Bits, t.Unsigned = Integer, 64, true
	case "year":
		t.Kind, t.Bits = Integer, 16
	case "decimal", "numeric", "dec", "fixed":
		return decimalType(t, d, 10)
	case "float", "float4":
		t.Kind, t.Bits = Float, 32
		if n := d.ints(); len(n) == 2 {
			t.Precision, t.Scale = n[0], n[1]
		} else if len(n) == 1 && n[0] > 24 {
			t.Bits = 64
		}
	case "double", "double precision", "real", "float8":
		t.Kind, t.Bits = Float, 64
		if n := d.ints(); len(n) == 2 {
			t.Precision, t.Scale = n[0], n[1]
		}
	case "char", "character", "nchar", "national char":
		t.Fixed, t.Length = true, d.arg(0, 1)
	case "varchar", "character varying", "nvarchar", "national varchar":
		t.Length = d.arg(0, 0)
	case "tinytext":
		t.MaxBytes = 255
	case "text":
		t.MaxBytes = 65535
	case "mediumtext":
		t.MaxBytes = 16777215
	case "longtext":
	case "binary":
		t.Kind, t.Fixed, t.Length = Binary, true, d.arg(0, 1)
	case "varbinary":
		t.Kind, t.Length = Binary, d.arg(0, 0)
	case "tinyblob":
		t.Kind, t.Length = Binary, 255
	case "blob":
		t.Kind, t.Length = Binary, 65535
	case "mediumblob":
		t.Kind, t.Length = Binary, 16777215
	case "longblob", "geometry", "point", "linestring", "polygon", "multipoint",
		"multilinestring", "multipolygon", "geometrycollection", "geomcollection":
		t.Kind = Binary
	case "bit":
		n := d.arg(0, 1)
		t.Kind, t.Bits, t.Length = Binary, n, (n+7)/8
	case "enum":
		t.Kind, t.Enum = Enum, quotedList(d.args)
	case "date":
		t.Kind = Date
	case "datetime":
		t.Kind, t.Scale = Timestamp, d.arg(0, 0)
	case "timestamp":
		t.Kind, t.Scale = TimestampTZ, d.arg(0, 0)
	case "time":
		t.Kind, t.Scale = Time, d.arg(0, 0)
	case "json":
		t.Kind = JSON
	case "uuid":
		t.Kind = UUID
	}
	if t.Kind != Integer && t.Kind != Decimal && t.Kind != Float {
		t.Unsigned = false
	}
	return t
}

// isMySQLYear reports whether t is MySQL's YEAR, which holds 1901..2155
// and 0.
func isMySQLYear(t *Type) bool {
	if t.Engine != EngineMySQL {
		return false
	}
	d := strings.TrimSpace(t.Decl)
	return len(d) >= 4 && strings.EqualFold(d[:4], "year")
}
