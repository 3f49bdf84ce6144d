package db

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPostgresQuoting(t *testing.T) {
	checkQuoting(t, pgTestDB(t), "text")
}

func TestPostgresSchemaQualified(t *testing.T) {
	d := pgTestDB(t)
	ctx := testCtx(t)
	other := uniqueName(t)
	mustExec(t, d, "CREATE SCHEMA "+d.Quote(other))
	t.Cleanup(func() { d.SQL().Exec("DROP SCHEMA " + d.Quote(other) + " CASCADE") })
	mustExec(t, d,
		"CREATE TABLE "+d.Quote(other)+`."Mixed" (id int PRIMARY KEY, v text)`,
		`CREATE TABLE "a.b" (id int PRIMARY KEY, v text)`, // a dot in the name itself
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
	schema := strings.Split(d.(*pgDB).pool.Config().ConnConfig.RuntimeParams["search_path"], ",")[0]
	if want := []string{schema + ".a.b"}; !reflect.DeepEqual(tables, want) {
		t.Fatalf("Tables() = %q, want %q (other schemas and %s left out)", tables, want, ProgressTable)
	}
	if n, err := d.Count(ctx, tables[0]); err != nil || n != 0 {
		t.Fatalf("Count(%q) = %d, %v", tables[0], n, err)
	}
}

func TestPostgresTableCompositeKey(t *testing.T) {
	d := pgTestDB(t)
	mustExec(t, d,
		`CREATE TABLE ck (a int NOT NULL, gone int, b varchar(16) NOT NULL, c numeric(20,8),
			d timestamp with time zone, PRIMARY KEY (b, a))`,
		`ALTER TABLE ck DROP COLUMN gone`,
	)
	tb := mustTable(t, d, "ck")
	if got := colNames(tb); !reflect.DeepEqual(got, []string{"a", "b", "c", "d"}) {
		t.Fatalf("columns = %q", got)
	}
	if !reflect.DeepEqual(tb.Key, []string{"b", "a"}) {
		t.Fatalf("key = %q, want [b a] (key order, not column order)", tb.Key)
	}
	wantDecl := []string{"integer", "character varying(16)", "numeric(20,8)", "timestamp with time zone"}
	wantNotNull := []bool{true, true, false, false}
	for i, c := range tb.Columns {
		if c.Type.Decl != wantDecl[i] || c.Type.NotNull != wantNotNull[i] {
			t.Errorf("column %s: decl %q not null %v; want %q %v", c.Name, c.Type.Decl, c.Type.NotNull, wantDecl[i], wantNotNull[i])
		}
	}
	if _, err := d.Table(testCtx(t), "missing"); err == nil {
		t.Fatal("Table(missing) succeeded")
	}
}

func TestPostgresReadBatchPaging(t *testing.T) {
	d := pgTestDB(t)
	mustExec(t, d,
		`CREATE TABLE page (g int, s text, v int, PRIMARY KEY (g, s))`,
		`INSERT INTO page SELECT i % 10, 's' || i, i FROM generate_series(1, 500) i`,
		`CREATE TABLE page2 (ts timestamp, n numeric(12,3), u uuid, v int, PRIMARY KEY (ts, n, u))`,
		`INSERT INTO page2 SELECT timestamp '2026-01-01' + (i % 7) * interval '1.5 second', (i % 13) / 8.0,
			md5(i::text)::uuid, i FROM generate_series(1, 300) i`,
	)
	checkPaging(t, d, "page")
	checkPaging(t, d, "page2")
}

func TestPostgresLoadBatchProgress(t *testing.T) {
	d := pgTestDB(t)
	mustExec(t, d, `CREATE TABLE lp (id bigint, k text, v text, PRIMARY KEY (id, k))`)
	checkProgress(t, d, "lp")
}

func TestPostgresNumericExact(t *testing.T) {
	d := pgTestDB(t)
	mustExec(t, d, `CREATE TABLE num (id bigint PRIMARY KEY, amount numeric(20,8))`)
	checkNumeric(t, d, "num")
}

// TestPostgresValues loads every value shape package convert produces and
// reads back the shapes ReadBatch promises.
func TestPostgresValues(t *testing.T) {
	d := pgTestDB(t)
	ctx := testCtx(t)
	mustExec(t, d,
		`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
		`CREATE TABLE vals (id int PRIMARY KEY, i2 smallint, i8 bigint, f4 real, f8 double precision, ok boolean,
			s text, b bytea, j json, jb jsonb, u uuid, ts timestamp(6), tz timestamptz, dt date, tm time,
			m mood, n numeric, ch char(3))`,
	)
	tb := mustTable(t, d, "vals")
	cols := colNames(tb)
	wall := time.Date(2026, 3, 29, 2, 30, 0, 123456000, time.UTC) // a DST gap in Europe: must not move
	zone := time.FixedZone("X", 5*3600)
	in := [][]any{
		{int64(1), int64(-32768), int64(9007199254740993), float32(1.5), 0.1, true, "héllo", []byte{0, 1, 0xff},
			`{"b": 1, "a": [1.50]}`, `{"a": 1}`, "0b6e4c1a-3f0e-4a8e-9c1d-2f1e4d5c6b7a",
			wall, time.Date(2026, 1, 2, 3, 4, 5, 0, zone), time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC),
			"13:14:15.5", "happy", "12345678901234567890.123456789", "ab"},
		{int64(2), nil, nil, nil, nil, nil, "", []byte{}, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	}
	if err := d.LoadBatch(ctx, tb, cols, in, Marker{CopyID: "vals"}); err != nil {
		t.Fatal(err)
	}
	mustExec(t, d, `INSERT INTO vals (id, dt, ts, n, f8) VALUES (3, 'infinity', '-infinity', 'NaN', 'NaN')`)
	got := readAll(t, d, tb, cols, 10)
	want := [][]any{
		{int64(1), int64(-32768), int64(9007199254740993), float32(1.5), 0.1, true, "héllo", []byte{0, 1, 0xff},
			`{"b": 1, "a": [1.50]}`, `{"a": 1}`, "0b6e4c1a-3f0e-4a8e-9c1d-2f1e4d5c6b7a",
			wall, time.Date(2026, 1, 1, 22, 4, 5, 0, time.UTC), time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC),
			"13:14:15.5", "happy", "12345678901234567890.123456789", "ab "},
		{int64(2), nil, nil, nil, nil, nil, "", []byte{}, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	}
	for i := range want {
		for j := range want[i] {
			if !reflect.DeepEqual(got[i][j], want[i][j]) {
				t.Errorf("row %d %s: got %#v, want %#v", i+1, cols[j], got[i][j], want[i][j])
			}
		}
	}
	inf := got[2]
	for j, want := range map[string]any{"dt": "infinity", "ts": "-infinity", "n": "NaN"} {
		if v := inf[slices.Index(cols, j)]; v != want {
			t.Errorf("row 3 %s: got %#v, want %#v", j, v, want)
		}
	}
	if f, ok := inf[slices.Index(cols, "f8")].(float64); !ok || f == f {
		t.Errorf("row 3 f8: got %#v, want NaN", inf[slices.Index(cols, "f8")])
	}
}

func TestPostgresDescribe(t *testing.T) {
	d := pgTestDB(t)
	if !strings.HasPrefix(d.Describe(), "postgres://") || d.Driver() != Postgres {
		t.Fatalf("Describe() = %q, Driver() = %q", d.Describe(), d.Driver())
	}
}

func TestPostgresRedactDSN(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://alice:s3cret@db.example:6543/shop?sslmode=disable": "postgres://alice@db.example:6543/shop",
		"postgresql://alice:s%40cret@[::1]/shop":                       "postgres://alice@[::1]:5432/shop",
		"postgres://db.example/shop?user=alice&password=s3cret":        "postgres://alice@db.example:5432/shop",
		"host=db user=alice password='se cret' dbname=shop":            "postgres://alice@db:5432/shop",
		"host=db port=6000 user=alice password=s3cret dbname=shop":     "postgres://alice@db:6000/shop",
		"postgres://alice:s3cret@h1:5432,h2:5433/shop":                 "postgres://alice@h1:5432,h2:5433/shop",
	} {
		got := RedactDSN(Postgres, dsn)
		if got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", dsn, got, want)
		}
		for _, secret := range []string{"s3cret", "se cret", "s@cret", "s%40cret"} {
			if strings.Contains(got, secret) {
				t.Errorf("RedactDSN(%q) = %q shows the password", dsn, got)
			}
		}
	}
}

// TestPostgresOpenErrorHidesPassword opens DSNs carrying a password
// against a port where nothing listens, and DSNs that do not parse: the
// error must not show the password. Needs no server.
func TestPostgresOpenErrorHidesPassword(t *testing.T) {
	const secret = "Sup3rSecretPw"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsns := []string{
		"postgres://postgres:" + secret + "@127.0.0.1:1/test?connect_timeout=2",
		"host=127.0.0.1 port=1 user=postgres password=" + secret + " dbname=test connect_timeout=2",
		"postgres://postgres:" + secret + "@127.0.0.1:notaport/test",
		"host=127.0.0.1 password='" + secret + "' port=notaport",
		"postgres://postgres:" + secret + "@127.0.0.1:1/test?sslmode=bogus",
	}
	checkOpenHidesPassword(t, ctx, Postgres, secret, dsns, openPostgres)
}

func TestPostgresParallelLoads(t *testing.T) {
	d := pgTestDB(t)
	mustExec(t, d, "CREATE TABLE p1 (id bigint PRIMARY KEY, v text)", "CREATE TABLE p2 (id bigint PRIMARY KEY, v text)")
	checkParallelLoads(t, d, "p1", "p2")
}

func TestPostgresRedactDSNOtherDrivers(t *testing.T) {
	if got := RedactDSN(SQLite, "file:/srv/data/shop.db?_pragma=busy_timeout(5000)"); got != "sqlite:shop.db" {
		t.Errorf("sqlite: %q", got)
	}
	if got := RedactDSN("oracle", "scott/tiger@db"); strings.Contains(got, "tiger") {
		t.Errorf("unknown driver: %q", got)
	}
}
