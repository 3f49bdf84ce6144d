package convert

import "strings"

// ParseSQLite maps a SQLite declared type (as in PRAGMA table_info). SQLite
// stores what it is given by affinity, but the declared constraints are
// kept, because they are what the schema's author meant and what the other
// engines will enforce: VARCHAR(20) is Text of 20 characters, NUMERIC(10,2)
// a Decimal(10,2). Known names map by name (TINYINT 8 bits, SMALLINT 16,
// MEDIUMINT 24, INT4 32, INT/INTEGER/BIGINT 64; BOOLEAN; DATE; DATETIME and
// TIMESTAMP; TIME; JSON; UUID; BLOB); other names follow SQLite's affinity
// rules (contains INT: Integer; CHAR, CLOB or TEXT: Text; BLOB: Binary;
// REAL, FLOA or DOUB: Float); an empty declaration, or an unknown name
// with NUMERIC affinity, is Any.
//
// Decisions: CHAR(n) is not Fixed, since SQLite keeps trailing spaces;
// times keep nanoseconds (Scale 9), since SQLite stores them as text;
// 64-bit integers are signed whatever the declaration says, since SQLite
// cannot store more; decimals carry Engine sqlite, so that a value SQLite
// would store as a float with fewer digits is refused.
func ParseSQLite(declared string, notNull bool) Type {
	t := Type{Kind: Any, NotNull: notNull, Decl: declared, Engine: EngineSQLite}
	d := splitDecl(declared)
	w := strings.ToUpper(d.words)
	intType := func(bits int) Type {
		t.Kind, t.Bits, t.Unsigned = Integer, bits, d.unsigned && bits < 64
		return t
	}
	switch w {
	case "":
		if d.unsigned {
			return intType(64)
		}
		return t
	case "TINYINT", "INT1":
		return intType(8)
	case "SMALLINT", "INT2":
		return intType(16)
	case "MEDIUMINT", "INT3":
		return intType(24)
	case "INT4":
		return intType(32)
	case "INT", "INTEGER", "BIGINT", "INT8", "BIG INT":
		return intType(64)
	case "BOOLEAN", "BOOL":
		t.Kind = Bool
	case "DATE":
		t.Kind = Date
	case "DATETIME", "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE":
		t.Kind, t.Scale = Timestamp, d.arg(0, 9)
	case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		t.Kind, t.Scale = TimestampTZ, d.arg(0, 9)
	case "TIME", "TIME WITHOUT TIME ZONE":
		t.Kind, t.Scale = Time, d.arg(0, 9)
	case "JSON", "JSONB":
		t.Kind = JSON
	case "UUID":
		t.Kind = UUID
	case "NUMERIC", "DECIMAL":
		return decimalType(t, d, 0)
	case "REAL", "DOUBLE", "DOUBLE PRECISION", "FLOAT":
		t.Kind, t.Bits = Float, 64
	case "BLOB":
		t.Kind = Binary
	default:
		switch {
		case strings.Contains(w, "INT"):
			return intType(64)
		case strings.Contains(w, "CHAR"), strings.Contains(w, "CLOB"), strings.Contains(w, "TEXT"):
			t.Kind, t.Length = Text, d.arg(0, 0)
		case strings.Contains(w, "BLOB"):
			t.Kind = Binary
		case strings.Contains(w, "REAL"), strings.Contains(w, "FLOA"), strings.Contains(w, "DOUB"):
			t.Kind, t.Bits = Float, 64
		}
	}
	return t
}
