package cdc

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// Prober is an applier that can prove, before it is needed, that it can
// write its position on its target: one row of PositionTable written in a
// transaction that is then rolled back (a read_only server, a revoked
// privilege or a missing table fail it). A switch proves its reverse path
// with it while both sides are frozen.
type Prober interface {
	Probe(ctx context.Context) error
}

// probeStream is the row a probe writes and rolls back: no stream is named so.
const probeStream = "tightrope probe (rolled back)"

// Probe writes the position row in a rolled-back transaction.
func (a *PGApplier) Probe(ctx context.Context) error {
	conn, err := pgOpen(ctx, a.DSN)
	if err != nil {
		return fmt.Errorf("cdc: target: %w", err)
	}
	defer conn.Close(context.Background())
	if err := ensurePositionTable(ctx, conn); err != nil {
		return err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `INSERT INTO `+PositionTable+` (stream, journal_seq, position) VALUES ($1, 0, '')`, probeStream); err != nil {
		return fmt.Errorf("cdc: write %s: %w", PositionTable, err)
	}
	return nil
}

// Probe writes the position row in a rolled-back transaction, and checks
// that the account can write through a freeze (read_only, which the old
// side of a switch is under while the reverse stream applies to it):
// READ_ONLY ADMIN (SUPER before MariaDB 10.11), and no super_read_only,
// which would stop every account.
func (a *MyApplier) Probe(ctx context.Context) error {
	conn, _, closeAll, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	if err := myWritesFrozen(ctx, conn); err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+PositionTable+" (stream, journal_seq, position, applied_at) VALUES (?, 0, '', UTC_TIMESTAMP(6))", probeStream); err != nil {
		return fmt.Errorf("cdc: write %s: %w", PositionTable, err)
	}
	return nil
}

// myWritesFrozen: the connection's account may write while the server is
// read_only, and a freeze of this server (engine/cutover) would not turn
// super_read_only on.
func myWritesFrozen(ctx context.Context, conn *sql.Conn) error {
	var version, user string
	if err := conn.QueryRowContext(ctx, "SELECT @@version, CURRENT_USER()").Scan(&version, &user); err != nil {
		return fmt.Errorf("cdc: target: %w", err)
	}
	var super int
	switch err := conn.QueryRowContext(ctx, "SELECT @@GLOBAL.super_read_only").Scan(&super); {
	case err == nil:
		return fmt.Errorf("cdc: this server has super_read_only, which a freeze turns on: no account, %s included, could apply the way back to it while it is frozen", user)
	case myErrorCode(err) != 1193: // 1193: unknown system variable (MariaDB)
		return fmt.Errorf("cdc: target: %w", err)
	}
	name, host, _ := strings.Cut(user, "@")
	grantee := "'" + name + "'@'" + host + "'"
	rows, err := conn.QueryContext(ctx, "SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?", grantee)
	if err != nil {
		return fmt.Errorf("cdc: read the account's privileges: %w", err)
	}
	defer rows.Close()
	want := []string{"READ_ONLY ADMIN"}
	if !mariaDBAtLeast(version, 10, 11) { // SUPER carries READ_ONLY ADMIN before 10.11
		want = append(want, "SUPER")
	}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return err
		}
		if slices.Contains(want, p) {
			return rows.Err()
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return fmt.Errorf("cdc: account %s cannot write while this server is frozen (read_only): GRANT READ_ONLY ADMIN ON *.* TO %s", user, grantee)
}
