package convert

import "strings"

// ParsePostgres maps a PostgreSQL type as format_type() spells it
// ("numeric(12,4)", "character varying(16)", "timestamp(3) with time
// zone"); the internal names (int4, varchar, timestamptz, ...) are read
// too. Times keep 6 fractional digits unless declared otherwise.
//
// Decisions: arrays, enums and domains (format_type shows only their
// name), time with time zone, interval, money, network, geometric, range,
// bit-string and other types map to Text with the declaration kept, so
// values pass as text that PostgreSQL itself will check on insert; json
// and jsonb are JSON (jsonb also refuses \u0000); oid is an unsigned
// 32-bit integer.
func ParsePostgres(formatted string, notNull bool) Type {
	t := Type{Kind: Text, NotNull: notNull, Decl: formatted, Engine: EnginePostgres}
	if strings.HasSuffix(strings.TrimSpace(formatted), "]") {
		return t // an array
	}
	d := splitDecl(formatted)
	switch d.words {
	case "smallint", "int2", "smallserial", "serial2":
		t.Kind, t.Bits = Integer, 16
	case "integer", "int", "int4", "serial", "serial4":
		t.Kind, t.Bits = Integer, 32
	case "bigint", "int8", "bigserial", "serial8":
		t.Kind, t.Bits = Integer, 64
	case "oid":
		t.Kind, t.Bits, t.Unsigned = Integer, 32, true
	case "numeric", "decimal":
		return decimalType(t, d, 0)
	case "real", "float4":
		t.Kind, t.Bits = Float, 32
	case "double precision", "float8":
		t.Kind, t.Bits = Float, 64
	case "float":
		t.Kind, t.Bits = Float, 64
		if p := d.arg(0, 53); p <= 24 {
			t.Bits = 32
		}
	case "text", "name", "citext":
		t.Kind = Text
	case "character varying", "varchar":
		t.Length = d.arg(0, 0)
	case "character", "char":
		t.Fixed, t.Length = true, d.arg(0, 1)
	case "bpchar":
		t.Fixed, t.Length = true, d.arg(0, 0)
	case "boolean", "bool":
		t.Kind = Bool
	case "date":
		t.Kind = Date
	case "timestamp without time zone", "timestamp":
		t.Kind, t.Scale = Timestamp, d.arg(0, 6)
	case "timestamp with time zone", "timestamptz":
		t.Kind, t.Scale = TimestampTZ, d.arg(0, 6)
	case "time without time zone", "time":
		t.Kind, t.Scale = Time, d.arg(0, 6)
	case "json", "jsonb":
		t.Kind = JSON
	case "bytea":
		t.Kind = Binary
	case "uuid":
		t.Kind = UUID
	}
	return t
}
