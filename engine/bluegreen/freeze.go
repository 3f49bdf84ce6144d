package bluegreen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Freezer stops and restores the application's writes to the tables on
// one side. Freeze must hold against every application session (a
// session cannot undo it) and end the writing ones; both must be safe to
// repeat. The conductor's journaled freeze (revoking exactly the grants it
// recorded) plugs in here; RoleFreeze is the minimal one.
type Freezer interface {
	Freeze(ctx context.Context, s Side, tables []string) error
	Unfreeze(ctx context.Context, s Side, tables []string) error
}

// RoleFreeze freezes by revoking the write privileges of the application's
// roles on the tables and ending those roles' sessions on the database;
// it unfreezes by granting the same privileges back. It keeps no state:
// while a side is live its application roles are expected to hold exactly
// Privileges on the tables.
type RoleFreeze struct {
	Roles []string
	// Privileges revoked and granted back; nil: INSERT, UPDATE, DELETE,
	// TRUNCATE.
	Privileges []string
}

func (f RoleFreeze) privileges() string {
	if len(f.Privileges) == 0 {
		return "INSERT, UPDATE, DELETE, TRUNCATE"
	}
	return strings.Join(f.Privileges, ", ")
}

func (f RoleFreeze) roles() string {
	out := make([]string, len(f.Roles))
	for i, r := range f.Roles {
		out[i] = ident(r)
	}
	return strings.Join(out, ", ")
}

// Freeze revokes, then ends the roles' sessions and waits until they are
// gone, so nothing written before the freeze commits after it.
func (f RoleFreeze) Freeze(ctx context.Context, s Side, tables []string) error {
	if len(f.Roles) == 0 {
		return errors.New("a role freeze needs the application's roles")
	}
	return f.withConn(ctx, s, tables, func(c *pgx.Conn, list string) error {
		if _, err := c.Exec(ctx, "REVOKE "+f.privileges()+" ON TABLE "+list+" FROM "+f.roles()); err != nil {
			return fmt.Errorf("freeze %s: %w", s.Name, err)
		}
		return endSessions(ctx, c, f.Roles)
	})
}

// Unfreeze grants the privileges back.
func (f RoleFreeze) Unfreeze(ctx context.Context, s Side, tables []string) error {
	if len(f.Roles) == 0 {
		return errors.New("a role freeze needs the application's roles")
	}
	return f.withConn(ctx, s, tables, func(c *pgx.Conn, list string) error {
		if _, err := c.Exec(ctx, "GRANT "+f.privileges()+" ON TABLE "+list+" TO "+f.roles()); err != nil {
			return fmt.Errorf("unfreeze %s: %w", s.Name, err)
		}
		return nil
	})
}

// withConn connects to s and resolves the tables to quoted names.
func (f RoleFreeze) withConn(ctx context.Context, s Side, tables []string, do func(*pgx.Conn, string) error) error {
	c, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", s.Name, err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	names := make([]string, len(tables))
	for i, t := range tables {
		var q *string
		if err := c.QueryRow(ctx, `SELECT to_regclass($1)::text`, t).Scan(&q); err != nil {
			return err
		}
		if q == nil {
			return fmt.Errorf("table %s is not on %s", t, s.Name)
		}
		names[i] = *q
	}
	return do(c, strings.Join(names, ", "))
}

// endSessions terminates the roles' sessions on c's database and waits
// until they are gone.
func endSessions(ctx context.Context, c *pgx.Conn, roles []string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left int
		err := c.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND usename = ANY($1)) x`, roles).Scan(&left)
		if err != nil {
			return err
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d sessions of the application's roles are still there 10s after being told to end", left)
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
}
