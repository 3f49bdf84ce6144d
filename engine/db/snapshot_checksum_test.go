package db

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// checkServerChecksum proves a server-side checksum on table: a copy of
// it, filled in the reverse order, has the same checksum; every change in
// changes (an SQL statement, %[1]s the quoted copy's name), made to a
// fresh copy, changes the checksum.
func checkServerChecksum(t *testing.T, d DB, table, kind, like string, changes []string) {
	t.Helper()
	ctx := testCtx(t)
	sc := d.(SnapshotChecksummer)
	sum := func(name string) (int64, string) {
		t.Helper()
		n, s, err := sc.SnapshotChecksum(ctx, name)
		if err != nil {
			t.Fatalf("checksum %s: %v", name, err)
		}
		if !strings.HasPrefix(s, kind+":") {
			t.Fatalf("checksum %q is not of kind %s", s, kind)
		}
		return n, s
	}
	copyOf := func(name string) string {
		mustExec(t, d, fmt.Sprintf(like, d.Quote(name), d.Quote(table)),
			"INSERT INTO "+d.Quote(name)+" SELECT * FROM "+d.Quote(table)+" ORDER BY 1 DESC")
		return name
	}
	rows, base := sum(table)
	if n, s := sum(copyOf(table + "_copy")); n != rows || s != base {
		t.Fatalf("the same rows in another order: %d rows %s, want %d rows %s", n, s, rows, base)
	}
	for i, change := range changes {
		name := copyOf(fmt.Sprintf("%s_changed%d", table, i))
		mustExec(t, d, fmt.Sprintf(change, d.Quote(name)))
		if n, s := sum(name); n == rows && s == base {
			t.Errorf("%s: the checksum did not change", change)
		}
	}
	if _, _, err := sc.SnapshotChecksum(ctx, "no_such_table"); err == nil {
		t.Error("the checksum of a missing table")
	}
}

