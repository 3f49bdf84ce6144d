package copy_test

// The first and last days of the calendar, 0001-01-01 and 9999-12-31, are
// real dates: copied in every date type and direction (0001-01-01
// 00:00:00 UTC is Go's zero time, once refused as "invalid_date").

import (
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/db"
)

var dateCols = []string{"id", "d", "ts", "tz"}

// createDateTable creates (id, d date, ts timestamp without zone, tz
// timestamp with zone where the engine has one that holds these years).
func createDateTable(t *testing.T, d db.DB, table string) {
	t.Helper()
	cols := "id INTEGER PRIMARY KEY, d DATE, ts DATETIME, tz TIMESTAMP"
	switch d.Driver() {
	case db.Postgres:
		cols = "id bigint PRIMARY KEY, d date, ts timestamp(6), tz timestamptz(6)"
	case db.MySQL: // TIMESTAMP holds 1970 to 2038 only
		cols = "id bigint PRIMARY KEY, d date, ts datetime(6), tz datetime(6)"
	}
	mustExec(t, d, "CREATE TABLE "+d.Quote(table)+" ("+cols+")")
}

func edgeDateRows() [][]any {
	first := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC) // Go's zero time
	last := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	lastTS := time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
	return [][]any{
		{int64(1), first, first, first},
		{int64(2), last, lastTS, lastTS},
		{int64(3), first, first.Add(time.Microsecond), first.Add(time.Second)},
		{int64(4), last, last, last},
	}
}

// dateArgs spells the rows as text for SQLite, which keeps what it is
// given, and for MySQL, whose driver sends Go's zero time as 0000-00-00.
func dateArgs(driver string, rows [][]any) [][]any {
	if driver == db.Postgres {
		return rows
	}
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = []any{r[0], r[1].(time.Time).Format("2006-01-02"),
			r[2].(time.Time).Format("2006-01-02 15:04:05.999999"), r[3].(time.Time).Format("2006-01-02 15:04:05.999999")}
	}
	return out
}

func TestEdgeDatesInEveryDirection(t *testing.T) {
	copiesExactlyEverywhere(t, exactCase{table: "dates", cols: dateCols, create: createDateTable,
		rows: edgeDateRows(), args: dateArgs, batch: 3})
}

// A MySQL table keyed by a DATETIME whose first key is 0001-01-01: the
// next page is read after that key, which must reach the server as that
// date (the driver would send Go's zero time as 0000-00-00 and read the
// first row again).
func TestMySQLKeysetAfterTheFirstDay(t *testing.T) {
	for _, to := range []string{db.Postgres, db.MySQL} {
		t.Run("mysql_to_"+to, func(t *testing.T) {
			src, dst := newDB(t, db.MySQL), newDB(t, to)
			const table = "bydate"
			typ := "datetime(6)"
			if to == db.Postgres {
				typ = "timestamp(6)"
			}
			mustExec(t, src, "CREATE TABLE "+src.Quote(table)+" (ts datetime(6) PRIMARY KEY, n int)")
			mustExec(t, dst, "CREATE TABLE "+dst.Quote(table)+" (ts "+typ+" PRIMARY KEY, n int)")
			insertRows(t, src, table, []string{"ts", "n"}, [][]any{
				{"0001-01-01 00:00:00", int64(1)}, {"0001-01-01 00:00:00.000001", int64(2)}, {"2024-02-29 12:00:00", int64(3)},
			})
			step := copyStep(1, table)
			sink := newSink()
			c := copyTable(t, src, dst, table, step, sink)
			if c.Read != 3 || c.Written != 3 {
				t.Errorf("read %d written %d, want 3 and 3", c.Read, c.Written)
			}
			checkCopied(t, src, dst, table, step, c, sink)
		})
	}
}
