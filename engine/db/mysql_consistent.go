package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// MySQLSnapshot is one MySQL/MariaDB connection holding a transaction
// started WITH CONSISTENT SNAPSHOT: every read through it sees the
// database as of one instant, the MySQL counterpart of a PostgreSQL
// exported snapshot. On MariaDB the binlog coordinates of that instant
// (status binlog_snapshot_file/binlog_snapshot_position) are read in the
// same transaction, so a change stream can start exactly where the copy's
// reads stop seeing changes.
//
// The snapshot is one connection: readers of it (Reader, possibly shared by
// a copy's parallel workers) take turns, one statement at a time. Release
// ends it.
type MySQLSnapshot struct {
	// BinlogFile and BinlogPos are the binlog coordinates of the snapshot
	// (empty and 0 when the server writes no binlog).
	BinlogFile string
	BinlogPos  int64

	mu   sync.Mutex
	conn *sql.Conn
	base *myDB
}

// BeginMySQLSnapshot opens the snapshot on a connection of d (a MySQL
// handle from Open). The session reads in UTC (like every read of the
// adapter) at REPEATABLE READ, read only.
func BeginMySQLSnapshot(ctx context.Context, d DB) (*MySQLSnapshot, error) {
	var m *myDB
	switch x := d.(type) {
	case *myDB:
		m = x
	case *mySnapDB:
		m = x.myDB
	default:
		return nil, fmt.Errorf("mysql snapshot: %s is not a MySQL connection", d.Driver())
	}
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("mysql snapshot: %w", err)
	}
	s := &MySQLSnapshot{conn: conn, base: m}
	for _, q := range []string{
		"SET time_zone = '+00:00'",
		"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
		"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			discardConn(conn)
			return nil, fmt.Errorf("mysql snapshot: %s: %w", q, err)
		}
	}
	rows, err := conn.QueryContext(ctx, "SHOW SESSION STATUS WHERE Variable_name IN ('binlog_snapshot_file', 'binlog_snapshot_position')")
	if err != nil {
		discardConn(conn)
		return nil, fmt.Errorf("mysql snapshot: read the binlog coordinates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, v string
		if err := rows.Scan(&name, &v); err != nil {
			discardConn(conn)
			return nil, fmt.Errorf("mysql snapshot: read the binlog coordinates: %w", err)
		}
		switch strings.ToLower(name) {
		case "binlog_snapshot_file":
			s.BinlogFile = v
		case "binlog_snapshot_position":
			fmt.Sscan(v, &s.BinlogPos)
		}
	}
	if err := rows.Err(); err != nil {
		discardConn(conn)
		return nil, fmt.Errorf("mysql snapshot: read the binlog coordinates: %w", err)
	}
	return s, nil
}

// QueryRow runs one query inside the snapshot's transaction (its turn
// taken like a reader's) and scans its single row into dest.
func (s *MySQLSnapshot) QueryRow(ctx context.Context, dest []any, q string, args ...any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return errors.New("mysql snapshot: released")
	}
	return s.conn.QueryRowContext(ctx, q, args...).Scan(dest...)
}

// Release ends the snapshot's transaction and returns its connection.
func (s *MySQLSnapshot) Release() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	// The session's settings are the snapshot's: the connection is not
	// returned to the pool.
	_, err := s.conn.ExecContext(context.Background(), "ROLLBACK")
	discardConn(s.conn)
	s.conn = nil
	return err
}

// Reader is d (the handle the snapshot was begun on, or another handle of
// the same database) with its reads — ReadBatch and Count — going through
// the snapshot; catalog reads and writes go to d as before. Close on the
// reader closes nothing: the snapshot ends with Release, d with its owner.
func (s *MySQLSnapshot) Reader(d DB) DB {
	return &mySnapshotReader{DB: d, snap: s}
}

// mySnapshotReader reads through a MySQLSnapshot.
type mySnapshotReader struct {
	DB
	snap *MySQLSnapshot
}

// ReadBatch reads the next rows in key order as of the snapshot, with the
// adapter's value mapping (see myDB.ReadBatch).
func (r *mySnapshotReader) ReadBatch(ctx context.Context, t Table, cols []string, after []any, limit int) ([][]any, error) {
	return r.snap.base.readBatch(ctx, r.snap.readRows, t, cols, after, limit)
}

// Count counts the rows as of the snapshot.
func (r *mySnapshotReader) Count(ctx context.Context, table string) (int64, error) {
	var n int64
	if err := r.snap.QueryRow(ctx, []any{&n}, "SELECT COUNT(*) FROM "+r.snap.base.quoteTable(table)); err != nil {
		return 0, fmt.Errorf("mysql: count %s in the snapshot: %w", table, err)
	}
	return n, nil
}

// Close leaves the snapshot and the wrapped handle open.
func (r *mySnapshotReader) Close() error { return nil }

// readRows is myDB.readRows on the snapshot's connection: a prepared
// statement (binary protocol) inside the snapshot's transaction. The
// snapshot is held by this reader until done.
func (s *MySQLSnapshot) readRows(ctx context.Context, q string, args []any) (*sql.Rows, func(), error) {
	s.mu.Lock()
	if s.conn == nil {
		s.mu.Unlock()
		return nil, nil, errors.New("mysql snapshot: released")
	}
	st, err := s.conn.PrepareContext(ctx, q)
	if err != nil {
		s.mu.Unlock()
		return nil, nil, err
	}
	done := func() {
		st.Close()
		s.mu.Unlock()
	}
	for i, a := range args {
		args[i] = myArg(a)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		done()
		return nil, nil, err
	}
	return rows, done, nil
}
