package db

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// mysqlTwin opens a second handle on d's database; insert makes it load by
// multi-row INSERT only (tightrope_load=insert).
func mysqlTwin(t *testing.T, d DB, insert bool) *myDB {
	t.Helper()
	cfg, err := parseMySQLDSN(serverDSN(t, mysqlDSNEnv, "mysql://root@127.0.0.1:3306/test"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = d.(*myDB).dbName
	if insert {
		cfg.Params[MySQLLoadParam] = "insert"
	}
	twin, err := openMySQLConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { twin.Close() })
	return twin.(*myDB)
}

// infileHostileTable has a column of every MySQL type family.
const infileHostileTable = `(id BIGINT PRIMARY KEY, txt VARCHAR(2000) NULL, lat VARCHAR(40) CHARACTER SET latin1 NULL,
	blb BLOB NULL, vb VARBINARY(64) NULL, bits BIT(12) NULL, st SET('a','b','cd') NULL, en ENUM('x','y z','') NULL,
	doc JSON NULL, num DECIMAL(30,10) NULL, f8 DOUBLE NULL, f4 FLOAT NULL, day DATE NULL, dt DATETIME(6) NULL,
	ts TIMESTAMP(6) NULL, tod TIME(6) NULL, yr YEAR NULL, ubig BIGINT UNSIGNED NULL, tiny TINYINT NULL) DEFAULT CHARSET=utf8mb4`

var infileHostileCols = []string{"id", "txt", "lat", "blb", "vb", "bits", "st", "en", "doc", "num", "f8", "f4", "day", "dt", "ts", "tod", "yr", "ubig", "tiny"}

// infileHostileRows are values as package convert hands them to a MySQL
// target, the hostile ones included.
func infileHostileRows() [][]any {
	var rows [][]any
	add := func(v ...any) { rows = append(rows, append([]any{int64(len(rows) + 1)}, v...)) }
	for i, s := range hostileStrings {
		if strings.ContainsRune(s, 0) || !isUTF8(s) {
			continue // package convert refuses these for a text column
		}
		lat := "plain"
		if i%2 == 0 {
			lat = "café Ä ÿ"
		}
		add(s, lat, []byte(s), []byte("\x00\\\t\n\xff" + s)[:min(64, len(s)+5)], []byte{0x0f, 0xff}, "a,cd", "y z",
			`{"k": "`+strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`, "\r", `\r`, "\x1a", `\u001a`, "\b", `\b`).Replace(s)+`"}`,
			"-12345678901234567890.0123456789", 0.1, float32(0.1), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
			time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2038, 1, 19, 3, 14, 7, 999999000, time.UTC),
			"-838:59:59.000000", int64(2155), uint64(math.MaxUint64), int64(-128))
	}
	add(nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil)
	add("", "", []byte{}, []byte{}, []byte{0, 0}, "", "", `[]`, "0.0000000001", math.SmallestNonzeroFloat64, float32(math.SmallestNonzeroFloat32),
		time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 1, 0, time.UTC), "838:59:59", int64(1901), uint64(0), int64(127))
	add("\\N", "\\N", []byte("\\N"), []byte(`\N`), []byte{0x0a, 0x09}, "b", "x", `"\\N"`, "99999999999999999999.9999999999", math.MaxFloat64, float32(math.MaxFloat32),
		time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2000, 1, 1, 12, 0, 0, 1000, time.UTC),
		time.Date(2001, 9, 9, 1, 46, 40, 0, time.UTC), "00:00:00.000001", int64(0), uint64(1<<63), int64(0))
	add("NULL", nil, []byte("NULL"), nil, nil, nil, nil, `null`, "-0.5", -1.7976931348623157e308, float32(-3.4028234e38),
		nil, nil, nil, nil, nil, nil, nil)
	add("x", nil, nil, nil, nil, nil, nil, nil, nil, 4.9406564584124654e-324, float32(1.0/3), nil, nil, nil, nil, nil, nil, nil)
	add("y", nil, nil, nil, nil, nil, nil, nil, nil, 1.0/3, float32(16777217), nil, nil, nil, nil, nil, nil, nil)
	return rows
}

func isUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// infileDump reads a table back as text, column by column, in an
// unambiguous spelling (HEX of bytes, floats in full).
func infileDump(t *testing.T, d DB, table string) []string {
	t.Helper()
	q := "SELECT CONCAT_WS('|', id, IFNULL(HEX(txt),'-'), IFNULL(HEX(lat),'-'), IFNULL(HEX(blb),'-'), IFNULL(HEX(vb),'-'), " +
		"IFNULL(BIN(bits),'-'), IFNULL(HEX(st),'-'), IFNULL(HEX(en),'-'), IFNULL(HEX(doc),'-'), IFNULL(num,'-'), " +
		"IFNULL(f8,'-'), IFNULL(HEX(f8),'-'), IFNULL(f4,'-'), IFNULL(day,'-'), IFNULL(dt,'-'), IFNULL(ts,'-'), IFNULL(tod,'-'), " +
		"IFNULL(yr,'-'), IFNULL(ubig,'-'), IFNULL(tiny,'-')) FROM " + d.Quote(table) + " ORDER BY id"
	rows, err := d.SQL().Query(q)
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
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestInfileLoadsWhatInsertLoads: the same batch of hostile values of every
// type family, loaded by LOAD DATA LOCAL INFILE and by multi-row INSERT,
// lands identically — byte for byte, float bit for bit, read back by the
// adapter too — with its checkpoint, and the load raised no warning (it
// would have failed).
func TestInfileLoadsWhatInsertLoads(t *testing.T) {
	d := mysqlTestDB(t)
	ctx := testCtx(t)
	ins := mysqlTwin(t, d, true)
	mustExec(t, d, "CREATE TABLE via_infile "+infileHostileTable, "CREATE TABLE via_insert "+infileHostileTable)
	rows := infileHostileRows()
	my := d.(*myDB)
	if !LoadsByInfile(my) || LoadsByInfile(ins) {
		t.Fatalf("infile handle uses infile: %v; insert handle: %v", LoadsByInfile(my), LoadsByInfile(ins))
	}
	mark := Marker{CopyID: "infile", Read: int64(len(rows)), Written: int64(len(rows)), LastKey: []any{int64(len(rows))}}
	if err := d.LoadBatch(ctx, mustTable(t, d, "via_infile"), infileHostileCols, rows, mark); err != nil {
		t.Fatal(err)
	}
	if !LoadsByInfile(my) {
		t.Fatal("the infile handle fell back to INSERT")
	}
	if err := ins.LoadBatch(ctx, mustTable(t, ins, "via_insert"), infileHostileCols, rows, mark); err != nil {
		t.Fatal(err)
	}
	a, b := infileDump(t, d, "via_infile"), infileDump(t, d, "via_insert")
	if len(a) != len(rows) {
		t.Fatalf("%d rows loaded, %d sent", len(a), len(rows))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("row %d differs:\n infile %s\n insert %s", i+1, a[i], b[i])
		}
	}
	ra := readAll(t, d, mustTable(t, d, "via_infile"), infileHostileCols, 7)
	rb := readAll(t, d, mustTable(t, d, "via_insert"), infileHostileCols, 7)
	if !reflect.DeepEqual(ra, rb) {
		t.Errorf("read back differently:\n infile %v\n insert %v", ra, rb)
	}
	mustProgress(t, d, Marker{CopyID: "infile", Table: "via_infile", Read: mark.Read, Written: mark.Written, LastKey: mark.LastKey})
}

// TestInfileWarningsFailTheBatch: LOAD DATA LOCAL turns every data error
// into a warning and goes on; the adapter counts them, so a batch with a
// duplicate key, a foreign key or check violation, or a NULL into NOT NULL
// is rolled back whole (no row, no checkpoint) and fails with an error that
// Refused takes for a refusal, naming the rule where the server does.
func TestInfileWarningsFailTheBatch(t *testing.T) {
	d := mysqlTestDB(t)
	ctx := testCtx(t)
	mustExec(t, d, "CREATE TABLE parent (id INT PRIMARY KEY)", "INSERT INTO parent VALUES (1)",
		"CREATE TABLE child (id INT PRIMARY KEY, p INT NULL, n VARCHAR(5) NOT NULL, u INT NULL, "+
			"CONSTRAINT child_parent FOREIGN KEY (p) REFERENCES parent (id), CONSTRAINT small CHECK (id < 100), UNIQUE KEY uniq_u (u))",
		"INSERT INTO child VALUES (1, 1, 'a', 1)")
	cols := []string{"id", "p", "n", "u"}
	for _, c := range []struct {
		name string
		bad  []any
		rule string
	}{
		{"duplicate_key", []any{int64(1), int64(1), "dup", nil}, "PRIMARY"},
		{"unique", []any{int64(3), nil, "u", int64(1)}, "uniq_u"},
		{"foreign_key", []any{int64(4), int64(7), "fk", nil}, "child_parent"},
		{"check", []any{int64(500), nil, "ck", nil}, "small"},
		{"not_null", []any{int64(6), nil, nil, nil}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows := [][]any{{int64(2), int64(1), "ok", nil}, c.bad, {int64(50), nil, "ok2", nil}}
			err := d.LoadBatch(ctx, mustTable(t, d, "child"), cols, rows, Marker{CopyID: c.name, Read: 3, Written: 3, LastKey: []any{int64(50)}})
			var iw *InfileWarnings
			if !errors.As(err, &iw) {
				t.Fatalf("LoadBatch: %v, want InfileWarnings", err)
			}
			rule, ok := Refused(err)
			if !ok || rule != c.rule {
				t.Errorf("Refused = %q, %v; want %q, true (%v)", rule, ok, c.rule, err)
			}
			var n int
			if err := d.SQL().QueryRow("SELECT COUNT(*) FROM child").Scan(&n); err != nil || n != 1 {
				t.Errorf("child holds %d rows (%v), want the 1 from before: the batch was not rolled back", n, err)
			}
			if _, found, err := d.Progress(ctx, c.name, "child"); err != nil || found {
				t.Errorf("checkpoint found %v (%v) after a failed batch", found, err)
			}
		})
	}
}

