package fault

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// binlogPurge is binlog-purge:CONN@STEP:DURATION[:AFTER].
type binlogPurge struct {
	base
	at  at
	dur time.Duration
}

func (f *binlogPurge) RelayConn() string { return f.at.conn }

func (f *binlogPurge) arm(ctx context.Context, env *Env, step runbooks.Step, record func(journal.FaultPayload)) (bool, error) {
	return f.at.arm(ctx, env, step, record, "no binary log was purged", func(ctx context.Context, when string) (journal.FaultPayload, error) {
		cut := cutWhile(env, f.at.conn, f.dur)
		d, err := env.direct(ctx, f.at.conn)
		if err != nil {
			return journal.FaultPayload{}, err
		}
		if d.Driver() != db.MySQL {
			return journal.FaultPayload{}, fmt.Errorf("connection %s is %s: binlog-purge is for MySQL/MariaDB (cdc-slot-invalidate is its PostgreSQL counterpart)", f.at.conn, d.Driver())
		}
		purged, kept, err := PurgeBinlogs(ctx, d.SQL(), 10*time.Second)
		if err != nil {
			return journal.FaultPayload{}, err
		}
		return journal.FaultPayload{Target: f.at.conn, Detail: fmt.Sprintf("binlog-purge: binary logs %s purged, %s kept, %s; %s",
			strings.Join(purged, ", "), kept, when, cut)}, nil
	})
}

// PurgeBinlogs rotates the server's binary log and purges every older one.
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
