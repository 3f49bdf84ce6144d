package copy_test

// The copy's promise as a property: over random values of every supported
// type family, in every direction among SQLite, PostgreSQL and MariaDB,
// each value either arrives exactly — the target's value renders, under
// the source column's type, the same canonical text as the value the test
// generated — or its row is rejected with a reason. Never changed. The
// generated value is the ground truth, so a read that rounds (as MySQL's
// FLOAT did) is caught on either side.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
)

var propCols = []string{"id", "i64", "i16", "dec", "f4", "f8", "txt", "flag", "day", "ts", "tod", "bin", "doc"}

// createPropTable creates one column per type family in the driver's dialect.
func createPropTable(t *testing.T, d db.DB, table string) {
	t.Helper()
	var cols string
	switch d.Driver() {
	case db.Postgres:
		cols = "id bigint PRIMARY KEY, i64 bigint, i16 smallint, dec numeric(18,6), f4 real, f8 double precision, " +
			"txt varchar(20), flag boolean, day date, ts timestamp(6), tod time(6), bin bytea, doc json"
	case db.MySQL:
		cols = "id bigint PRIMARY KEY, i64 bigint, i16 smallint, `dec` decimal(18,6), f4 float, f8 double, " +
			"txt varchar(20), flag boolean, day date, ts datetime(6), tod time(6), bin varbinary(64), doc json"
	default:
		cols = "id INTEGER PRIMARY KEY, i64 BIGINT, i16 SMALLINT, dec NUMERIC(18,6), f4 REAL, f8 DOUBLE, " +
			"txt VARCHAR(20), flag BOOLEAN, day DATE, ts DATETIME, tod TIME, bin BLOB, doc JSON"
	}
	stmt := "CREATE TABLE " + d.Quote(table) + " (" + cols + ")"
	if d.Driver() == db.MySQL {
		stmt += " DEFAULT CHARSET=utf8mb4"
	}
	mustExec(t, d, stmt)
}

// propGen generates values a source engine holds exactly; what the others
// do with them is the property under test.
type propGen struct {
	r      *rand.Rand
	source string
}

func (g propGen) pick(n int) int { return g.r.IntN(n) }

func (g propGen) int64() any {
	edges := []int64{math.MinInt64, math.MaxInt64, 0, -1, 1 << 53, 1<<53 + 1}
	if g.pick(4) == 0 {
		return edges[g.pick(len(edges))]
	}
	return int64(g.r.Uint64())
}

func (g propGen) decimal() any {
	digits := 12 // numeric(18,6): 12 before the point
	if g.source == db.SQLite {
		digits = 9 // SQLite keeps a NUMERIC as a REAL: 15 significant digits in all
	}
	if g.source == db.Postgres && g.pick(40) == 0 {
		return "NaN" // numeric(18,6) holds NaN (not the infinities)
	}
	var b strings.Builder
	if g.pick(2) == 0 {
		b.WriteByte('-')
	}
	b.WriteString(strconv.FormatUint(g.r.Uint64N(uint64(math.Pow10(g.pick(digits)+1))), 10))
	b.WriteByte('.')
	fmt.Fprintf(&b, "%06d", g.r.IntN(1000000))
	return b.String()
}

// float returns a random float of the width: any bit pattern, so
// subnormals, extremes and (where the source holds them) NaN and the
// infinities come up.
func (g propGen) float(bits int) any {
	for {
		var f float64
		if bits == 32 {
			f = float64(math.Float32frombits(g.r.Uint32()))
		} else {
			f = math.Float64frombits(g.r.Uint64())
		}
		if g.pick(8) == 0 {
			f = []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, 16777217, 0.1}[g.pick(6)]
		}
		switch {
		case math.IsNaN(f) && g.source != db.Postgres: // MySQL has none; SQLite stores NULL
			continue
		case math.IsInf(f, 0) && g.source == db.MySQL:
			continue
		case math.IsNaN(f):
			f = math.NaN() // one NaN: payloads are not values
		}
		if bits == 32 {
			return float32(f)
		}
		return f
	}
}

func (g propGen) text() any {
	pool := []rune("aZ 09'\"\\%_é中ßÄ🙂\t\n€")
	n := g.pick(21)
	if g.source == db.SQLite && g.pick(10) == 0 {
		n = 21 + g.pick(5) // SQLite does not enforce VARCHAR(20); the others refuse it
	}
	out := make([]rune, n)
	for i := range out {
		out[i] = pool[g.pick(len(pool))]
	}
	return string(out)
}

// when returns a random instant from 0001-01-01 to 9999-12-31, microseconds.
func (g propGen) when() time.Time {
	lo := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	hi := time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC).UnixMicro()
	switch g.pick(10) {
	case 0:
		return time.UnixMicro(lo).UTC()
	case 1:
		return time.UnixMicro(hi).UTC()
	}
	return time.UnixMicro(lo + g.r.Int64N(hi-lo+1)).UTC()
}

// infinity is PostgreSQL's ±infinity of a date or timestamp, now and then.
func (g propGen) infinity() (any, bool) {
	if g.source != db.Postgres || g.pick(40) != 0 {
		return nil, false
	}
	return []string{"infinity", "-infinity"}[g.pick(2)], true
}

func (g propGen) date() any {
	if g.source == db.SQLite && g.pick(20) == 0 {
		return "2023-02-29" // SQLite keeps any text
	}
	if inf, ok := g.infinity(); ok {
		return inf
	}
	tm := g.when()
	return time.Date(tm.Year(), tm.Month(), tm.Day(), 0, 0, 0, 0, time.UTC)
}

