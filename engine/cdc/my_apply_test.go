package cdc

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// myTargetDB creates a database on the shared MariaDB (TIGHTROPE_TEST_MYSQL_DSN)
// and returns its DSN and a pool; it is dropped when the test ends.
func myTargetDB(t *testing.T) (string, *sql.DB) {
	t.Helper()
	dsn := dbtest.ServerDSN(t, dbtest.MySQLEnv, "root@tcp(127.0.0.1:3306)/test")
	admin, err := sql.Open("mysql", dsn)
	if err == nil {
		err = admin.Ping()
	}
	if err != nil {
		dbtest.ServerDown(t, dbtest.MySQLEnv, err)
	}
	t.Cleanup(func() { admin.Close() })
	name := dbtest.UniqueName(t, "dst")
	if _, err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP DATABASE `" + name + "`") })
	tdsn := dsn[:strings.LastIndex(dsn, "/")+1] + name
	return tdsn, myOpen(t, tdsn)
}

func sp(s string) *string { return &s }

// pgShaped is a journal holding a stream captured from PostgreSQL: its
// values are PostgreSQL's text forms.
func pgShaped(t *testing.T, txs ...[]journal.CDCChange) (*journal.Store, string) {
	t.Helper()
	j, err := journal.Create(filepath.Join(t.TempDir(), "run.journal"), journal.RunStartedPayload{Operator: "test"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	const stream = "s_pg"
	ctx := context.Background()
	if _, err := j.Append(ctx, "cdc", "start", journal.CDCStreamStarted, journal.CDCStreamPayload{Stream: stream, Engine: "postgres", Tables: []string{"acct"}, SystemID: "1", Start: "0/10"}); err != nil {
		t.Fatal(err)
	}
	for i, tx := range txs {
		if _, err := j.Append(ctx, "cdc", "capture", journal.CDCChanges, journal.CDCChangesPayload{Stream: stream, Position: "0/" + string(rune('a'+i)), At: time.Now(), Changes: tx}); err != nil {
			t.Fatal(err)
		}
	}
	return j, stream
}

const acctDDL = "CREATE TABLE acct (id int PRIMARY KEY, name varchar(40) NOT NULL, active tinyint(1), amount decimal(10,2), ratio double, small float, seen datetime(3), blob_ varbinary(16), UNIQUE KEY (name)) ENGINE=InnoDB"

var acctCols = []string{"id", "name", "active", "amount", "ratio", "small", "seen", "blob_"}

func acctRow(id, name, active, amount, ratio, small, seen, blob string) []*string {
	out := []*string{}
	for _, v := range []string{id, name, active, amount, ratio, small, seen, blob} {
		if v == "NULL" {
			out = append(out, nil)
		} else {
			out = append(out, sp(v))
		}
	}
	return out
}

func acctRows(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT CONCAT_WS('|', id, name, COALESCE(active, 'NULL'), amount, ratio, small, seen, HEX(blob_)) FROM acct ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestMyApplyPostgresShaped: changes in PostgreSQL's text forms (t/f,
// timestamptz with an offset, bytea hex) reach a MariaDB target converted;
// inserts, updates (one moving its key) and deletes apply by key; a
// transaction applied again leaves the same rows.
func TestMyApplyPostgresShaped(t *testing.T) {
	dsn, db := myTargetDB(t)
	if _, err := db.Exec(acctDDL); err != nil {
		t.Fatal(err)
	}
	ins := func(r []*string) journal.CDCChange {
		return journal.CDCChange{Op: "insert", Table: "acct", Columns: acctCols, New: r, KeyColumns: []string{"id"}, Key: r[:1]}
	}
	upd := func(old string, r []*string) journal.CDCChange {
		return journal.CDCChange{Op: "update", Table: "acct", Columns: acctCols, New: r, KeyColumns: []string{"id"}, Key: []*string{sp(old)}}
	}
	j, stream := pgShaped(t,
		[]journal.CDCChange{
			ins(acctRow("1", "ann", "t", "10.50", "0.1", "0.25", "2026-03-01 10:00:00.123+02", `\x00ff10`)),
			ins(acctRow("2", "bob", "f", "-3", "1e+20", "3.5", "2026-03-01 08:00:00-05:30", "NULL")),
			ins(acctRow("3", "cy", "NULL", "0.00", "2.5", "1", "2026-03-01 00:00:00", `\x`)),
		},
		[]journal.CDCChange{
			upd("1", acctRow("1", "ann2", "f", "11.00", "0.1", "0.25", "2026-03-01 10:00:00.123+02", `\x00ff10`)),
			upd("2", acctRow("20", "bob", "t", "-3.10", "1e+20", "3.5", "2026-03-01 08:00:00-05:30", "NULL")),
			{Op: "delete", Table: "acct", KeyColumns: []string{"id"}, Key: []*string{sp("3")}},
		},
	)
	a := &MyApplier{DSN: dsn, Stream: stream, JournalPath: j.Path()}
	ctx := context.Background()
	n, err := a.Apply(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Apply = %d, %v; want 2 transactions", n, err)
	}
	want := []string{
		"1|ann2|0|11.00|0.1|0.25|2026-03-01 08:00:00.123|00FF10",
		"20|bob|1|-3.10|1e20|3.5|2026-03-01 13:30:00.000", // CONCAT_WS leaves out the NULL
	}
	if got := acctRows(t, db); !slices.Equal(got, want) {
		t.Fatalf("target rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	at, err := a.Position(ctx)
	if err != nil || at.Position != "0/b" {
		t.Fatalf("Position = %+v, %v; want the second transaction's", at, err)
	}
	if n, err := a.Apply(ctx); err != nil || n != 0 {
		t.Fatalf("second Apply = %d, %v; want nothing to do", n, err)
	}
	// The second transaction again, as if its commit had not been seen:
	// the same rows.
	if _, err := db.Exec("UPDATE "+PositionTable+" SET journal_seq = ?, position = '0/a'", at.Seq-1); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Apply(ctx); err != nil || n != 1 {
		t.Fatalf("Apply again = %d, %v", n, err)
	}
	if got := acctRows(t, db); !slices.Equal(got, want) {
		t.Fatalf("applied twice, target rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// From the start: bob's insert under key 2 meets bob under key 20 on the
	// unique name — an error, never an update of another key's row.
	if _, err := db.Exec("DELETE FROM " + PositionTable); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx); err == nil || !strings.Contains(err.Error(), "Duplicate entry 'bob'") {
		t.Fatalf("Apply from the start = %v, want the duplicate on the unique name", err)
	}
	if got := acctRows(t, db); !slices.Equal(got, want) {
		t.Fatalf("after the refused replay, target rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestMyApplyRefusesAltered: a value the target would store altered is
// refused with its whole source transaction — nothing of it applied, the
// position unchanged — naming the column and the reason.
func TestMyApplyRefusesAltered(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ col, val, want string }{
		{"amount", "1.235", "3 decimal places, the column keeps 2"},
		{"id", "12.4", "is not an integer"},
		{"seen", "2026-03-01 10:00:00.1234", "4 fractional second digits"},
		{"small", "0.123456789012", "is not a 32-bit float"},
		{"ratio", "0.12345678901234567890123", "is not a 64-bit float"},
		{"name", strings.Repeat("x", 41), "Data too long"},
		{"ratio", "NaN", "is not a 64-bit float"},
	} {
		t.Run(c.col, func(t *testing.T) {
			dsn, db := myTargetDB(t)
			if _, err := db.Exec(acctDDL); err != nil {
				t.Fatal(err)
			}
			good := acctRow("1", "ok", "t", "1", "1", "1", "2026-03-01 00:00:00", "NULL")
			bad := acctRow("2", "bad", "t", "1", "1", "1", "2026-03-01 00:00:00", "NULL")
			bad[indexOf(acctCols, c.col)] = sp(c.val)
			j, stream := pgShaped(t,
				[]journal.CDCChange{{Op: "insert", Table: "acct", Columns: acctCols, New: good, KeyColumns: []string{"id"}, Key: good[:1]}},
				[]journal.CDCChange{
					{Op: "insert", Table: "acct", Columns: acctCols, New: acctRow("3", "also", "t", "1", "1", "1", "2026-03-01 00:00:00", "NULL"), KeyColumns: []string{"id"}, Key: []*string{sp("3")}},
					{Op: "insert", Table: "acct", Columns: acctCols, New: bad, KeyColumns: []string{"id"}, Key: bad[:1]},
				})
			a := &MyApplier{DSN: dsn, Stream: stream, JournalPath: j.Path()}
			n, err := a.Apply(ctx)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "column "+c.col) && c.col != "name" {
				t.Fatalf("Apply = %d, %v; want a refusal saying %q", n, err, c.want)
			}
			if n != 1 {
				t.Errorf("applied %d transactions before the refusal, want 1", n)
			}
			if got := acctRows(t, db); len(got) != 1 {
				t.Errorf("target rows %v: want only the first transaction's", got)
			}
			if at, _ := a.Position(ctx); at.Position != "0/a" {
				t.Errorf("position %+v, want the first transaction's", at)
			}
		})
	}
}

// TestMyApplyRefusesServerWarning: a value the applier does not check
// itself but the server stores altered with only a note (a time of day
// into a DATE column) fails its transaction with the server's message.
func TestMyApplyRefusesServerWarning(t *testing.T) {
	dsn, db := myTargetDB(t)
	if _, err := db.Exec("CREATE TABLE acct (id int PRIMARY KEY, day date)"); err != nil {
		t.Fatal(err)
	}
	j, stream := pgShaped(t,
		[]journal.CDCChange{{Op: "insert", Table: "acct", Columns: []string{"id", "day"}, New: []*string{sp("1"), sp("2026-03-01")}, KeyColumns: []string{"id"}, Key: []*string{sp("1")}}},
		[]journal.CDCChange{{Op: "insert", Table: "acct", Columns: []string{"id", "day"}, New: []*string{sp("2"), sp("2026-03-01 10:00:00")}, KeyColumns: []string{"id"}, Key: []*string{sp("2")}}},
	)
	n, err := (&MyApplier{DSN: dsn, Stream: stream, JournalPath: j.Path()}).Apply(context.Background())
	if n != 1 || err == nil || !strings.Contains(err.Error(), "Note 1265: Data truncated for column 'day'") {
		t.Fatalf("Apply = %d, %v; want the first applied and the second refused with the server's note", n, err)
	}
	var count int
	if err := db.QueryRow("SELECT COUNT(*) FROM acct").Scan(&count); err != nil || count != 1 {
		t.Fatalf("target holds %d rows (%v), want 1", count, err)
	}
}

// TestMyApplyKeyReuseReplayed: a key moved (2 to 20) and a later insert
// reusing key 2, applied again from before the move, end as the source did.
func TestMyApplyKeyReuseReplayed(t *testing.T) {
	dsn, db := myTargetDB(t)
	if _, err := db.Exec(acctDDL); err != nil {
		t.Fatal(err)
	}
	row := func(id, name string) []*string {
		return acctRow(id, name, "t", "1", "1", "1", "2026-03-01 00:00:00", "NULL")
	}
	j, stream := pgShaped(t,
		[]journal.CDCChange{{Op: "insert", Table: "acct", Columns: acctCols, New: row("2", "bob"), KeyColumns: []string{"id"}, Key: []*string{sp("2")}}},
		[]journal.CDCChange{{Op: "update", Table: "acct", Columns: acctCols, New: row("20", "bob"), KeyColumns: []string{"id"}, Key: []*string{sp("2")}}},
		[]journal.CDCChange{{Op: "insert", Table: "acct", Columns: acctCols, New: row("2", "new"), KeyColumns: []string{"id"}, Key: []*string{sp("2")}}},
	)
	a := &MyApplier{DSN: dsn, Stream: stream, JournalPath: j.Path()}
	ctx := context.Background()
	if n, err := a.Apply(ctx); err != nil || n != 3 {
		t.Fatalf("Apply = %d, %v", n, err)
	}
	want := acctRows(t, db)
	if len(want) != 2 {
		t.Fatalf("rows %v, want 2 and 20", want)
	}
	at, _ := a.Position(ctx)
	if _, err := db.Exec("UPDATE "+PositionTable+" SET journal_seq = ?, position = '0/a'", at.Seq-2); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Apply(ctx); err != nil || n != 2 {
		t.Fatalf("Apply again = %d, %v", n, err)
	}
	if got := acctRows(t, db); !slices.Equal(got, want) {
		t.Fatalf("replayed: rows %v, want %v", got, want)
	}
}
