// Package convert maps the type systems of SQLite, PostgreSQL and
// MySQL/MariaDB onto one description, and converts values to a target
// column's type exactly: a value that does not fit is rejected with a
// stable reason code, never dropped, never rounded.
package convert

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

// Type describes a column's declared type in engine-neutral terms.
type Type struct {
	Kind      Kind
	Bits      int  // Integer: 8, 16, 24, 32 or 64; Float: 32 or 64
	Unsigned  bool // Integer (MySQL)
	Length    int  // Text/Binary: maximum length in characters (bytes for binary); 0 = unbounded
	Fixed     bool // CHAR(n) / BINARY(n)
	Precision int  // Decimal: total digits; 0 = unconstrained
	Scale     int  // Decimal: digits after the point
	Enum      []string
	NotNull   bool
	Decl      string // the declaration as the engine spelled it
}

// Reject reason codes: stable, used in the journal, reports and tests.
const (
	ReasonNotInteger    = "not_integer"
	ReasonNotNumber     = "not_number"
	ReasonOutOfRange    = "out_of_range"
	ReasonTooLong       = "too_long"
	ReasonPrecisionLoss = "precision_loss"
	ReasonInvalidDate   = "invalid_date"
	ReasonNullViolation = "null_violation"
	ReasonNotBoolean    = "not_boolean"
	ReasonInvalidJSON   = "invalid_json"
	ReasonInvalidEnum   = "invalid_enum"
	ReasonInvalidUUID   = "invalid_uuid"
	ReasonInvalidText   = "invalid_text" // not valid UTF-8, or a NUL byte PostgreSQL refuses
)

// Reject says why a value does not fit its target column.
type Reject struct {
	Reason  string // one of the Reason codes
	Message string // a human sentence naming the value and the type
}

func (r *Reject) Error() string { return r.Reason + ": " + r.Message }
