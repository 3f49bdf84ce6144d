package db

import (
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// TestPostgresFloatTextIsExact: floats inside values read as text
// (arrays here) keep every digit even when the session was configured to
// print fewer (extra_float_digits=0, the default before PostgreSQL 12,
// prints 15 significant digits and 0.30000000000000004 as 0.3), and dates
// inside them print in ISO form whatever the configured DateStyle.
func TestPostgresFloatTextIsExact(t *testing.T) {
	d := pgTestDB(t)
	mustExec(t, d, "CREATE TABLE fa (id int PRIMARY KEY, d float8[], r float4[], days date[], iv interval)",
		"INSERT INTO fa VALUES (1, ARRAY[0.1::float8 + 0.2::float8, 1e-320], ARRAY[16777217::float4, 3.14159274::float4], "+
			"ARRAY['2024-02-01'::date], '1 day 02:00:00')")
	var schema string
	if err := d.SQL().QueryRow("SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(serverDSN(t, pgDSNEnv, "postgres://postgres@127.0.0.1:5432/test"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.ConnConfig.RuntimeParams["extra_float_digits"] = "0"
	cfg.ConnConfig.RuntimeParams["DateStyle"] = "SQL, DMY"
	cfg.ConnConfig.RuntimeParams["IntervalStyle"] = "sql_standard"
	lossy, err := openPostgresConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer lossy.Close()
	got := readAll(t, lossy, mustTable(t, lossy, "fa"), []string{"id", "d", "r", "days", "iv"}, 10)
	want := [][]any{{int64(1), "{0.30000000000000004,1e-320}", "{1.6777216e+07,3.1415927}", "{2024-02-01}", "1 day 02:00:00"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read %q, want %q", got, want)
	}
}