func (g propGen) timestamp() any {
	if inf, ok := g.infinity(); ok {
		return inf
	}
	return g.when()
}

func (g propGen) timeOfDay() any {
	micros := g.r.Int64N(24 * 3600 * 1e6)
	d := time.Duration(micros) * time.Microsecond
	return fmt.Sprintf("%02d:%02d:%02d.%06d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60, micros%1e6)
}

func (g propGen) bytes() any {
	b := make([]byte, g.pick(65))
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

func (g propGen) json() any {
	nums := []string{"1.0000000000000002", "12345678901234567890123", "-0", "1e400", "0.1", "3", "-2.5e-7"}
	return fmt.Sprintf(`{"n":%s,"s":%q,"a":[true,null,%s]}`,
		nums[g.pick(len(nums))], g.text(), nums[g.pick(len(nums))])
}

// row generates one row; about one value in ten is NULL.
func (g propGen) row(id int64) []any {
	gens := []func() any{g.int64, func() any { return int64(int16(g.r.Uint32())) }, g.decimal,
		func() any { return g.float(32) }, func() any { return g.float(64) }, g.text,
		func() any { return g.pick(2) == 0 }, g.date, g.timestamp, g.timeOfDay, g.bytes, g.json}
	r := []any{id}
	for _, gen := range gens {
		v := gen()
		if g.pick(10) == 0 {
			v = nil
		}
		r = append(r, v)
	}
	return r
}

// propArgs spells a generated row as the source's driver binds it: times
// as text for MySQL (whose driver sends 0001-01-01 as 0000-00-00) and
// SQLite (which keeps text), booleans as 0/1 for SQLite.
func propArgs(driver string, row []any) []any {
	out := append([]any(nil), row...)
	for i, v := range out {
		switch x := v.(type) {
		case time.Time:
			if driver != db.Postgres {
				out[i] = x.Format("2006-01-02 15:04:05.999999")
				if propCols[i] == "day" {
					out[i] = x.Format("2006-01-02")
				}
			}
		case bool:
			if driver == db.SQLite {
				out[i] = map[bool]int64{false: 0, true: 1}[x]
			}
		}
	}
	return out
}

func propSeed(t *testing.T) uint64 {
	seed := uint64(20240229)
	if s := os.Getenv("TIGHTROPE_PROPERTY_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("TIGHTROPE_PROPERTY_SEED: %v", err)
		}
		seed = n
	}
	return seed
}

func TestEveryValueArrivesExactlyOrIsRejected(t *testing.T) {
	const n = 300
	seed := propSeed(t)
	for pi, from := range drivers {
		for pj, to := range drivers {
			t.Run(from+"_to_"+to, func(t *testing.T) {
				g := propGen{r: rand.New(rand.NewPCG(seed, uint64(pi*3+pj))), source: from}
				rows := make([][]any, n)
				args := make([][]any, n)
				for i := range rows {
					rows[i] = g.row(int64(i + 1))
					args[i] = propArgs(from, rows[i])
				}
				src, dst := newDB(t, from), newDB(t, to)
				const table = "prop"
				createPropTable(t, src, table)
				createPropTable(t, dst, table)
				insertRows(t, src, table, propCols, args)
				got, srcTypes := readTable(t, src, table, propCols)
				checkSame(t, "the source (the test's premise)", rows, got, srcTypes, nil, seed)

				step := copyStep(64, table)
				sink := newSink()
				c := copyTable(t, src, dst, table, step, sink)
				checkCopied(t, src, dst, table, step, c, sink)
				if to == db.MySQL && !db.LoadsByInfile(dst.DB) { // the values went by LOAD DATA, not INSERT
					t.Error("the MySQL target fell back from LOAD DATA LOCAL INFILE to INSERT")
				}
				rejected := map[int64]bool{}
				reasons := map[string]int{}
				for _, r := range sink.rejectList(table) {
					reasons[r.Column+":"+r.Reason]++
					id, _ := strconv.ParseInt(fmt.Sprint(r.Key["id"]), 10, 64)
					rejected[id] = true
					if r.Reason == "" || r.Detail == "" {
						t.Errorf("row %d rejected without a reason: %+v", id, r)
					}
				}
				out, _ := readTable(t, dst, table, propCols)
				checkSame(t, "the target", rows, out, srcTypes, rejected, seed)
				t.Logf("%d rows: %d written, %d rejected %v", n, c.Written, c.Rejected, reasons)
			})
		}
	}
}

// checkSame compares rows read back (in key order, rejected ids missing)
// with the generated rows, column by column under the source's types.
func checkSame(t *testing.T, where string, want, got [][]any, types []convert.Type, rejected map[int64]bool, seed uint64) {
	t.Helper()
	var kept [][]any
	for _, r := range want {
		if !rejected[r[0].(int64)] {
			kept = append(kept, r)
		}
	}
	if len(got) != len(kept) {
		t.Fatalf("%s holds %d rows, want %d (seed %d)", where, len(got), len(kept), seed)
	}
	bad := 0
	for i := range kept {
		for j := range kept[i] {
			w, g := convert.Canonical(kept[i][j], types[j]), convert.Canonical(got[i][j], types[j])
			if w != g {
				if bad++; bad <= 10 {
					t.Errorf("%s, row %v, %s (%s): got %q, want %q (values %#v, %#v; seed %d)",
						where, kept[i][0], propCols[j], types[j], g, w, got[i][j], kept[i][j], seed)
				}
			}
		}
	}
	if bad > 10 {
		t.Errorf("%s: %d values differ in all", where, bad)
	}
}
