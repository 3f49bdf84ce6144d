package convert

// TEMPORARY STUBS: replaced by the real parsers and converter.

// ParseSQLite maps a SQLite declared type (as in PRAGMA table_info).
func ParseSQLite(decl string, notNull bool) Type {
	return Type{Kind: Any, NotNull: notNull, Decl: decl}
}

// ParsePostgres maps a PostgreSQL type as format_type() spells it
// ("numeric(12,4)", "character varying(16)", "timestamp with time zone").
func ParsePostgres(formatted string, notNull bool) Type {
	return Type{Kind: Any, NotNull: notNull, Decl: formatted}
}

// ParseMySQL maps a MySQL/MariaDB COLUMN_TYPE ("decimal(12,4)",
// "int(10) unsigned", "enum('a','b')", "varchar(16)").
func ParseMySQL(columnType string, notNull bool) Type {
	return Type{Kind: Any, NotNull: notNull, Decl: columnType}
}

// Convert converts a value as a driver delivered it to the target type.
func Convert(v any, t Type) (any, *Reject) { return v, nil }

// Canonical renders a converted value in the one form used by checksums,
// so equal values from different engines render equal.
func Canonical(v any, t Type) string { return "" }
