package db

// What a finished run leaves on a server, found and removed for
// `tightrope cleanup`: the copy checkpoints in ProgressTable, and on
// MySQL/MariaDB the staging and old-tables databases of a restore that
// was stopped before it could drop them.

import (
	"context"
	"fmt"
	"strings"
)

// ProgressRows counts the checkpoints in ProgressTable: all of them, and
// those of the given copy ids. exists is false when there is no table.
func ProgressRows(ctx context.Context, d DB, copyIDs []string) (all, mine int64, exists bool, err error) {
	if exists, err = progressExists(ctx, d); err != nil || !exists {
		return 0, 0, exists, err
	}
	rows, err := d.SQL().QueryContext(ctx, "SELECT copy_id, COUNT(*) FROM "+d.Quote(ProgressTable)+" GROUP BY copy_id")
	if err != nil {
		return 0, 0, true, fmt.Errorf("%s: reading %s: %w", d.Driver(), ProgressTable, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return 0, 0, true, err
		}
		all += n
		for _, c := range copyIDs {
			if id == c {
				mine += n
			}
		}
	}
	return all, mine, true, rows.Err()
}

// DropProgress deletes the checkpoints of the given copy ids from
// ProgressTable, in one transaction, and drops the table when no other
// copy's checkpoints are left in it (dropped says so).
func DropProgress(ctx context.Context, d DB, copyIDs []string) (dropped bool, err error) {
	tx, err := d.SQL().BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit: no-op
	del := "DELETE FROM " + d.Quote(ProgressTable) + " WHERE copy_id = " + placeholder(d, 1)
	for _, id := range copyIDs {
		if _, err := tx.ExecContext(ctx, del, id); err != nil {
			return false, fmt.Errorf("%s: deleting the checkpoints of %s: %w", d.Driver(), id, err)
		}
	}
	var left int64
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+d.Quote(ProgressTable)).Scan(&left); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	if left > 0 {
		return false, nil
	}
	if _, err := d.SQL().ExecContext(ctx, "DROP TABLE "+d.Quote(ProgressTable)); err != nil {
		return false, fmt.Errorf("%s: dropping %s: %w", d.Driver(), ProgressTable, err)
	}
	return true, nil
}

// progressExists tells whether ProgressTable exists where the adapter
// writes it (the current schema or database).
func progressExists(ctx context.Context, d DB) (bool, error) {
	var q string
	switch d.Driver() {
	case Postgres:
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	case MySQL:
		q = `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`
	default:
		q = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	}
	var n int
	if err := d.SQL().QueryRowContext(ctx, q, ProgressTable).Scan(&n); err != nil {
		return false, fmt.Errorf("%s: looking for %s: %w", d.Driver(), ProgressTable, err)
	}
	return n > 0, nil
}

func placeholder(d DB, i int) string {
	if d.Driver() == Postgres {
		return fmt.Sprintf("$%d", i)
	}
	return "?"
}

// RestoreLeftovers is implemented by adapters whose restore stages data in
// databases of their own (MySQL/MariaDB's schema method): a restore
// stopped before its deferred drops leaves them behind.
type RestoreLeftovers interface {
	// RestoreLeftovers lists the staging (__rst_) and old-tables (__old_)
	// databases of restores of this database: ours for sure, and maybe
	// ours (the hashed form of a long name, which another database sharing
	// the name's first characters would also make).
	RestoreLeftovers(ctx context.Context) (ours, maybe []string, err error)
	// DropRestoreLeftover drops one of them; any other name is refused.
	DropRestoreLeftover(ctx context.Context, name string) error
}

var _ RestoreLeftovers = (*mySnapDB)(nil)

// RestoreLeftovers lists this database's restore staging and old-tables
// databases.
func (m *mySnapDB) RestoreLeftovers(ctx context.Context) (ours, maybe []string, err error) {
	rows, err := m.db.QueryContext(ctx, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA
		WHERE SCHEMA_NAME LIKE '%\_\_rst\_%' OR SCHEMA_NAME LIKE '%\_\_old\_%' ORDER BY SCHEMA_NAME`)
	if err != nil {
		return nil, nil, fmt.Errorf("mysql: listing restore staging databases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, nil, err
		}
		switch match, sure := m.restoreLeftover(s); {
		case match && sure:
			ours = append(ours, s)
		case match:
			maybe = append(maybe, s)
		}
	}
	return ours, maybe, rows.Err()
}

// DropRestoreLeftover drops a staging or old-tables database of this
// database's restores.
func (m *mySnapDB) DropRestoreLeftover(ctx context.Context, name string) error {
	if match, _ := m.restoreLeftover(name); !match {
		return fmt.Errorf("mysql: refusing to drop %s: not a restore staging database of %s", name, m.dbName)
	}
	return m.dropDB(ctx, name)
}

// restoreLeftover tells whether name is one snapshotName(m.dbName, "rst"
// or "old", …) can return: the live name and tag as prefix (sure), or,
// for a live name too long for that, its cut form and a 16-digit hash —
// which every database sharing the cut form makes, so not sure.
func (m *mySnapDB) restoreLeftover(name string) (match, sure bool) {
	for _, tag := range []string{"rst", "old"} {
		prefix := m.dbName + "__" + tag + "_"
		if strings.HasPrefix(name, prefix) && len(name) > len(prefix) {
			return true, true
		}
		if cut := 64 - len("__"+tag+"_") - 16; len(m.dbName) > cut && cut > 0 {
			short := strings.ToValidUTF8(m.dbName[:cut], "") + "__" + tag + "_"
			if rest, ok := strings.CutPrefix(name, short); ok && len(rest) == 16 && strings.Trim(rest, "0123456789abcdef") == "" {
				return true, false
			}
		}
	}
	return false, false
}
