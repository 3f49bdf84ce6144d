package db

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMySQLQuoting(t *testing.T) {
	checkQuoting(t, mysqlTestDB(t), "TEXT")
}

func TestMySQLSchemaQualified(t *testing.T) {
	d := mysqlTestDB(t)
	ctx := testCtx(t)
	other := uniqueName(t)
	mustExec(t, d, "CREATE DATABASE "+d.Quote(other))
	t.Cleanup(func() { d.SQL().Exec("DROP DATABASE " + d.Quote(other)) })
	mustExec(t, d,
		"CREATE TABLE "+d.Quote(other)+".`Mixed` (id INT PRIMARY KEY, v TEXT)",
		"CREATE TABLE `a.b` (id INT PRIMARY KEY, v TEXT)", // a dot in the name itself
	)
	name := other + ".Mixed"
	tb := mustTable(t, d, name)
	if !reflect.DeepEqual(tb.Key, []string{"id"}) {
		t.Fatalf("Table(%q) key = %q", name, tb.Key)
	}
	rows := [][]any{{int64(1), "x"}, {int64(2), "y"}}
	if err := d.LoadBatch(ctx, tb, []string{"id", "v"}, rows, Marker{CopyID: "q"}); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, d, tb, []string{"id", "v"}, 1); !reflect.DeepEqual(got, rows) {
		t.Fatalf("read back %v", got)
	}
	if m, ok, err := d.Progress(ctx, "q", name); err != nil || !ok || m.Table != name {
		t.Fatalf("Progress = %+v, %v, %v", m, ok, err)
	}
	tables, err := d.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{d.(*myDB).dbName + ".a.b"}; !reflect.DeepEqual(tables, want) {
		t.Fatalf("Tables() = %q, want %q", tables, want)
	}
	if n, err := d.Count(ctx, tables[0]); err != nil || n != 0 {
		t.Fatalf("Count(%q) = %d, %v", tables[0], n, err)
	}
}

func TestMySQLTableCompositeKey(t *testing.T) {
	d := mysqlTestDB(t)
	mustExec(t, d,
		"CREATE TABLE ck (a INT NOT NULL, b VARCHAR(16) NOT NULL, c DECIMAL(20,8), d DATETIME(6), PRIMARY KEY (b, a))",
		"CREATE TABLE CK (x INT PRIMARY KEY)", // same name in another case: not mixed in
	)
	tb := mustTable(t, d, "ck")
	if got := colNames(tb); !reflect.DeepEqual(got, []string{"a", "b", "c", "d"}) {
		t.Fatalf("columns = %q", got)
	}
	if !reflect.DeepEqual(tb.Key, []string{"b", "a"}) {
		t.Fatalf("key = %q, want [b a] (key order, not column order)", tb.Key)
	}
	wantDecl := []string{"int", "varchar(16)", "decimal(20,8)", "datetime(6)"}
	wantNotNull := []bool{true, true, false, false}
	for i, c := range tb.Columns {
		if !strings.HasPrefix(c.Type.Decl, wantDecl[i]) || c.Type.NotNull != wantNotNull[i] {
			t.Errorf("column %s: decl %q not null %v; want %q %v", c.Name, c.Type.Decl, c.Type.NotNull, wantDecl[i], wantNotNull[i])
		}
	}
	if _, err := d.Table(testCtx(t), "missing"); err == nil {
		t.Fatal("Table(missing) succeeded")
	}
}

