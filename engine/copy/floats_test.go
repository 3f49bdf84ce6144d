package copy_test

// FLOAT and DOUBLE values arrive bit for bit in every direction, and
// verify reads them as exactly: MariaDB's text protocol prints a FLOAT with
// six significant digits, which rounded 16777216 to 16777200 on the way to
// PostgreSQL and made verify report the other direction as mismatched.

import (
	"math"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
)

var floatCols = []string{"id", "f", "d"}

// createFloatTable creates (id, f 32-bit float, d 64-bit float).
func createFloatTable(t *testing.T, d db.DB, table string) {
	t.Helper()
	cols := "id INTEGER PRIMARY KEY, f REAL, d REAL"
	switch d.Driver() {
	case db.Postgres:
		cols = "id bigint PRIMARY KEY, f real, d double precision"
	case db.MySQL:
		cols = "id bigint PRIMARY KEY, f float, d double"
	}
	mustExec(t, d, "CREATE TABLE "+d.Quote(table)+" ("+cols+")")
}

// floatRows are values whose six-digit text differs from the value: the
// float32 neighbours of 2^24, pi, 123456789, the smallest normal and
// subnormal and the largest float32, and doubles needing 17 digits.
func floatRows() [][]any {
	fs := []float32{16777216, 16777218, 3.1415927, 123456792, 1.1754944e-38, math.SmallestNonzeroFloat32,
		math.MaxFloat32, -0.1, 1.0000001, 0, 7}
	ds := []float64{0.1, 1.0000000000000002, -2.2250738585072014e-308, 5e-324, math.MaxFloat64,
		123456789.12345679, -1.2345678901234568e-300, 0, 3.141592653589793, 1e22, 7}
	rows := make([][]any, len(fs))
	for i := range fs {
		rows[i] = []any{int64(i + 1), fs[i], ds[i]}
	}
	rows = append(rows, []any{int64(len(fs) + 1), nil, nil})
	return rows
}

func TestFloatsArriveExactlyInEveryDirection(t *testing.T) {
	copiesExactlyEverywhere(t, exactCase{table: "floats", cols: floatCols, create: createFloatTable,
		rows: floatRows(), batch: 5})
}
