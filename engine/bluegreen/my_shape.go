package bluegreen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// myShape is what ROW replication needs to be the same of a table on both
// sides: its columns in order (a row event carries them by position) and
// its primary key (a replica finds the row to update or delete by it, and
// the verification pairs rows by it).
type myShape struct {
	Columns []string // "name type [not null]", in ordinal order
	Key     []string
}

func (e *myEnd) shape(ctx context.Context, table string) (myShape, error) {
	var s myShape
	schema, name, _ := strings.Cut(table, ".")
	rows, err := e.pool.QueryContext(ctx, `SELECT CONCAT(COLUMN_NAME, ' ', COLUMN_TYPE, IF(IS_NULLABLE = 'NO', ' not null', ''))
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, schema, name)
	if err != nil {
		return s, fmt.Errorf("table %s on %s: %w", table, e.Name, err)
	}
	if s.Columns, err = scanStrings(rows); err != nil {
		return s, fmt.Errorf("table %s on %s: %w", table, e.Name, err)
	}
	if len(s.Columns) == 0 {
		return s, fmt.Errorf("table %s is not on %s", table, e.Name)
	}
	rows, err = e.pool.QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`, schema, name)
	if err != nil {
		return s, fmt.Errorf("table %s on %s: %w", table, e.Name, err)
	}
	s.Key, err = scanStrings(rows)
	return s, err
}

// scanStrings reads a one-column result and closes it.
func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// checkShapes fails unless every table is on both sides with the same
// columns in the same order and the same primary key.
func (p *myPair) checkShapes(ctx context.Context) error {
	var errs []error
	for _, t := range p.tables {
		b, err := p.blue.shape(ctx, t)
		if err != nil {
			return err
		}
		g, err := p.green.shape(ctx, t)
		if err != nil {
			return err
		}
		if !slices.Equal(b.Columns, g.Columns) {
			errs = append(errs, fmt.Errorf("table %s differs: %s has columns (%s), %s has (%s) — ROW events carry columns by position",
				t, p.blue.Name, strings.Join(b.Columns, ", "), p.green.Name, strings.Join(g.Columns, ", ")))
		}
		if len(b.Key) == 0 {
			errs = append(errs, fmt.Errorf("table %s on %s has no primary key: a replica finds rows to update and delete by it, and the switch compares rows by it; add one", t, p.blue.Name))
		} else if !slices.Equal(b.Key, g.Key) {
			errs = append(errs, fmt.Errorf("table %s differs: %s's primary key is (%s), %s's is (%s)",
				t, p.blue.Name, strings.Join(b.Key, ", "), p.green.Name, strings.Join(g.Key, ", ")))
		}
	}
	return errors.Join(errs...)
}

// binlogReady fails unless e can be a replication source: log_bin on,
// binlog_format ROW.
func (e *myEnd) binlogReady(ctx context.Context) (string, error) {
	var logBin int
	var format string
	if err := e.pool.QueryRowContext(ctx, "SELECT @@GLOBAL.log_bin, @@GLOBAL.binlog_format").Scan(&logBin, &format); err != nil {
		return "", fmt.Errorf("binlog settings of %s: %w", e.Name, err)
	}
	if logBin != 1 {
		return "", fmt.Errorf("%s writes no binlog (log_bin is off): start it with log_bin", e.Name)
	}
	if format != "ROW" {
		return "", fmt.Errorf("%s has binlog_format=%s: set binlog_format = ROW", e.Name, format)
	}
	return "log_bin on, binlog_format ROW", nil
}

// strictSafe fails when rep, replicating src, would stop under
// gtid_strict_mode: rep logs what it applies (log_slave_updates) in strict
// mode and has already logged, in one of src's domains, a sequence number
// at or past the next one src writes there — the out-of-order GTID
// strict mode refuses. tightrope never changes gtid_domain_id (the
// server's own setting): the fix is the operator's, and named.
func strictSafe(ctx context.Context, src, rep *myEnd) error {
	var strict, logUpdates int
	if err := rep.pool.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_strict_mode, @@GLOBAL.log_slave_updates").Scan(&strict, &logUpdates); err != nil {
		return fmt.Errorf("GTID settings of %s: %w", rep.Name, err)
	}
	if strict != 1 || logUpdates != 1 {
		return nil
	}
	srcPos, err := src.gtidVar(ctx, "gtid_binlog_pos")
	if err != nil {
		return err
	}
	repPos, err := rep.gtidVar(ctx, "gtid_binlog_pos")
	if err != nil {
		return err
	}
	s, err := parseGTIDPos(srcPos)
	if err != nil {
		return err
	}
	r, err := parseGTIDPos(repPos)
	if err != nil {
		return err
	}
	for d, g := range s {
		if have, ok := r[d]; ok && have.seq >= g.seq && have.server != g.server {
			return fmt.Errorf("%s runs gtid_strict_mode with log_slave_updates and has logged GTID %d-%d-%d in domain %d, past %s's %d-%d-%d: %s's next transactions would be out of order there and stop the replica; give the two servers different gtid_domain_id values, or turn log_slave_updates off on %s",
				rep.Name, d, have.server, have.seq, d, src.Name, d, g.server, g.seq, src.Name, rep.Name)
		}
	}
	return nil
}
