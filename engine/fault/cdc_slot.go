package fault

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/db"
)

// slotLoss is cdc-slot-invalidate's way to lose a stream's position.
var slotLoss = loss{kind: "cdc-slot-invalidate", driver: db.Postgres, forWhat: "PostgreSQL (binlog-purge is its MySQL counterpart)",
	nothing: "no slot was invalidated",
	drop: func(ctx context.Context, s *sql.DB) (string, error) {
		slots, rounds, err := InvalidateSlots(ctx, s)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("slot %s invalidated (wal_status lost) after %d rounds of WAL with max_slot_wal_keep_size 1MB", strings.Join(slots, ", "), rounds), nil
	}}

// InvalidateSlots invalidates every logical slot of the database s is
// connected to: it shrinks the server's max_slot_wal_keep_size to 1MB,
// writes, switches and checkpoints WAL until the slots' wal_status is
// lost (at most 20 rounds), and restores the setting. It refuses, touching
// nothing, when the server holds a slot of another database or a physical
// slot (they would be invalidated too), or when the database has no
// logical slot. It returns the slots and the rounds of WAL it took.
func InvalidateSlots(ctx context.Context, s *sql.DB) (slots []string, rounds int, err error) {
	rows, err := s.QueryContext(ctx, `SELECT slot_name, slot_type, coalesce(database, ''), database = current_database() FROM pg_replication_slots ORDER BY slot_name`)
	if err != nil {
		return nil, 0, fmt.Errorf("reading pg_replication_slots: %w", err)
	}
	var others []string
	for rows.Next() {
		var name, typ, dbname string
		var ours sql.NullBool
		if err := rows.Scan(&name, &typ, &dbname, &ours); err != nil {
			rows.Close()
			return nil, 0, err
		}
		if typ == "logical" && ours.Bool {
			slots = append(slots, name)
		} else {
			others = append(others, fmt.Sprintf("%s (%s, database %q)", name, typ, dbname))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(others) > 0 {
		return nil, 0, fmt.Errorf("the server also holds slots %s: shrinking max_slot_wal_keep_size would invalidate them too; run this fault against a server of the drill's own", strings.Join(others, ", "))
	}
	if len(slots) == 0 {
		return nil, 0, fmt.Errorf("the database has no logical replication slot to invalidate (is the change stream started?)")
	}
	restore, err := shrinkSlotKeep(ctx, s)
	if err != nil {
		return nil, 0, err
	}
	defer restore()
	// A table of its own to write WAL with, dropped after.
	filler := fmt.Sprintf("_tightrope_drill_wal_%d", time.Now().UnixNano())
	if _, err := s.ExecContext(ctx, "CREATE TABLE "+filler+" (pad text)"); err != nil {
		return nil, 0, fmt.Errorf("creating a table to write WAL with: %w", err)
	}
	defer s.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+filler) //nolint:errcheck // best effort
	for rounds = 1; rounds <= 20; rounds++ {
		for _, stmt := range []string{
			"INSERT INTO " + filler + " SELECT repeat('x', 1000) FROM generate_series(1, 2000)", "SELECT pg_switch_wal()",
			"INSERT INTO " + filler + " VALUES ('y')", "SELECT pg_switch_wal()", "CHECKPOINT",
		} {
			if _, err := s.ExecContext(ctx, stmt); err != nil {
				return nil, rounds, fmt.Errorf("writing WAL (%s): %w", stmt, err)
			}
		}
		var left int
		if err := s.QueryRowContext(ctx, `SELECT count(*) FROM pg_replication_slots WHERE slot_type = 'logical' AND database = current_database() AND wal_status IS DISTINCT FROM 'lost'`).Scan(&left); err != nil {
			return nil, rounds, err
		}
		if left == 0 {
			return slots, rounds, nil
		}
	}
	return nil, rounds - 1, fmt.Errorf("slots %s still not lost after %d rounds of WAL", strings.Join(slots, ", "), rounds-1)
}

// shrinkSlotKeep sets max_slot_wal_keep_size to 1MB and returns what puts
// it back: the value ALTER SYSTEM had set, or the configuration file's.
func shrinkSlotKeep(ctx context.Context, s *sql.DB) (restore func(), err error) {
	var setting, source string
	var file sql.NullString
	if err := s.QueryRowContext(ctx, `SELECT setting, source, sourcefile FROM pg_settings WHERE name = 'max_slot_wal_keep_size'`).Scan(&setting, &source, &file); err != nil {
		return nil, fmt.Errorf("reading max_slot_wal_keep_size (PostgreSQL 13 or later): %w", err)
	}
	back := "ALTER SYSTEM RESET max_slot_wal_keep_size"
	if n, err := strconv.ParseInt(setting, 10, 64); err == nil && strings.HasSuffix(file.String, "postgresql.auto.conf") {
		back = fmt.Sprintf("ALTER SYSTEM SET max_slot_wal_keep_size = %d", n) // in its unit, MB
	}
	for _, stmt := range []string{"ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'", "SELECT pg_reload_conf()"} {
		if _, err := s.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("%s (needs a superuser): %w", stmt, err)
		}
	}
	time.Sleep(200 * time.Millisecond) // the checkpointer reloads its configuration
	return func() {
		bg := context.WithoutCancel(ctx)
		s.ExecContext(bg, back)                      //nolint:errcheck // best effort: the slots are lost already
		s.ExecContext(bg, "SELECT pg_reload_conf()") //nolint:errcheck
	}, nil
}
