package db

import (
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// numericEdges are decimals whose binary form is easy to get wrong.
var numericEdges = []string{
	"0", "-0", "0.0", "0.00", "-0.000", "1", "-1", "10", "100", "1000", "9999", "10000", "10001", "-0.5", "0.5",
	"0.0001", "0.00001", "0.00000000000000000001", "99999999.9999", "-99999999.9999", "12345.6", "1.50", "1.5000",
	"100000000", "123456789012345678901234567890.123456789012345678901234567890", "0.10", "7.0001000",
	"-12345678901234567890.123456789", "00012.3400", ".5", "5.", "1" + strings.Repeat("0", 40),
	"0." + strings.Repeat("0", 100) + "1", strings.Repeat("9", 100) + "." + strings.Repeat("9", 100),
}

// TestPgNumericMatchesPgx encodes decimals with appendPgNumeric and with
// pgx's pgtype.Numeric and decodes both with pgx: the same value and the
// same display scale.
func TestPgNumericMatchesPgx(t *testing.T) {
	m := pgtype.NewMap()
	cases := append([]string(nil), numericEdges...)
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var b strings.Builder
		if r.IntN(2) == 0 {
			b.WriteByte('-')
		}
		for range r.IntN(12) + 1 {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		if n := r.IntN(14); n > 0 {
			b.WriteByte('.')
			for range n {
				b.WriteByte(byte('0' + r.IntN(10)))
			}
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		ours, ok := appendPgNumeric(nil, s)
		if !ok {
			t.Errorf("%q: not encoded", s)
			continue
		}
		var n pgtype.Numeric
		if err := n.Scan(s); err != nil {
			t.Fatalf("%q: pgx: %v", s, err)
		}
		theirs, err := m.Encode(pgtype.NumericOID, pgtype.BinaryFormatCode, n, nil)
		if err != nil {
			t.Fatalf("%q: pgx: %v", s, err)
		}
		if got, want := decodeNumericText(t, m, ours[4:]), decodeNumericText(t, m, theirs); got != want {
			t.Errorf("%q: ours decodes as %s, pgx's as %s", s, got, want)
		}
		if int(be32(ours)) != len(ours)-4 {
			t.Errorf("%q: length %d for %d bytes", s, be32(ours), len(ours)-4)
		}
	}
	for _, s := range []string{"", "-", ".", "1e5", "NaN", "Infinity", "+1", " 1", "1.2.3", "1,5", "--1"} {
		if out, ok := appendPgNumeric([]byte("x"), s); ok || string(out) != "x" {
			t.Errorf("%q: encoded as %x, want it handed to pgx", s, out)
		}
	}
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// decodeNumericText decodes numeric's binary format with pgx and renders
// it as an exact fraction with its display scale.
func decodeNumericText(t *testing.T, m *pgtype.Map, b []byte) string {
	t.Helper()
	var n pgtype.Numeric
	if err := m.Scan(pgtype.NumericOID, pgtype.BinaryFormatCode, b, &n); err != nil {
		t.Fatalf("decode %x: %v", b, err)
	}
	r := new(big.Rat).SetInt(n.Int)
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(n.Exp, -n.Exp))), nil))
	if n.Exp < 0 {
		r.Quo(r, scale)
	} else {
		r.Mul(r, scale)
	}
	dscale := int(b[6])<<8 | int(b[7])
	return fmt.Sprintf("%s/%d", r.RatString(), dscale)
}

