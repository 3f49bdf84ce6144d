// Package convert maps the type systems of SQLite, PostgreSQL and
// MySQL/MariaDB onto one description, and converts values to a target
// column's type exactly: a value that does not fit is rejected with a
// stable reason code, never dropped, never rounded.
package convert

import "strconv"

// Kind is the family of a column type.
type Kind int

// Column type families.
const (
	Any Kind = iota // no declared type (SQLite without affinity): values pass as they are
	Integer
	Decimal
	Float
	Text
	Bool
	Date
	Timestamp   // without time zone
	TimestampTZ // with time zone; values normalised to UTC
	Time
	JSON
	Binary
	Enum
	UUID
)

var kindNames = [...]string{
	Any: "any", Integer: "integer", Decimal: "decimal", Float: "float", Text: "text",
	Bool: "boolean", Date: "date", Timestamp: "timestamp", TimestampTZ: "timestamptz",
	Time: "time", JSON: "json", Binary: "binary", Enum: "enum", UUID: "uuid",
}

// String names the kind in lower case ("integer", "timestamptz", ...).
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Engines as the parsers record them in Type.Engine; the same spellings as
// the driver names of package engine/db.
const (
	EngineSQLite   = "sqlite"
	EnginePostgres = "postgres"
	EngineMySQL    = "mysql"
)

// Type describes a column's declared type in engine-neutral terms.
type Type struct {
	Kind Kind
	// Bits is the width of an Integer (8, 16, 24, 32 or 64; 0 means 64), of
	// a Float (32 or 64; 0 means 64), or of a MySQL BIT(n) column, which is
	// a Binary of (n+7)/8 bytes whose value must fit in n bits.
	Bits int
	// Unsigned is set for MySQL's unsigned integers, and its deprecated
	// unsigned DECIMAL, FLOAT and DOUBLE (which refuse negative values).
	Unsigned bool
	// Length is the maximum length of a Text in characters or of a Binary
	// in bytes; 0 = unbounded.
	Length int
	// MaxBytes is an additional limit of a Text in UTF-8 bytes (MySQL
	// TINYTEXT, TEXT, MEDIUMTEXT, whose limits are in bytes); 0 = none.
	MaxBytes int
	Fixed    bool // CHAR(n) / BINARY(n)
	// Precision is the total number of digits of a Decimal (0 =
	// unconstrained), or of a MySQL FLOAT(M,D)/DOUBLE(M,D).
	Precision int
	// Scale is the number of digits after the point of a Decimal (or of a
	// MySQL FLOAT(M,D)), and the number of fractional-second digits a
	// Timestamp, TimestampTZ or Time keeps (0 = whole seconds, 6 =
	// microseconds, 9 = nanoseconds). The parsers always set it.
	Scale   int
	Enum    []string
	NotNull bool
	Decl    string // the declaration as the engine spelled it
	// Engine is the engine the type was parsed for (EngineSQLite, ...), or
	// "" for a hand-built type. It enables engine limits such as MySQL's
	// TIMESTAMP range and its refusal of NaN.
	Engine string
}

// String returns the declaration as the engine spelled it, or a
// description built from the fields when Decl is empty.
func (t Type) String() string {
	if t.Decl != "" {
		return t.Decl
	}
	switch t.Kind {
	case Integer:
		s := "int" + strconv.Itoa(intBits(&t))
		if t.Unsigned {
			s = "u" + s
		}
		return s
	case Decimal:
		if t.Precision == 0 {
			return "decimal"
		}
		return "decimal(" + strconv.Itoa(t.Precision) + "," + strconv.Itoa(t.Scale) + ")"
	case Float:
		return "float" + strconv.Itoa(floatBits(&t))
	case Text:
		switch {
		case t.Length == 0:
			return "text"
		case t.Fixed:
			return "char(" + strconv.Itoa(t.Length) + ")"
		default:
			return "varchar(" + strconv.Itoa(t.Length) + ")"
		}
	case Binary:
		switch {
		case t.Length == 0:
			return "binary"
		case t.Fixed:
			return "binary(" + strconv.Itoa(t.Length) + ")"
		default:
			return "varbinary(" + strconv.Itoa(t.Length) + ")"
		}
	}
	return t.Kind.String()
}

// Reject reason codes: stable, used in the journal, reports and tests.
const (
	ReasonNotInteger    = "not_integer"
	ReasonNotNumber     = "not_number"
	ReasonOutOfRange    = "out_of_range"
	ReasonTooLong       = "too_long"
	ReasonPrecisionLoss = "precision_loss"
	ReasonInvalidDate   = "invalid_date" // also impossible times of day
	ReasonNullViolation = "null_violation"
	ReasonNotBoolean    = "not_boolean"
	ReasonInvalidJSON   = "invalid_json"
	ReasonInvalidEnum   = "invalid_enum"
	ReasonInvalidUUID   = "invalid_uuid"
	ReasonInvalidText   = "invalid_text" // not valid UTF-8, or a NUL byte PostgreSQL refuses
	ReasonNotBinary     = "not_binary"   // a number, boolean or time into a binary column
)

// Reject says why a value does not fit its target column.
type Reject struct {
	Reason  string // one of the Reason codes
	Message string // a human sentence naming the value and the type
}

// Error renders "reason: message", so a Reject can travel as an error.
func (r *Reject) Error() string { return r.Reason + ": " + r.Message }
