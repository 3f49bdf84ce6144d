package db

// The "mycrc1" snapshot checksum of MySQL/MariaDB, computed in the server
// (see snapshot_checksum.go).

import (
	"context"
	"fmt"
	"strings"
)

var (
	_ SnapshotChecksummer = (*myDB)(nil)
	_ SnapshotChecksummer = (*mySnapView)(nil)
)

// SnapshotChecksum checksums a table of the handle's database (or the
// database a dotted name names).
func (m *myDB) SnapshotChecksum(ctx context.Context, table string) (int64, string, error) {
	schema, name := m.split(table)
	return myChecksum(ctx, m, schema, name)
}

// SnapshotChecksum checksums the copy of a live table.
func (v *mySnapView) SnapshotChecksum(ctx context.Context, table string) (int64, string, error) {
	n, err := v.name(table)
	if err != nil {
		return 0, "", err
	}
	schema, name := v.m.split(n)
	return myChecksum(ctx, v.m, schema, name)
}

// SnapshotChecksumKind: ChecksumMySQL, which every version computes.
func (m *myDB) SnapshotChecksumKind(context.Context) (string, error) { return ChecksumMySQL, nil }

// SnapshotChecksumKind: ChecksumMySQL.
func (v *mySnapView) SnapshotChecksumKind(context.Context) (string, error) { return ChecksumMySQL, nil }

// myPlainTypes render as text that can neither contain a comma nor be
// "N": numbers and times (TIMESTAMP and FLOAT aside, see myColumnExpr).
var myPlainTypes = map[string]bool{
	"tinyint": true, "smallint": true, "mediumint": true, "int": true, "integer": true, "bigint": true,
	"decimal": true, "numeric": true, "double": true, "real": true, "year": true, "date": true, "datetime": true, "time": true,
}

// myColumnExpr renders a column for the row's text, so that no two
// different rows render alike: numbers and times as their text ("N" for
// NULL); a TIMESTAMP as its Unix time (its text would depend on the
// session's time zone); a FLOAT widened to DOUBLE (its own text keeps six
// digits, two different FLOATs can share it); anything else (strings,
// binary, BIT, ENUM, SET, JSON, spatial) as its bytes quoted by QUOTE,
// which also renders NULL as the bare word NULL. Quoted strings carry their
// own delimiters, so commas inside them cannot shift a boundary; working
// on bytes, no collation is involved.
func myColumnExpr(quoted, dataType string) string {
	switch t := strings.ToLower(dataType); {
	case myPlainTypes[t]:
		return "IFNULL(" + quoted + ", 'N')"
	case t == "float":
		return "IFNULL(" + quoted + " * 1e0, 'N')"
	case t == "timestamp":
		return "IFNULL(UNIX_TIMESTAMP(" + quoted + "), 'N')"
	case t == "json":
		return "QUOTE(CAST(" + quoted + " AS CHAR))"
	}
	return "QUOTE(CAST(" + quoted + " AS BINARY))"
}

// myChecksum computes the "mycrc1" checksum of schema.table in one
// statement (one consistent read): the row count, and the exact sum of
// every row's CRC32 over its columns' renderings (myColumnExpr) joined by
// commas. CRC32 is 32 bits: a damaged row goes unnoticed with a chance of
// one in 2^32 — the price of a checksum the server computes at its own
// speed (the canonical checksum, a sum of sha256, reads every row into Go).
func myChecksum(ctx context.Context, m *myDB, schema, table string) (int64, string, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND BINARY TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, schema, table, table)
	if err != nil {
		return 0, "", fmt.Errorf("mysql: checksum %s.%s: columns: %w", schema, table, err)
	}
	var exprs []string
	for rows.Next() {
		var col, typ string
		if err := rows.Scan(&col, &typ); err != nil {
			rows.Close()
			return 0, "", fmt.Errorf("mysql: checksum %s.%s: columns: %w", schema, table, err)
		}
		exprs = append(exprs, myColumnExpr(m.Quote(col), typ))
	}
	if err := rows.Err(); err != nil {
		return 0, "", fmt.Errorf("mysql: checksum %s.%s: columns: %w", schema, table, err)
	}
	if len(exprs) == 0 {
		return 0, "", fmt.Errorf("mysql: checksum %s.%s: %w", schema, table, ErrNoTable)
	}
	q := "SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS(',', " + strings.Join(exprs, ", ") + "))), 0) FROM " +
		m.Quote(schema) + "." + m.Quote(table)
	var n int64
	var sum string
	if err := m.db.QueryRowContext(ctx, q).Scan(&n, &sum); err != nil {
		return 0, "", fmt.Errorf("mysql: checksum %s.%s: %w", schema, table, err)
	}
	return n, ChecksumMySQL + ":" + sum, nil
}
