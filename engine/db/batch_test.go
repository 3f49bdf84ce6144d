package db

import (
	"runtime"
	"testing"
)

// A batch's rows take no more memory than the batch's limit of rows: the
// last backing array is cut to the rows the batch may still ask for.
func TestRowAllocStaysWithinTheLimit(t *testing.T) {
	const ncols, limit = 8, 5000
	for _, asked := range []int{1, 4096, 4097, limit} {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		a := newRowAlloc(ncols, limit)
		rows := make([][]any, asked)
		for i := range rows {
			rows[i] = a.row()
			if len(rows[i]) != ncols || cap(rows[i]) != ncols {
				t.Fatalf("row %d has len %d cap %d, want %d", i, len(rows[i]), cap(rows[i]), ncols)
			}
		}
		runtime.ReadMemStats(&ms)
		got := ms.TotalAlloc - before - uint64(asked)*24         // the rows slice itself
		if most := uint64(limit*ncols*16) + 32<<10; got > most { // size classes round up
			t.Errorf("%d of %d rows: %d bytes allocated, more than %d", asked, limit, got, most)
		}
		rows[0][ncols-1] = 1
		if asked > 1 && rows[1][0] != nil {
			t.Error("rows share values")
		}
	}
}