func TestMySQLReadBatchPaging(t *testing.T) {
	d := mysqlTestDB(t)
	mustExec(t, d,
		"CREATE TABLE page (g INT, s VARCHAR(20), v INT, PRIMARY KEY (g, s))",
		"CREATE TABLE page2 (ts DATETIME(6), n DECIMAL(12,3), s VARBINARY(8), v INT, PRIMARY KEY (ts, n, s))",
	)
	var p1, p2 []string
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 500; i++ {
		p1 = append(p1, fmt.Sprintf("(%d, 's%d', %d)", i%10, i, i))
		ts := base.Add(time.Duration(i%7) * 1500 * time.Millisecond).Format("2006-01-02 15:04:05.000000")
		p2 = append(p2, fmt.Sprintf("('%s', %d/8, 0x%02x, %d)", ts, i%13, i%256, i))
	}
	mustExec(t, d, "INSERT INTO page VALUES "+strings.Join(p1, ", "), "INSERT INTO page2 VALUES "+strings.Join(p2, ", "))
	checkPaging(t, d, "page")
	checkPaging(t, d, "page2")

	// A composite key is expanded so the server can use an index range.
	q, args := d.(*myDB).selectAfter(mustTable(t, d, "page"), []string{"g", "s"}, []any{int64(1), "s1"}, 5)
	want := "SELECT `g`, `s` FROM `page` WHERE (`g` > ?) OR (`g` = ? AND `s` > ?) ORDER BY `g`, `s` LIMIT ?"
	if q != want || !reflect.DeepEqual(args, []any{int64(1), int64(1), "s1", 5}) {
		t.Fatalf("selectAfter = %q %v\nwant %q", q, args, want)
	}
}

func TestMySQLLoadBatchProgress(t *testing.T) {
	d := mysqlTestDB(t)
	mustExec(t, d, "CREATE TABLE lp (id BIGINT, k VARCHAR(10), v TEXT, PRIMARY KEY (id, k))")
	checkProgress(t, d, "lp")
}

func TestMySQLNumericExact(t *testing.T) {
	d := mysqlTestDB(t)
	mustExec(t, d, "CREATE TABLE num (id BIGINT PRIMARY KEY, amount DECIMAL(20,8))")
	checkNumeric(t, d, "num")
}

// TestMySQLZeroDate: dates MySQL stores but no calendar has come back as
// their text, and the strict session refuses to write them.
func TestMySQLZeroDate(t *testing.T) {
	d := mysqlTestDB(t)
	ctx := testCtx(t)
	mustExec(t, d, "CREATE TABLE zd (id INT PRIMARY KEY, d DATE, dt DATETIME)")
	d.SQL().SetMaxOpenConns(1) // the lax session below goes back to the pool, and LoadBatch must get it
	conn, err := d.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"SET SESSION sql_mode = ''",
		`INSERT INTO zd VALUES (1, '0000-00-00', '0000-00-00 00:00:00'), (2, '2024-00-10', '2024-05-00 10:00:00'),
			(3, '0001-01-01', '0001-01-01 00:00:00'), (4, '2024-02-29', '2024-02-29 23:59:59')`} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	got := readAll(t, d, mustTable(t, d, "zd"), []string{"id", "d", "dt"}, 10)
	want := [][]any{
		{int64(1), "0000-00-00", "0000-00-00 00:00:00"},
		{int64(2), "2024-00-10", "2024-05-00 10:00:00"},
		{int64(3), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{int64(4), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read\n%#v\nwant\n%#v", got, want)
	}
	err = d.LoadBatch(ctx, mustTable(t, d, "zd"), []string{"id", "d", "dt"}, [][]any{{int64(5), "0000-00-00", nil}}, Marker{CopyID: "zd"})
	if err == nil {
		t.Fatal("LoadBatch wrote a zero date on a lax session; it should restore the strict sql_mode")
	}
	// Go's zero time is 0001-01-01, a real date, never the zero date the
	// driver would make of it.
	first := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := d.LoadBatch(ctx, mustTable(t, d, "zd"), []string{"id", "d", "dt"}, [][]any{{int64(6), time.Time{}, time.Time{}}}, Marker{CopyID: "zd"}); err != nil {
		t.Fatalf("LoadBatch of 0001-01-01: %v", err)
	}
	got = readAll(t, d, mustTable(t, d, "zd"), []string{"id", "d", "dt"}, 10)
	if last := got[len(got)-1]; !reflect.DeepEqual(last, []any{int64(6), first, first}) {
		t.Fatalf("0001-01-01 read back as %#v", last)
	}
}

// TestMySQLValues loads every value shape package convert produces and
// reads back the shapes ReadBatch promises.
func TestMySQLValues(t *testing.T) {
	d := mysqlTestDB(t)
	ctx := testCtx(t)
	mustExec(t, d, `CREATE TABLE vals (id INT PRIMARY KEY, ti TINYINT, ub BIGINT UNSIGNED, f FLOAT, f8 DOUBLE,
		ok BOOLEAN, s VARCHAR(20), b BLOB, j JSON, dt DATE, ts DATETIME(6), tz TIMESTAMP(6) NULL, tm TIME(1), y YEAR,
		e ENUM('sad','ok','happy'), bits BIT(8), ch CHAR(3), n DECIMAL(38,10))`)
	tb := mustTable(t, d, "vals")
	cols := colNames(tb)
	wall := time.Date(2026, 3, 29, 2, 30, 0, 123456000, time.UTC)
	in := [][]any{
		{int64(1), int64(-128), uint64(18446744073709551615), 1.5, 0.1, true, "héllo 😀", []byte{0, 1, 0xff},
			`{"a": [1, "x"]}`, time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC), wall, wall,
			"-838:59:58.5", int64(2026), "happy", []byte{0xa5}, "ab", "1234567890123456789012345678.0123456789"},
		{int64(2), nil, "7", float32(1.1), nil, false, "", []byte{}, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	}
	if err := d.LoadBatch(ctx, tb, cols, in, Marker{CopyID: "vals"}); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, d, tb, cols, 10)
	want := [][]any{
		{int64(1), int64(-128), uint64(18446744073709551615), float32(1.5), 0.1, int64(1), "héllo 😀", []byte{0, 1, 0xff},
			`{"a": [1, "x"]}`, time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC), wall, wall,
			"-838:59:58.5", int64(2026), "happy", []byte{0xa5}, "ab", "1234567890123456789012345678.0123456789"},
		{int64(2), nil, int64(7), float32(1.1), nil, int64(0), "", []byte{}, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	}
	for i := range want {
		for j := range want[i] {
			if !reflect.DeepEqual(got[i][j], want[i][j]) {
				t.Errorf("row %d %s: got %#v, want %#v", i+1, cols[j], got[i][j], want[i][j])
			}
		}
	}
}

