package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSQLiteRawMatchesDriver reads values of every storage class, in
// columns of every kind of declared type (and in keys declared as times),
// through the raw connection and through the driver: the same values, the
// same Go types, page by page.
func TestSQLiteRawMatchesDriver(t *testing.T) {
	path := newSQLiteFile(t,
		`CREATE TABLE m (k DATETIME, id INTEGER, a, i INTEGER, r REAL, s TEXT, b BLOB, n NUMERIC, d DATE, ts TIMESTAMP,
			PRIMARY KEY (k, id)) WITHOUT ROWID`)
	d := openTestSQLite(t, path)
	vals := []any{nil, int64(0), int64(-9223372036854775808), int64(9223372036854775807), 0.0, -1.5, 1e308,
		"", "héllo 🎁", "2024-01-01 10:00:00", "2024-01-01", "12.50", []byte{}, []byte{0, 1, 0xff}, []byte("2024-01-01"),
		"a\x00b"}
	n := 0
	for _, v := range vals {
		for _, k := range []any{"2024-01-01", "2024-01-01 00:00:00+00:00", int64(5), 2.5, "x"} {
			n++
			sqliteExec(t, d, fmt.Sprintf(`INSERT INTO m VALUES (%s, %d, %s, %s, %s, %s, %s, %s, %s, %s)`,
				lit(k), n, lit(v), lit(v), lit(v), lit(v), lit(v), lit(v), lit(v), lit(v)))
		}
	}
	tb := mustTable(t, d, "m")
	cols := colNames(tb)
	ctx := testCtx(t)
	var after []any
	for pages := 0; ; pages++ {
		q, args := selectAfter(d.Quote, questionMark, tb, cols, after, 7)
		raw, err := d.readRaw(ctx, tb, cols, q, args, 7)
		if err != nil {
			t.Fatal(err)
		}
		drv, err := d.readDriver(ctx, tb, cols, q, args, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) != len(drv) {
			t.Fatalf("page %d: %d rows raw, %d through the driver", pages, len(raw), len(drv))
		}
		for r := range raw {
			for i := range cols {
				if !sameValue(raw[r][i], drv[r][i]) || fmt.Sprintf("%T", raw[r][i]) != fmt.Sprintf("%T", drv[r][i]) {
					t.Errorf("page %d row %d %s: raw %T %#v, driver %T %#v", pages, r, cols[i], raw[r][i], raw[r][i], drv[r][i], drv[r][i])
				}
			}
		}
		if len(raw) < 7 {
			if pages*7+len(raw) != n {
				t.Fatalf("read %d rows, want %d", pages*7+len(raw), n)
			}
			return
		}
		after = raw[len(raw)-1][:2]
	}
}

// lit renders a value as an SQLite literal of its storage class.
func lit(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int64:
		return fmt.Sprint(x)
	case float64:
		return fmt.Sprintf("%v", x)
	case string:
		if strings.ContainsRune(x, 0) {
			return fmt.Sprintf("CAST(x'%x' AS TEXT)", x)
		}
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case []byte:
		return fmt.Sprintf("x'%x'", x)
	}
	panic(v)
}

// TestSQLiteReadEndsWithContext: a read waiting for a lock ends when its
// context does, not when the busy timeout runs out.
func TestSQLiteReadEndsWithContext(t *testing.T) {
	path := newSQLiteFile(t, `CREATE TABLE w (id INTEGER PRIMARY KEY, v TEXT)`, `INSERT INTO w VALUES (1, 'a')`)
	d := openTestSQLite(t, path)
	tb := mustTable(t, d, "w")
	locker, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	conn, err := locker.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK") //nolint:errcheck
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = d.ReadBatch(ctx, tb, colNames(tb), nil, 10)
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("read under an exclusive lock: %v after %v, want an error within the context's 200ms", err, time.Since(start))
	}
	conn.ExecContext(context.Background(), "ROLLBACK") //nolint:errcheck
	if rows, err := d.ReadBatch(context.Background(), tb, colNames(tb), nil, 10); err != nil || len(rows) != 1 {
		t.Fatalf("read after the lock: %v, %v", rows, err)
	}
	// The waits for a lock add up to the busy timeout, then give up.
	start = time.Now()
	if !busyWait(context.Background(), 0) || busyWait(context.Background(), 1000) || time.Since(start) > time.Second {
		t.Errorf("busyWait: the first retry waits, the thousandth gives up at once (took %v)", time.Since(start))
	}
}
