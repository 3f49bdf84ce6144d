package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/tightrope/tightrope/engine/convert"
)

// Mapping is how one source column lands in a created target table. Note
// is set when the target type narrows the source type or changes its
// meaning; a copy reports every such note before it moves a row.
type Mapping struct {
	Column string
	Source string // the source declaration
	Target string // the target declaration
	Note   string
}

// CreateTable creates table t (columns and key as read from the source) in
// d, mapping every column's type into d's type system. It returns the
// mapping of each column. Identifiers are quoted by d.
func CreateTable(ctx context.Context, d DB, t Table) ([]Mapping, error) {
	stmt, maps := CreateTableStmt(d, t)
	if _, err := d.SQL().ExecContext(ctx, stmt); err != nil {
		return maps, fmt.Errorf("creating %s: %w", t.Name, err)
	}
	return maps, nil
}

// CreateTableStmt is the statement CreateTable runs, and the mapping of
// each column; it runs nothing (dry runs print it).
func CreateTableStmt(d DB, t Table) (string, []Mapping) {
	var cols []string
	var maps []Mapping
	for _, c := range t.Columns {
		name, note := TypeName(d.Driver(), c.Type)
		def := d.Quote(c.Name)
		if name != "" {
			def += " " + name
		}
		if c.Type.NotNull {
			def += " NOT NULL"
		}
		cols = append(cols, def)
		maps = append(maps, Mapping{Column: c.Name, Source: c.Type.Decl, Target: name, Note: note})
	}
	if len(t.Key) > 0 {
		keys := make([]string, len(t.Key))
		for i, k := range t.Key {
			keys[i] = d.Quote(k)
		}
		cols = append(cols, "PRIMARY KEY ("+strings.Join(keys, ", ")+")")
	}
	stmt := "CREATE TABLE " + d.Quote(t.Name) + " (\n  " + strings.Join(cols, ",\n  ") + "\n)"
	if d.Driver() == MySQL {
		stmt += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	}
	return stmt, maps
}

// TypeName spells a column type in the given driver's dialect, with a note
// when the result is narrower than the source or means something else.
func TypeName(driver string, t convert.Type) (name, note string) {
	switch driver {
	case Postgres:
		name, note = pgTypeName(t)
	case MySQL:
		name, note = mysqlTypeName(t)
	default:
		name, note = sqliteTypeName(t)
	}
	if more := sourceNote(driver, t); more != "" {
		if note != "" {
			note += "; "
		}
		note += more
	}
	return name, note
}

func pgTypeName(t convert.Type) (string, string) {
	switch t.Kind {
	case convert.Integer:
		switch {
		case t.Unsigned && t.Bits >= 64:
			return "numeric(20,0)", "unsigned 64-bit integer stored as numeric(20,0)"
		case t.Unsigned && t.Bits >= 32, t.Bits > 32:
			return "bigint", ""
		case t.Unsigned && t.Bits >= 16, t.Bits > 16:
			return "integer", ""
		default:
			return "smallint", ""
		}
	case convert.Decimal:
		if t.Precision == 0 {
			return "numeric", ""
		}
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale), ""
	case convert.Float:
		if t.Bits == 32 {
			return "real", ""
		}
		return "double precision", ""
	case convert.Text:
		switch {
		case t.Length == 0:
			return "text", ""
		case t.Fixed:
			return fmt.Sprintf("character(%d)", t.Length), ""
		default:
			return fmt.Sprintf("character varying(%d)", t.Length), ""
		}
	case convert.Bool:
		return "boolean", ""
	case convert.Date:
		return "date", ""
	case convert.Timestamp:
		return fmt.Sprintf("timestamp(%d) without time zone", min(t.Scale, 6)), scaleNote(t)
	case convert.TimestampTZ:
		return fmt.Sprintf("timestamp(%d) with time zone", min(t.Scale, 6)), scaleNote(t)
	case convert.Time:
		return fmt.Sprintf("time(%d) without time zone", min(t.Scale, 6)), scaleNote(t)
	case convert.JSON:
		return "json", ""
	case convert.Binary:
		return "bytea", ""
	case convert.Enum:
		return "text", "enum stored as text: its list of values is not enforced by the target"
	case convert.UUID:
		return "uuid", ""
	}
	return "text", "untyped source column stored as text"
}

