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

// TestMySQLLoadsRestoreTheSession: both loads (LOAD DATA and INSERT) set
// the strict sql_mode and UTC again on the pooled session a sql step may
// have changed: a TIMESTAMP lands as the instant it is, and a zero date is
// refused.
func TestMySQLLoadsRestoreTheSession(t *testing.T) {
	d := mysqlTestDB(t)
	ctx := testCtx(t)
	at := time.Date(2024, 2, 29, 12, 0, 0, 500000000, time.UTC)
	for _, insert := range []bool{false, true} {
		name := "lax_infile"
		if insert {
			name = "lax_insert"
		}
		mustExec(t, d, "CREATE TABLE "+name+" (id INT PRIMARY KEY, at TIMESTAMP(6) NULL, d DATE NULL)")
		my := mysqlTwin(t, d, insert)
		my.db.SetMaxOpenConns(1) // the lax session goes back to the pool, and the load must get it
		lax := func() {
			if _, err := my.db.ExecContext(ctx, "SET SESSION sql_mode = '', time_zone = '+05:30'"); err != nil {
				t.Fatal(err)
			}
		}
		tb := mustTable(t, d, name)
		cols := []string{"id", "at", "d"}
		lax()
		if err := my.LoadBatch(ctx, tb, cols, [][]any{{int64(1), at, nil}}, Marker{CopyID: name}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if LoadsByInfile(my) == insert {
			t.Fatalf("%s: loads by infile %v", name, LoadsByInfile(my))
		}
		got := readAll(t, d, tb, cols, 10)
		if want := [][]any{{int64(1), at, nil}}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read %v, want %v", name, got, want)
		}
		lax()
		if err := my.LoadBatch(ctx, tb, cols, [][]any{{int64(2), nil, "0000-00-00"}}, Marker{CopyID: name}); err == nil {
			t.Errorf("%s: a zero date was written on a lax session; the load should restore the strict sql_mode", name)
		}
	}
}
