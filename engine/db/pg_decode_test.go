package db

import (
	"fmt"
	"testing"
)

// TestPostgresReadMatchesPgValue reads edge values of every type with
// ReadBatch's per-column decoders and with pgValue (what ReadBatch used
// to call for every value): the same Go values.
func TestPostgresReadMatchesPgValue(t *testing.T) {
	d := pgTestDB(t)
	ctx := testCtx(t)
	mustExec(t, d, `CREATE TABLE rd (id int PRIMARY KEY, i2 smallint, i4 int, i8 bigint, f4 real, f8 double precision,
		ok boolean, s text, ch char(4), b bytea, ts timestamp, tz timestamptz, dt date, n numeric, j jsonb, tm time)`,
		`INSERT INTO rd VALUES
		(1, -32768, -2147483648, -9223372036854775808, 'NaN', '-Infinity', true, 'héllo', 'ab', '\x00ff',
		 '4713-11-24 00:00:00 BC', '0001-01-01 00:00:00+00', '4713-11-24 BC', 'NaN', '{"a": [1.50]}', '24:00:00'),
		(2, 32767, 2147483647, 9223372036854775807, 3.4e38, 1e308, false, '', '', '',
		 '294276-12-31 23:59:59.999999', '1999-12-31 23:59:59.999999+00', '5874897-12-31', '-0.000', '[]', '00:00:00'),
		(3, 0, 0, 0, -0.0, 0.1, NULL, NULL, NULL, NULL, 'infinity', '-infinity', 'infinity', '1e-20', NULL, NULL),
		(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '-infinity', 'infinity', '-infinity', NULL, NULL, NULL),
		(5, 1, 2, 3, 1.5, 2.5, true, repeat('x', 20000), 'abcd', decode(repeat('ab', 20000), 'hex'),
		 '2000-01-01 00:00:00', '2026-03-29 02:30:00.5+02', '2000-01-01', '99999999.9999', '{}', '13:14:15.5')`)
	tb := mustTable(t, d, "rd")
	cols := colNames(tb)
	got := readAll(t, d, tb, cols, 2)
	q, args := selectAfter(tableQuoter(tb.Name, d.(*pgDB).quoteTable, d.Quote), pgPlaceholder, tb, cols, nil, 100)
	rows, err := d.(*pgDB).pool.Query(ctx, q, append([]any{pgResultFormats}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := rows.Conn().TypeMap()
	for r := 0; rows.Next(); r++ {
		for i, raw := range rows.RawValues() {
			want, err := pgValue(m, rows.FieldDescriptions()[i], raw)
			if err != nil {
				t.Fatal(err)
			}
			if g := got[r][i]; fmt.Sprintf("%T %#v", g, g) != fmt.Sprintf("%T %#v", want, want) {
				t.Errorf("row %d %s: got %T %#v, want %T %#v", r+1, cols[i], g, g, want, want)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
