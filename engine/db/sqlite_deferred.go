package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// SQLite checks a foreign key declared DEFERRABLE INITIALLY DEFERRED only
// at COMMIT, and has no SET CONSTRAINTS ALL IMMEDIATE: an orphan would fail
// the whole batch at its commit instead of its own insert. So when the
// target table declares one, LoadRefusing checks the table's foreign keys
// (PRAGMA foreign_key_check) after each insert of its bisection, and a
// violation refuses the rows just inserted like an immediate key would.
// Rows committed earlier cannot violate them (their commit checked them),
// unless they were written with foreign keys off: then every row of the
// batch is refused, where the commit would have failed anyway.

// errDeferredFK is a deferred foreign key that the rows just inserted
// violate; Refused names it "FOREIGN KEY".
type errDeferredFK struct{ table string }

func (e *errDeferredFK) Error() string {
	return "FOREIGN KEY constraint failed (a deferred foreign key of " + e.table + ", checked at once)"
}

// sqliteDeferredFK tells whether table declares a deferred foreign key.
func sqliteDeferredFK(ctx context.Context, tx *sql.Tx, table string) (bool, error) {
	var ddl sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&ddl)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the definition of %s: %w", table, err)
	}
	return strings.Contains(strings.ToUpper(ddl.String), "INITIALLY DEFERRED"), nil
}

// checkDeferredFK returns errDeferredFK when a row of table violates one of
// its foreign keys.
func (d *sqliteDB) checkDeferredFK(ctx context.Context, tx *sql.Tx, table string) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check("+d.Quote(table)+")")
	if err != nil {
		return fmt.Errorf("sqlite: load %s: foreign_key_check: %w", table, err)
	}
	defer rows.Close()
	if rows.Next() {
		return &errDeferredFK{table: table}
	}
	return rows.Err()
}