// TestMySQLChunking loads more placeholders than one statement may hold,
// and rows wide enough to need several statements under the packet limit.
func TestMySQLChunking(t *testing.T) {
	d := mysqlTestDB(t)
	ctx := testCtx(t)
	mustExec(t, d, "CREATE TABLE wide (id INT PRIMARY KEY, c1 INT, c2 INT, c3 INT, c4 INT, c5 INT, c6 INT, c7 INT, c8 INT, c9 TEXT)")
	tb := mustTable(t, d, "wide")
	cols := colNames(tb)
	var rows [][]any
	for i := range 7000 { // 70,000 placeholders
		rows = append(rows, []any{int64(i), int64(i), int64(i), int64(i), int64(i), int64(i), int64(i), int64(i), int64(i), strings.Repeat("x", i%50)})
	}
	if err := d.LoadBatch(ctx, tb, cols, rows, Marker{CopyID: "w"}); err != nil {
		t.Fatal(err)
	}
	m := d.(*myDB)
	m.maxPacket = 64 << 10 // 32 KiB per statement at most
	mustExec(t, d, "DELETE FROM wide")
	for i := range rows {
		rows[i][9] = strings.Repeat("y", 1000+i%3)
	}
	if per := m.chunkRows(cols, rows); per < 10 || per > 40 {
		t.Fatalf("chunkRows = %d for 1 KiB rows and 32 KiB statements", per)
	}
	if err := d.LoadBatch(ctx, tb, cols, rows[:1000], Marker{CopyID: "w"}); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Count(ctx, "wide"); err != nil || n != 1000 {
		t.Fatalf("Count = %d, %v; want 1000", n, err)
	}
}

func TestMySQLRefusesNonTransactional(t *testing.T) {
	d := mysqlTestDB(t)
	mustExec(t, d, "CREATE TABLE mi (id INT PRIMARY KEY) ENGINE=MyISAM")
	err := d.LoadBatch(testCtx(t), mustTable(t, d, "mi"), []string{"id"}, [][]any{{int64(1)}}, Marker{CopyID: "mi"})
	if err == nil || !strings.Contains(err.Error(), "InnoDB") {
		t.Fatalf("LoadBatch into MyISAM: %v", err)
	}
	if n, _ := d.Count(testCtx(t), "mi"); n != 0 {
		t.Fatalf("Count = %d, want 0", n)
	}
}