// TestPostgresCopyEncoderMatchesPgx loads the same edge values of every
// type through LoadBatch and through pgx's own CopyFrom, and compares what
// the server holds, column by column, as text.
func TestPostgresCopyEncoderMatchesPgx(t *testing.T) {
	d := pgTestDB(t)
	ctx := testCtx(t)
	ddl := `(id int PRIMARY KEY, i2 smallint, i4 int, i8 bigint, f4 real, f8 double precision, ok boolean,
		s text, vc varchar(10), ch char(3), nm name, b bytea, j json, jb jsonb, u uuid,
		ts timestamp, ts3 timestamp(3), tz timestamptz, dt date, tm time, n numeric, n124 numeric(12,4),
		n3010 numeric(30,10), m mood, iv interval, arr int[], dom posint)`
	mustExec(t, d,
		`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
		`CREATE DOMAIN posint AS int CHECK (VALUE > 0)`,
		`CREATE TABLE ours `+ddl, `CREATE TABLE theirs `+ddl)
	tb := mustTable(t, d, "ours")
	cols := colNames(tb)
	utc := func(y, mo, dd, h, mi, s, us int) time.Time {
		return time.Date(y, time.Month(mo), dd, h, mi, s, us*1000, time.UTC)
	}
	var rows [][]any
	add := func(vals ...any) { rows = append(rows, append([]any{int64(len(rows) + 1)}, vals...)) }
	add(int64(-32768), int64(-2147483648), int64(-9223372036854775808), 1.5, -0.1, true,
		"héllo 🎁", "0123456789", "ab", "nm", []byte{0, 1, 0xff}, `{"b": 1, "a": [1.50]}`, `{"a": "x"}`,
		"0b6e4c1a-3f0e-4a8e-9c1d-2f1e4d5c6b7a", utc(1, 1, 1, 0, 0, 0, 1), utc(2024, 2, 29, 23, 59, 59, 123000),
		utc(9999, 12, 31, 23, 59, 59, 999999), utc(1, 1, 1, 0, 0, 0, 0).AddDate(0, 0, 1), "24:00:00",
		"0", "99999999.9999", "0.0000000001", "happy", "1 day 02:03:04", "{1,2,3}", int64(7))
	add(int64(32767), int64(2147483647), int64(9223372036854775807), float64(float32(3.4e38)), 1e308, false,
		"", "", "", "", []byte{}, `[]`, `{}`, "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
		utc(9999, 12, 31, 23, 59, 59, 999999), utc(1970, 1, 1, 0, 0, 0, 1000),
		time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("X", 5*3600+1800)), utc(9999, 12, 31, 0, 0, 0, 0),
		"00:00:00.000001", "-0.5", "-99999999.9999", "-12345678901234567890.1234567890", "sad", "-1 mons", "{}", int64(1))
	for _, n := range numericEdges {
		add(nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
			utc(1999, 12, 31, 23, 59, 59, 999999), nil, utc(2000, 1, 1, 0, 0, 0, 0), utc(1999, 12, 31, 0, 0, 0, 0),
			nil, n, nil, nil, nil, nil, nil, nil)
	}
	add(nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
		nil, nil, nil, nil, nil, nil, nil)
	if err := d.LoadBatch(ctx, tb, cols, rows, Marker{CopyID: "enc"}); err != nil {
		t.Fatal(err)
	}
	conn, err := d.(*pgDB).pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Conn().CopyFrom(ctx, pgx.Identifier{"theirs"}, cols, pgx.CopyFromRows(pgxRows(rows, tb)))
	conn.Release()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		q := fmt.Sprintf(`SELECT o.id, o.%[1]s::text, t.%[1]s::text FROM ours o JOIN theirs t USING (id)
			WHERE o.%[1]s::text IS DISTINCT FROM t.%[1]s::text`, d.Quote(c))
		rs, err := d.SQL().QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var id int
			var ours, theirs *string
			if err := rs.Scan(&id, &ours, &theirs); err != nil {
				t.Fatal(err)
			}
			t.Errorf("row %d %s: ours %v, pgx's %v", id, c, deref(ours), deref(theirs))
		}
		rs.Close()
	}
	var n int
	if err := d.SQL().QueryRowContext(ctx, `SELECT count(*) FROM ours`).Scan(&n); err != nil || n != len(rows) {
		t.Fatalf("ours holds %d rows (%v), want %d", n, err, len(rows))
	}
	var scale string
	id := 3 + slices.Index(numericEdges, "1.5000")
	if err := d.SQL().QueryRowContext(ctx, `SELECT n::text FROM ours WHERE id = $1`, id).Scan(&scale); err != nil || scale != "1.5000" {
		t.Errorf("numeric 1.5000 came back as %q (%v): the display scale is lost", scale, err)
	}
}

// pgxRows feeds pgx's CopyFrom what pgx needs for decimals (as LoadBatch
// used to): pgtype.Numeric.
func pgxRows(rows [][]any, tb Table) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = append([]any(nil), r...)
		for j, v := range r {
			if s, ok := v.(string); ok && strings.HasPrefix(tb.Columns[j].Type.Decl, "numeric") {
				var n pgtype.Numeric
				if err := n.Scan(s); err != nil {
					panic(err)
				}
				out[i][j] = n
			}
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

// TestPostgresCopyEncoderErrors: a value that fits no encoding fails the
// batch with the row and column named, and nothing is written.
func TestPostgresCopyEncoderErrors(t *testing.T) {
	d := pgTestDB(t)
	ctx := testCtx(t)
	mustExec(t, d, `CREATE TABLE bad (id int PRIMARY KEY, s smallint, n numeric)`)
	tb := mustTable(t, d, "bad")
	for _, row := range [][]any{{int64(1), int64(40000), nil}, {int64(1), nil, "12abc"}} {
		err := d.LoadBatch(ctx, tb, colNames(tb), [][]any{{int64(2), nil, nil}, row}, Marker{CopyID: "bad"})
		if err == nil || !strings.Contains(err.Error(), "row 2") || !strings.Contains(err.Error(), "column ") {
			t.Errorf("%v: got %v, want an error naming row 2 and the column", row, err)
		}
	}
	var n int
	if err := d.SQL().QueryRowContext(ctx, `SELECT count(*) FROM bad`).Scan(&n); err != nil || n != 0 {
		t.Errorf("bad holds %d rows (%v) after failed loads", n, err)
	}
}

// benchRows is a batch shaped like bench/run.sh's orders table.
func benchRows(n int) [][]any {
	rows := make([][]any, n)
	base := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		var note any
		switch i % 10 {
		case 0, 1, 2:
		case 3:
			note = fmt.Sprintf("Lieferung an Straße %d, Zürich — \"Tür 2\", bitte klingeln", i)
		default:
			note = fmt.Sprintf("note %032x", i*7919)
		}
		rows[i] = []any{int64(i + 1), int64(i*7919%250000 + 1), fmt.Sprintf("SKU-%06d", i*31%50000), int64(i%20 + 1),
			fmt.Sprintf("%d.%d", i*104729%99999999, i%10000), "shipped", note,
			base.Add(time.Duration(i) * 31123457 * time.Microsecond)}
	}
	return rows
}

var benchCols = []string{"id", "customer_id", "sku", "qty", "price", "status", "note", "created_at"}

var benchOIDs = []uint32{pgtype.Int8OID, pgtype.Int8OID, pgtype.VarcharOID, pgtype.Int4OID, pgtype.NumericOID,
	pgtype.VarcharOID, pgtype.TextOID, pgtype.TimestampOID}

// BenchmarkPgCopyEncode is the COPY encoder per row of the bench's orders
// table (ns/op and allocs/op are per row).
func BenchmarkPgCopyEncode(b *testing.B) {
	rows := benchRows(10000)
	m := pgtype.NewMap()
	b.ReportAllocs()
	b.ResetTimer()
	buf := make([]byte, 64<<10)
	for done := 0; done < b.N; {
		s := newPgCopyStream(pgEncoders(m, benchOIDs), benchCols, rows[:min(len(rows), b.N-done)])
		for {
			if _, err := s.Read(buf); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		done += len(s.rows)
		s.finish()
	}
}

// BenchmarkPgxCopyEncode is the same rows through pgx's encoding, as
// LoadBatch did before (decimals scanned into pgtype.Numeric).
func BenchmarkPgxCopyEncode(b *testing.B) {
	rows := benchRows(10000)
	m := pgtype.NewMap()
	b.ReportAllocs()
	b.ResetTimer()
	var buf []byte
	for i := 0; i < b.N; i++ {
		r := rows[i%len(rows)]
		buf = buf[:0]
		for j, v := range r {
			if j == 4 {
				var n pgtype.Numeric
				if err := n.Scan(v.(string)); err != nil {
					b.Fatal(err)
				}
				v = n
			}
			var err error
			if buf, err = m.Encode(benchOIDs[j], pgtype.BinaryFormatCode, v, buf); err != nil {
				b.Fatal(err)
			}
		}
	}
}
