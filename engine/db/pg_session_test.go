package db

import (
	"reflect"
	"testing"
)

// TestPostgresReadsIgnoreSQLSessionSettings: a sql step's SET on the
// handle's database/sql connections (here extra_float_digits 0, which
// prints floats with 15 digits) does not reach the sessions ReadBatch
// reads through.
func TestPostgresReadsIgnoreSQLSessionSettings(t *testing.T) {
	d := pgTestDB(t)
	mustExec(t, d, "CREATE TABLE fs (id int PRIMARY KEY, d float8[])",
		"INSERT INTO fs VALUES (1, ARRAY[0.1::float8 + 0.2::float8])")
	d.(*pgDB).pool.Reset() // every pooled session is new: the SET below lands on one the reads may use
	conn, err := d.SQL().Conn(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(testCtx(t), "SET extra_float_digits = 0"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	for range 4 { // more reads than the pool has sessions
		got := readAll(t, d, mustTable(t, d, "fs"), []string{"id", "d"}, 10)
		if want := [][]any{{int64(1), "{0.30000000000000004}"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("read %q, want %q", got, want)
		}
	}
}