// TestMySQLDSNForms opens the test server with a mysql:// URL and with the
// driver's own DSN form.
func TestMySQLDSNForms(t *testing.T) {
	dsn := serverDSN(t, mysqlDSNEnv, "mysql://root@127.0.0.1:3306/test")
	cfg, err := parseMySQLDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	userinfo := url.User(cfg.User)
	driverForm := cfg.User
	if cfg.Passwd != "" {
		userinfo = url.UserPassword(cfg.User, cfg.Passwd)
		driverForm += ":" + cfg.Passwd
	}
	forms := []string{
		"mysql://" + userinfo.String() + "@" + cfg.Addr + "/" + cfg.DBName + "?timeout=5s",
		driverForm + "@" + cfg.Net + "(" + cfg.Addr + ")/" + cfg.DBName + "?timeout=5s",
	}
	for _, form := range forms {
		d, err := openMySQL(testCtx(t), form)
		if err != nil {
			serverDown(t, mysqlDSNEnv, err)
		}
		var mode string
		if err := d.SQL().QueryRow("SELECT @@SESSION.sql_mode").Scan(&mode); err != nil || !strings.Contains(mode, "STRICT_ALL_TABLES") {
			t.Errorf("%s: sql_mode = %q, %v", RedactDSN(MySQL, form), mode, err)
		}
		if want := describeMySQL(cfg); d.Describe() != want || d.Driver() != MySQL {
			t.Errorf("Describe() = %q, want %q", d.Describe(), want)
		}
		d.Close()
	}
}

func TestMySQLRedactDSN(t *testing.T) {
	for dsn, want := range map[string]string{
		"mysql://root:s3cret@127.0.0.1:3306/test":           "mysql://root@127.0.0.1:3306/test",
		"mysql://root:s%40cret@db.example/shop?tls=false":   "mysql://root@db.example:3306/shop",
		"mariadb://app:s3cret@[::1]:3307/shop":              "mysql://app@[::1]:3307/shop",
		"root:s3cret@tcp(127.0.0.1:3306)/test":              "mysql://root@127.0.0.1:3306/test",
		"app:s3cret@unix(/run/mysqld/mysqld.sock)/shop":     "mysql://app@unix(/run/mysqld/mysqld.sock)/shop",
		"mysql://app:s3cret@/shop?socket=/run/mysqld.sock":  "mysql://app@unix(/run/mysqld.sock)/shop",
		"root:s3cret@tcp(127.0.0.1:3306":                    "mysql://[unparseable DSN redacted]",
		"mysql://root:s3cret@127.0.0.1:notaport/test?x=%zz": "mysql://[unparseable DSN redacted]",
	} {
		got := RedactDSN(MySQL, dsn)
		if got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", dsn, got, want)
		}
		if strings.Contains(got, "s3cret") || strings.Contains(got, "s@cret") {
			t.Errorf("RedactDSN(%q) = %q shows the password", dsn, got)
		}
	}
}

// TestMySQLOpenErrorHidesPassword opens DSNs carrying a password against
// a port where nothing listens, DSNs that do not parse and, when the test
// server is configured, the server with a wrong password.
func TestMySQLOpenErrorHidesPassword(t *testing.T) {
	const secret = "Sup3rSecretPw"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsns := []string{
		"root:" + secret + "@tcp(127.0.0.1:1)/test?timeout=2s",
		"mysql://root:" + secret + "@127.0.0.1:1/test?timeout=2s",
		"mysql://root:" + secret + "@127.0.0.1:notaport/test",
		"root:" + secret + "@tcp(127.0.0.1:1)/test?timeout=bogus",
	}
	if dsn := os.Getenv(mysqlDSNEnv); dsn != "" {
		if cfg, err := parseMySQLDSN(dsn); err == nil {
			dsns = append(dsns, "nobody_tr:"+secret+"@"+cfg.Net+"("+cfg.Addr+")/"+cfg.DBName)
		}
	}
	checkOpenHidesPassword(t, ctx, MySQL, secret, dsns, openMySQL)
}

func TestMySQLParallelLoads(t *testing.T) {
	d := mysqlTestDB(t)
	mustExec(t, d, "CREATE TABLE p1 (id BIGINT PRIMARY KEY, v TEXT)", "CREATE TABLE p2 (id BIGINT PRIMARY KEY, v TEXT)")
	checkParallelLoads(t, d, "p1", "p2")
}