// infileGlobalMu serialises this package's tests that switch the server's
// local_infile off.
var infileGlobalMu sync.Mutex

// withLocalInfileOff runs f while the server refuses local infile, and
// restores the setting (also if f fails the test). Other tests on the
// server may fall back to INSERT meanwhile, and they still load correctly.
func withLocalInfileOff(t *testing.T, admin *sql.DB, f func()) {
	t.Helper()
	infileGlobalMu.Lock()
	defer infileGlobalMu.Unlock()
	var was int
	if err := admin.QueryRow("SELECT @@GLOBAL.local_infile").Scan(&was); err != nil {
		t.Fatal(err)
	}
	restore := func() {
		if _, err := admin.Exec(fmt.Sprintf("SET GLOBAL local_infile = %d", was)); err != nil {
			t.Errorf("restoring local_infile: %v", err)
		}
	}
	t.Cleanup(restore) // if f stops the test
	if _, err := admin.Exec("SET GLOBAL local_infile = 0"); err != nil {
		t.Skipf("cannot switch local_infile off here: %v", err)
	}
	defer restore()
	f()
}

// TestInfileFallsBackToInsert: with local_infile off on the server, the
// batch is written by INSERT with its checkpoint, the handle stays on
// INSERT, and the fallback is told exactly once, also to a receiver set
// after it happened.
func TestInfileFallsBackToInsert(t *testing.T) {
	d := mysqlTestDB(t)
	ctx := testCtx(t)
	my := mysqlTwin(t, d, false)
	mustExec(t, d, "CREATE TABLE fb (id BIGINT PRIMARY KEY, s VARCHAR(20) NULL, b VARBINARY(8) NULL)")
	tb := mustTable(t, d, "fb")
	cols := []string{"id", "s", "b"}
	withLocalInfileOff(t, d.SQL(), func() {
		err := my.LoadBatch(ctx, tb, cols, [][]any{{int64(1), "a\tb", []byte{0, 1}}, {int64(2), nil, nil}},
			Marker{CopyID: "fb", Read: 2, Written: 2, LastKey: []any{int64(2)}})
		if err != nil {
			t.Fatalf("LoadBatch with local_infile off: %v", err)
		}
	})
	if LoadsByInfile(my) {
		t.Fatal("the handle still uses LOAD DATA after the server refused it")
	}
	var notices []string
	my.OnNotice(func(msg string) { notices = append(notices, msg) })
	if err := my.LoadBatch(ctx, tb, cols, [][]any{{int64(3), "c", nil}}, Marker{CopyID: "fb", Read: 3, Written: 3, LastKey: []any{int64(3)}}); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "LOAD DATA LOCAL INFILE") || !strings.Contains(notices[0], "INSERT") {
		t.Fatalf("notices %q, want one about the fallback to INSERT", notices)
	}
	if strings.Contains(notices[0], "tightrope-") {
		t.Errorf("the notice names the reader: %q", notices[0])
	}
	got := readAll(t, d, tb, cols, 10)
	want := [][]any{{int64(1), "a\tb", []byte{0, 1}}, {int64(2), nil, nil}, {int64(3), "c", nil}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("target %v, want %v", got, want)
	}
	mustProgress(t, d, Marker{CopyID: "fb", Table: "fb", Read: 3, Written: 3, LastKey: []any{int64(3)}})
	// A fresh handle, with local infile back on, takes the fast path again.
	fresh := mysqlTwin(t, d, false)
	if err := fresh.LoadBatch(ctx, tb, cols, [][]any{{int64(4), "d", nil}}, Marker{CopyID: "fb2", Read: 1, Written: 1}); err != nil || !LoadsByInfile(fresh) {
		t.Fatalf("fresh handle: %v, uses infile %v", err, LoadsByInfile(fresh))
	}
}

// TestMySQLLoadParam: tightrope_load is taken out of the DSN (the server
// never sees it) and a wrong value is refused.
func TestMySQLLoadParam(t *testing.T) {
	for v, want := range map[string]bool{"insert": true, "INSERT": true, "infile": false, "": false} {
		cfg, err := parseMySQLDSN("root@tcp(127.0.0.1:3306)/x?" + MySQLLoadParam + "=" + v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := mysqlLoadChoice(cfg)
		if err != nil || got != want {
			t.Errorf("%q: insert %v (%v), want %v", v, got, err, want)
		}
		if _, left := cfg.Params[MySQLLoadParam]; left {
			t.Errorf("%q: the parameter is still in the DSN", v)
		}
	}
	cfg, _ := parseMySQLDSN("mysql://root@127.0.0.1/x?" + MySQLLoadParam + "=copy")
	if _, err := mysqlLoadChoice(cfg); err == nil {
		t.Error("tightrope_load=copy accepted")
	}
}
