package db

import (
	"context"
	"database/sql"
	"time"
)

// readRows runs a read through a statement prepared on one connection, so
// that its result comes in the binary protocol: there FLOAT arrives as the
// 4 bytes the server stores and DOUBLE as its 8, where the text protocol
// prints FLOAT with six significant digits (16777217 stored as 16777216
// reads as 16777200) and would round it. The connection's time_zone is set
// to UTC first: a TIMESTAMP is printed in the session's zone, and a sql
// step may have changed it on a pooled connection. done closes the
// statement and releases the connection.
func (m *myDB) readRows(ctx context.Context, q string, args []any) (rows *sql.Rows, done func(), err error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, err := conn.ExecContext(ctx, "SET time_zone = '+00:00'"); err != nil {
		conn.Close()
		return nil, nil, err
	}
	s, err := conn.PrepareContext(ctx, q)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	done = func() {
		s.Close()
		conn.Close()
	}
	for i, a := range args {
		args[i] = myArg(a)
	}
	if rows, err = s.QueryContext(ctx, args...); err != nil {
		done()
		return nil, nil, err
	}
	return rows, done, nil
}

// myArg is a parameter as the driver must send it: the driver sends Go's
// zero time, 0001-01-01 00:00:00 UTC, as MySQL's zero date 0000-00-00,
// so that real date goes as its text.
func myArg(v any) any {
	if tm, ok := v.(time.Time); ok && tm.IsZero() {
		return "0001-01-01 00:00:00"
	}
	return v
}
