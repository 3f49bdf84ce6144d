package db

import (
	"context"
	"database/sql"
	"time"
)

// readRows runs a read through a prepared statement, so that its result
// comes in the binary protocol: there FLOAT arrives as the 4 bytes the
// server stores and DOUBLE as its 8, where the text protocol prints FLOAT
// with six significant digits (16777217 stored as 16777216 reads as
// 16777200) and would round it. Statements are cached beside the INSERTs;
// when the cache is full the statement is closed with the rows (done).
func (m *myDB) readRows(ctx context.Context, q string, args []any) (rows *sql.Rows, done func(), err error) {
	key := "read\x00" + q
	m.mu.Lock()
	s, ok := m.stmts[key]
	m.mu.Unlock()
	cached := ok
	if !ok {
		if s, err = m.db.PrepareContext(ctx, q); err != nil {
			return nil, nil, err
		}
		m.mu.Lock()
		if prev, ok := m.stmts[key]; ok { // prepared concurrently
			s.Close()
			s, cached = prev, true
		} else if len(m.stmts) < mysqlStmtCache {
			m.stmts[key] = s
			cached = true
		}
		m.mu.Unlock()
	}
	for i, a := range args {
		args[i] = myArg(a)
	}
	rows, err = s.QueryContext(ctx, args...)
	done = func() {
		if !cached {
			s.Close()
		}
	}
	if err != nil {
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