func mysqlTypeName(t convert.Type) (string, string) {
	switch t.Kind {
	case convert.Integer:
		names := map[int]string{8: "tinyint", 16: "smallint", 24: "mediumint", 32: "int", 64: "bigint"}
		n := names[t.Bits]
		if n == "" {
			n = "bigint"
		}
		if t.Unsigned {
			n += " unsigned"
		}
		return n, ""
	case convert.Decimal:
		if t.Precision == 0 || t.Precision > 65 {
			return "decimal(65,30)", "unconstrained or over-wide numeric narrowed to decimal(65,30): wider values are rejected"
		}
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, min(t.Scale, 30)), ""
	case convert.Float:
		if t.Bits == 32 {
			return "float", ""
		}
		return "double", ""
	case convert.Text:
		switch {
		case t.Length == 0:
			return "longtext", ""
		case t.Fixed && t.Length <= 255:
			return fmt.Sprintf("char(%d)", t.Length), ""
		case t.Length <= 16383:
			return fmt.Sprintf("varchar(%d)", t.Length), ""
		default:
			return "longtext", fmt.Sprintf("length limit %d is not enforced by longtext (the copy still checks it)", t.Length)
		}
	case convert.Bool:
		return "tinyint(1)", "boolean stored as tinyint(1) (0 or 1)"
	case convert.Date:
		return "date", ""
	case convert.Timestamp:
		return fmt.Sprintf("datetime(%d)", min(t.Scale, 6)), scaleNote(t)
	case convert.TimestampTZ:
		return fmt.Sprintf("datetime(%d)", min(t.Scale, 6)), "timestamp with time zone stored as UTC wall time in datetime"
	case convert.Time:
		return fmt.Sprintf("time(%d)", min(t.Scale, 6)), scaleNote(t)
	case convert.JSON:
		return "json", ""
	case convert.Binary:
		if t.Length > 0 && t.Length <= 65535 {
			return fmt.Sprintf("varbinary(%d)", t.Length), ""
		}
		return "longblob", ""
	case convert.Enum:
		quoted := make([]string, len(t.Enum))
		for i, v := range t.Enum {
			quoted[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		}
		if len(quoted) == 0 {
			return "longtext", "enum without values stored as text"
		}
		return "enum(" + strings.Join(quoted, ",") + ")", ""
	case convert.UUID:
		return "char(36)", "uuid stored as its 36-character text"
	}
	return "longtext", "untyped source column stored as text"
}

func sqliteTypeName(t convert.Type) (string, string) {
	switch t.Kind {
	case convert.Integer:
		if t.Unsigned && t.Bits >= 64 {
			return "NUMERIC(20,0)", "unsigned 64-bit integer: values above 2^63-1 are rejected by SQLite's INTEGER"
		}
		return "INTEGER", ""
	case convert.Decimal:
		if t.Precision == 0 {
			return "NUMERIC", ""
		}
		return fmt.Sprintf("NUMERIC(%d,%d)", t.Precision, t.Scale), ""
	case convert.Float:
		return "REAL", ""
	case convert.Text:
		if t.Length == 0 {
			return "TEXT", ""
		}
		return fmt.Sprintf("VARCHAR(%d)", t.Length), ""
	case convert.Bool:
		return "BOOLEAN", ""
	case convert.Date:
		return "DATE", ""
	case convert.Timestamp:
		return "TIMESTAMP", ""
	case convert.TimestampTZ:
		return "TIMESTAMP", "timestamp with time zone stored as UTC wall time: the column keeps no zone"
	case convert.Time:
		return "TIME", ""
	case convert.JSON:
		return "JSON", ""
	case convert.Binary:
		return "BLOB", ""
	case convert.Enum, convert.UUID:
		return "TEXT", "stored as text: SQLite has no " + t.Kind.String() + " type"
	}
	return "", ""
}

func scaleNote(t convert.Type) string {
	if t.Scale > 6 {
		return fmt.Sprintf("fractional seconds narrowed from %d to 6 digits: finer values are rejected", t.Scale)
	}
	return ""
}
