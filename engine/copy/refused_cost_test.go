package copy_test

import (
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/db"
)

// TestRefusedSplitCost times one 1000-row batch with no orphan (the
// baseline), with 10 orphans and with every row an orphan: the bisection goes down to single rows, which must
// stay within seconds on a local server (the times are logged).
func TestRefusedSplitCost(t *testing.T) {
	for _, target := range []string{db.Postgres, db.MySQL} {
		for _, every := range []int64{0, 100, 1} {
			orphans := map[int64]bool{}
			for i := int64(1); i <= 1000; i++ {
				if every > 0 && i%every == 37%every {
					orphans[i] = true
				}
			}
			src, dst := newDB(t, db.SQLite), newDB(t, target)
			rc := refusedCase{n: 1000, orphans: orphans}
			name := setupRefused(t, src, dst, rc)
			sink := newSink()
			start := time.Now()
			c := copyTable(t, src, dst, name, copyStep(1000, name), sink)
			took := time.Since(start)
			t.Logf("%s: 1000-row batch with %d orphans: %s", target, len(orphans), took)
			if c.Rejected != int64(len(orphans)) || c.Written != int64(1000-len(orphans)) {
				t.Errorf("%s: counters %+v with %d orphans", target, c, len(orphans))
			}
			if took > 30*time.Second {
				t.Errorf("%s: %d orphans in one batch took %s", target, len(orphans), took)
			}
		}
	}
}
