package db

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestSQLiteTimeColumnsMatchDriver reads time-declared columns holding
// every kind of value through ReadBatch (stored text, parsed here) and
// through the driver directly (its own parsing): the same values, except
// that a fraction finer than nanoseconds stays text (the driver drops its
// digits).
func TestSQLiteTimeColumnsMatchDriver(t *testing.T) {
	texts := []string{
		"2024-02-29", "2023-02-29", "0000-01-01", "9999-12-31 23:59:59.999999999", "2024-01-01 10:00:00",
		"2024-01-01T10:00:00", "2024-01-01 10:00:00.5", "2024-01-01T10:00:00.123456789", "2024-01-01 10:00",
		"2024-01-01T10:00", "2024-01-01 10:00:00Z", "2024-01-01T10:00:00.5Z", "2024-01-01 10:00:00+02:00",
		"2024-01-01T10:00:00.25-07:30", "2024-01-01 10:00:00.1234567891", "2024-01-01 10:00:00,5",
		"2026-01-02 03:04:05.5 +0000 UTC", "2026-01-02 03:04:05.5 +0100 CET m=+0.000000001", "2024-01-01 24:00:00",
		"2024-13-01", "2024-04-31", "soon", "", "2024-1-1", " 2024-01-01", "2024-01-01 ", "2024-01-01 10:00:00.",
		"2024-01-01Z", "2024-01-01 10:00:60", "20240101",
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		s := fmt.Sprintf("%04d-%02d-%02d", r.IntN(10000), r.IntN(14), r.IntN(33))
		if r.IntN(4) > 0 {
			s += fmt.Sprintf("%c%02d:%02d:%02d", " T"[r.IntN(2)], r.IntN(25), r.IntN(61), r.IntN(61))
			if n := r.IntN(11); n > 0 {
				s += fmt.Sprintf(".%0*d", n, r.Int64N(1<<62)%int64(pow10(min(n, 18))))
			}
		}
		texts = append(texts, s)
	}
	path := newSQLiteFile(t, `CREATE TABLE tv (id INTEGER PRIMARY KEY, d DATE, dt DATETIME, ts TIMESTAMP, n TEXT)`)
	d := openTestSQLite(t, path)
	tx, err := d.SQL().Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range texts {
		if _, err := tx.Exec(`INSERT INTO tv VALUES (?, ?, ?, ?, ?)`, i+1, s, s, s, s); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range []any{int64(1700000000), 1.5, []byte("2024-01-01"), nil} {
		if _, err := tx.Exec(`INSERT INTO tv VALUES (?, ?, ?, ?, 'x')`, len(texts)+i+1, v, v, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tb := mustTable(t, d, "tv")
	cols := colNames(tb)
	got := readAll(t, d, tb, cols, 500)
	rows, err := d.SQL().Query(`SELECT id, d, dt, ts, n FROM tv ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for r := 0; rows.Next(); r++ {
		want := make([]any, 5)
		ptrs := []any{&want[0], &want[1], &want[2], &want[3], &want[4]}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if r < len(texts) && i >= 1 && i <= 3 && finerThanNanos(texts[r]) {
				want[i] = texts[r] // kept whole, never truncated
			}
			if !sameValue(got[r][i], want[i]) {
				t.Errorf("row %d %s: ReadBatch %T %#v, driver %T %#v", r+1, cols[i], got[r][i], got[r][i], want[i], want[i])
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// sameValue compares values, times by instant, wall clock and zone.
func sameValue(a, b any) bool {
	ta, ok1 := a.(time.Time)
	tb, ok2 := b.(time.Time)
	if ok1 || ok2 {
		return ok1 && ok2 && ta.Equal(tb) && ta.String() == tb.String()
	}
	return reflect.DeepEqual(a, b)
}
