package cutover

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/tightrope/tightrope/journal"
)

// myReadOnly reads the global read_only and super_read_only ("" on a
// server without it: MariaDB).
func myReadOnly(ctx context.Context, d DB) (ro, super string, err error) {
	var v int
	if err := d.SQL().QueryRowContext(ctx, `SELECT @@GLOBAL.read_only`).Scan(&v); err != nil {
		return "", "", err
	}
	ro = strconv.Itoa(v)
	err = d.SQL().QueryRowContext(ctx, `SELECT @@GLOBAL.super_read_only`).Scan(&v)
	var me *mysql.MySQLError
	switch {
	case errors.As(err, &me) && me.Number == 1193: // unknown system variable
		return ro, "", nil
	case err != nil:
		return "", "", err
	}
	return ro, strconv.Itoa(v), nil
}

// myApply turns read_only on (and super_read_only where the server has
// it). Setting read_only waits for open transactions holding write locks;
// lockWait bounds that wait, after which the freeze fails and changes
// nothing.
func myApply(ctx context.Context, d DB, p journal.FreezePayload, lockWait time.Duration) (journal.FrozenPayload, error) {
	var out journal.FrozenPayload
	conn, err := d.SQL().Conn(ctx)
	if err != nil {
		return out, err
	}
	defer conn.Close()
	secs := max(1, int(lockWait.Seconds()))
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET SESSION lock_wait_timeout = %d", secs)); err != nil {
		return out, err
	}
	if _, err := conn.ExecContext(ctx, "SET GLOBAL read_only = 1"); err != nil {
		return out, fmt.Errorf("SET GLOBAL read_only = 1 (open writing transactions hold it back for at most %ds): %w", secs, err)
	}
	if p.PrevSuperReadOnly != "" {
		if _, err := conn.ExecContext(ctx, "SET GLOBAL super_read_only = 1"); err != nil {
			return out, fmt.Errorf("SET GLOBAL super_read_only = 1: %w", err)
		}
	} else {
		out.Warnings = append(out.Warnings, "this server has no super_read_only: accounts with READ_ONLY ADMIN (SUPER before MariaDB 10.11; tightrope's own included) can still write")
		unbound, err := myUnbound(ctx, d)
		if err != nil {
			return out, err
		}
		out.Warnings = append(out.Warnings, unbound...)
	}
	return out, nil
}

// mySetReadOnly restores the global values a freeze replaced:
// super_read_only first (turning it off would not turn read_only off;
// turning read_only off turns it off too).
func mySetReadOnly(ctx context.Context, d DB, ro, super string) error {
	conn, err := d.SQL().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if super != "" {
		if _, err := conn.ExecContext(ctx, "SET GLOBAL super_read_only = "+flag(super)); err != nil {
			return fmt.Errorf("SET GLOBAL super_read_only = %s: %w", flag(super), err)
		}
	}
	if _, err := conn.ExecContext(ctx, "SET GLOBAL read_only = "+flag(ro)); err != nil {
		return fmt.Errorf("SET GLOBAL read_only = %s: %w", flag(ro), err)
	}
	return nil
}

// flag is "1" for a recorded "1", else "0": a recorded value never reaches
// the SQL as typed.
func flag(v string) string {
	if v == "1" {
		return "1"
	}
	return "0"
}
