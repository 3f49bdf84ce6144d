package db

import (
	"reflect"
	"testing"
	"time"
)

// TestMySQLReadsTimestampsInUTCWhateverTheSession: a TIMESTAMP is printed
// in the session's time zone; a sql step that changed it on a pooled
// connection must not shift what a later read of that connection returns.
func TestMySQLReadsTimestampsInUTCWhateverTheSession(t *testing.T) {
	d := mysqlTestDB(t)
	ctx := testCtx(t)
	mustExec(t, d, "CREATE TABLE tz (id INT PRIMARY KEY, at TIMESTAMP(6) NULL)",
		"INSERT INTO tz VALUES (1, '2024-02-29 12:00:00.5')")
	d.SQL().SetMaxOpenConns(1) // the changed session goes back to the pool, and the read must get it
	if _, err := d.SQL().ExecContext(ctx, "SET time_zone = '+05:30'"); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, d, mustTable(t, d, "tz"), []string{"id", "at"}, 10)
	want := [][]any{{int64(1), time.Date(2024, 2, 29, 12, 0, 0, 500000000, time.UTC)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read %v, want %v", got, want)
	}
}
