package fault

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/db"
)

// binlogLoss is binlog-purge's way to lose a stream's position.
var binlogLoss = loss{kind: "binlog-purge", driver: db.MySQL, forWhat: "MySQL/MariaDB (cdc-slot-invalidate is its PostgreSQL counterpart)",
	nothing: "no binary log was purged",
	drop: func(ctx context.Context, s *sql.DB) (string, error) {
		purged, kept, err := PurgeBinlogs(ctx, s, 10*time.Second)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("binary logs %s purged, %s kept", strings.Join(purged, ", "), kept), nil
	}}

// PurgeBinlogs writes one transaction (a table of its own, created, written
// and dropped), rotates the server's binary log and purges every older one.
// It waits up to wait for the binlog readers of a cut connection to go
// (their dump threads end when the server notices), and refuses, purging
// nothing, while another reads the binlog then. It returns the logs
// purged and the one kept.
func PurgeBinlogs(ctx context.Context, s *sql.DB, wait time.Duration) (purged []string, kept string, err error) {
	deadline := time.Now().Add(wait)
	for {
		readers, err := binlogReaders(ctx, s)
		if err != nil {
			return nil, "", err
		}
		if len(readers) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, "", fmt.Errorf("binlog dump threads %s still read the binary log: purging would cut another replica off; run this fault against a server of the drill's own", strings.Join(readers, ", "))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A transaction of its own, in a table of its own, so the logs purged
	// hold one past any stream's position: a quiet source loses its
	// position too (a capture whose saved GTID is the server's newest has
	// lost nothing, and says so).
	gap := fmt.Sprintf("_tightrope_drill_gap_%d", time.Now().UnixNano())
	for _, stmt := range []string{"CREATE TABLE " + gap + " (n INT PRIMARY KEY)", "INSERT INTO " + gap + " VALUES (1)", "DROP TABLE " + gap} {
		if _, err := s.ExecContext(ctx, stmt); err != nil {
			return nil, "", fmt.Errorf("writing a transaction to purge (%s): %w", stmt, err)
		}
	}
	before, err := binlogs(ctx, s)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.ExecContext(ctx, "FLUSH BINARY LOGS"); err != nil {
		return nil, "", fmt.Errorf("FLUSH BINARY LOGS: %w", err)
	}
	after, err := binlogs(ctx, s)
	if err != nil {
		return nil, "", err
	}
	kept = after[len(after)-1]
	conn, err := s.Conn(ctx) // PURGE's warnings are the session's
	if err != nil {
		return nil, "", err
	}
	defer conn.Close()
	// The logs before the rotation are purgeable once the engines have
	// made their commits durable (MariaDB's binlog checkpoint): try again
	// for a while.
	var left []string
	warnings := ""
	deadline = time.Now().Add(wait)
	for {
		if _, err := conn.ExecContext(ctx, "PURGE BINARY LOGS TO '"+strings.ReplaceAll(kept, "'", "''")+"'"); err != nil {
			return nil, "", fmt.Errorf("PURGE BINARY LOGS TO %s: %w", kept, err)
		}
		warnings = sessionWarnings(ctx, conn)
		if left, err = binlogs(ctx, s); err != nil {
			return nil, "", err
		}
		if len(left) == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, b := range before {
		if !contains(left, b) {
			purged = append(purged, b)
		}
	}
	if len(purged) == 0 {
		return nil, kept, fmt.Errorf("no binary log was purged (the server kept %s)%s", strings.Join(left, ", "), warnings)
	}
	return purged, kept, nil
}

// binlogs lists the server's binary logs, oldest first.
func binlogs(ctx context.Context, s *sql.DB) ([]string, error) {
	rows, err := s.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return nil, fmt.Errorf("SHOW BINARY LOGS (is the binary log on?): %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		var name string
		vals[0] = &name
		for i := 1; i < len(cols); i++ {
			vals[i] = new(sql.RawBytes)
		}
		if err := rows.Scan(vals...); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the server has no binary log")
	}
	return out, nil
}

// binlogReaders names the connections reading the binary log (Binlog Dump
// threads).
func binlogReaders(ctx context.Context, s *sql.DB) ([]string, error) {
	rows, err := s.QueryContext(ctx, "SELECT id, user, host FROM information_schema.processlist WHERE command LIKE 'Binlog Dump%'")
	if err != nil {
		return nil, fmt.Errorf("reading the process list: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var user, host string
		if err := rows.Scan(&id, &user, &host); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%d (%s@%s)", id, user, host))
	}
	return out, rows.Err()
}

// sessionWarnings is ": " and the session's warnings, or "".
func sessionWarnings(ctx context.Context, c *sql.Conn) string {
	rows, err := c.QueryContext(ctx, "SHOW WARNINGS")
	if err != nil {
		return ""
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var level, msg string
		var code int
		if rows.Scan(&level, &code, &msg) == nil {
			out = append(out, msg)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return ": " + strings.Join(out, "; ")
}