func TestPostgresSnapshotChecksum(t *testing.T) {
	d := pgTestDB(t)
	mustExec(t, d, `CREATE TYPE mood AS ENUM ('sad', 'ok')`, `CREATE DOMAIN posint AS integer CHECK (VALUE > 0)`,
		`CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`,
		`CREATE TABLE kinds (id bigint PRIMARY KEY, i int, n numeric(10,2), f float8, r real, b bool, t text, v varchar(10),
			c char(5), ci text COLLATE nocase, by bytea, d date, ts timestamp, tz timestamptz, tm time, iv interval, u uuid,
			jb jsonb, j json, arr int[], tarr text[], e mood, dom posint, m money, p point, bits bit(4), ir int4range)`,
		`INSERT INTO kinds VALUES
			(1, 1, 1.10, 0.1, 0.5, true, 'a,b', 'x', 'ab', 'Abc', '\x00ff', '2024-02-29', '2024-02-29 13:45:10.5',
			 '2024-02-29 13:45:10.5+02', '13:45:10', '1 day 2 hours', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
			 '{"k": [1, 2]}', '{"k":  1}', '{1,2}', '{"a","b"}', 'ok', 5, 12.34, '(1.5,2)', B'1010', '[1,5)'),
			(2, 2, 2, 1e300, -0.25, false, 'c', '', '', 'x', '', '0001-01-01', '9999-12-31 23:59:59.999999',
			 '1970-01-01 00:00:00+00', '00:00:00', '-3 mins', NULL, 'null', '[]', '{}', '{NULL}', 'sad', 1, 0, '(0,0)', B'0000', 'empty'),
			(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
			 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
		`CREATE TABLE nokey (a int, b text)`, `INSERT INTO nokey VALUES (1, 'x'), (2, 'y'), (1, 'x'), (NULL, NULL)`,
		`CREATE TABLE textkey (k text PRIMARY KEY, v int)`, `INSERT INTO textkey VALUES ('a', 1), ('b', 2), ('c', NULL)`)
	like := "CREATE TABLE %s (LIKE %s INCLUDING ALL)"
	var changes []string
	for _, set := range []string{"i = 3", "n = 1.11", "f = 0.1000000000000001", "r = 0.50001", "b = NOT b", "t = 'a,c'",
		"v = 'y'", "c = 'ac'", "ci = 'abc'", `by = '\x00fe'`, "d = '2024-03-01'", "ts = '2024-02-29 13:45:10.500001'",
		"tz = '2024-02-29 13:45:10.5+03'", "tm = '13:45:11'", "iv = '1 day 3 hours'", "u = 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
		`jb = '{"k": [2, 1]}'`, `j = '{"k": 1}'`, "arr = '{2,1}'", `tarr = '{"a","c"}'`, "e = 'sad'", "dom = 6", "m = 12.35",
		"p = '(1.5,2.5)'", "bits = B'1011'", "ir = '[1,6)'", "t = NULL", "v = NULL", "ci = NULL"} {
		changes = append(changes, "UPDATE %[1]s SET "+set+" WHERE id = 1")
	}
	changes = append(changes, "UPDATE %[1]s SET t = '' WHERE id = 3", "UPDATE %[1]s SET t = CASE id WHEN 1 THEN 'c' WHEN 2 THEN 'a,b' END WHERE id < 3",
		"DELETE FROM %[1]s WHERE id = 3", "INSERT INTO %[1]s (id) VALUES (4)")
	checkServerChecksum(t, d, "kinds", ChecksumPostgres, like, changes)
	checkServerChecksum(t, d, "nokey", ChecksumPostgres, like, []string{"UPDATE %[1]s SET b = 'y' WHERE b = 'x' AND a = 1 AND ctid = (SELECT min(ctid) FROM %[1]s WHERE a = 1)",
		"UPDATE %[1]s SET a = 3 - a WHERE a IS NOT NULL", "DELETE FROM %[1]s WHERE a IS NULL", "INSERT INTO %[1]s VALUES (1, 'x')"})

	checkServerChecksum(t, d, "textkey", ChecksumPostgres, like, []string{"UPDATE %[1]s SET v = 3 - v WHERE v IS NOT NULL",
		"UPDATE %[1]s SET k = 'd' WHERE k = 'c'", "UPDATE %[1]s SET v = NULL WHERE k = 'a'"})

	// The session's settings do not matter (values hashed as their text
	// render under fixed ones).
	p := d.(*pgDB)
	_, want, err := p.SnapshotChecksum(testCtx(t), "kinds")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := p.pool.BeginTx(testCtx(t), pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(testCtx(t), `SET LOCAL TimeZone = 'Asia/Tokyo'; SET LOCAL DateStyle = 'German';
		SET LOCAL extra_float_digits = -3; SET LOCAL IntervalStyle = 'sql_standard'`); err != nil {
		t.Fatal(err)
	}
	if _, got, err := (&pgTxView{p: p, tx: tx}).SnapshotChecksum(testCtx(t), "kinds"); err != nil || got != want {
		t.Errorf("under other session settings: %s, %v; want %s", got, err, want)
	}
}

func TestMySQLSnapshotChecksum(t *testing.T) {
	d := mysqlTestDB(t)
	mustExec(t, d, `CREATE TABLE kinds (id bigint PRIMARY KEY, i int, n decimal(10,2), f float, g double, bits bit(4),
			dt datetime(6), ts timestamp(3) NULL, tm time, y year, s varchar(20), c char(5), bl blob, e enum('a','b'),
			st set('x','y'), tx text, j json) CHARACTER SET utf8mb4`,
		`INSERT INTO kinds VALUES
			(1, 1, 1.10, 1.2345678, 0.1, b'1010', '2024-02-29 13:45:10.5', '2024-02-29 13:45:10.5', '-838:59:59', 2024,
			 'a,b', 'ab', x'00ff27', 'a', 'x,y', 'N', '{"k": [1, 2]}'),
			(2, 2, 2, 0, 1e300, b'0', '1000-01-01', '1970-01-01 00:00:01', '00:00:00', 1901, '', '', '', 'b', '', 'NULL', '[]'),
			(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
		`CREATE TABLE nokey (a int, b text)`, `INSERT INTO nokey VALUES (1, 'x'), (2, 'y'), (1, 'x'), (NULL, NULL)`)
	like := "CREATE TABLE %s LIKE %s"
	var changes []string
	for _, set := range []string{"i = 3", "n = 1.11", "f = 1.2345679", "g = 0.1000000000000001", "bits = b'1011'",
		"dt = '2024-02-29 13:45:10.500001'", "ts = '2024-02-29 13:45:10.501'", "tm = '-838:59:58'", "y = 2025",
		"s = 'a'", "c = 'ac'", "bl = x'00ff28'", "e = 'b'", "st = 'x'", "tx = 'n'", `j = '{"k": [2, 1]}'`,
		"s = NULL", "tx = NULL", "bl = NULL", "i = NULL", "ts = NULL"} {
		changes = append(changes, "UPDATE %[1]s SET "+set+" WHERE id = 1")
	}
	changes = append(changes, "UPDATE %[1]s SET s = '' WHERE id = 3", "UPDATE %[1]s SET s = 'N' WHERE id = 3",
		"UPDATE %[1]s SET s = 'NULL' WHERE id = 3", "UPDATE %[1]s SET s = 'a', c = 'b,ab' WHERE id = 1",
		"UPDATE %[1]s SET s = CASE id WHEN 1 THEN '' WHEN 2 THEN 'a,b' END WHERE id < 3",
		"DELETE FROM %[1]s WHERE id = 3", "INSERT INTO %[1]s (id) VALUES (4)")
	checkServerChecksum(t, d, "kinds", ChecksumMySQL, like, changes)
	checkServerChecksum(t, d, "nokey", ChecksumMySQL, like, []string{"UPDATE %[1]s SET b = 'y' WHERE b = 'x' LIMIT 1",
		"UPDATE %[1]s SET a = 3 - a WHERE a IS NOT NULL", "DELETE FROM %[1]s WHERE a IS NULL", "INSERT INTO %[1]s VALUES (1, 'x')"})

	// The session's time zone does not matter (TIMESTAMP renders as Unix
	// time).
	m := d.(*myDB)
	_, want, err := m.SnapshotChecksum(testCtx(t), "kinds")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseMySQLDSN(serverDSN(t, mysqlDSNEnv, ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = m.dbName
	cfg.Params = map[string]string{"time_zone": "'+09:00'"}
	tokyo, err := openMySQLConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tokyo.Close()
	if _, got, err := tokyo.(*myDB).SnapshotChecksum(testCtx(t), "kinds"); err != nil || got != want {
		t.Errorf("in another time zone: %s, %v; want %s", got, err, want)
	}
}
