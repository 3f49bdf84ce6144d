package copy_test

// A network drop while a copy reads a table's catalog or counts its rows
// (at a table's start, or after a stalled copy starts again): the copy
// must retry those reads like its batch reads and finish exactly, not
// fail with the driver's "invalid connection".

import (
	"strings"
	"testing"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
)

// patientSink is a memSink with the copy's default patience, so a retry
// outlasts a network drop of a few seconds.
type patientSink struct{ *memSink }

func (patientSink) Tuning() copyengine.Tuning { return copyengine.DefaultTuning }

func TestCopySurvivesADropAtTheCatalog(t *testing.T) {
	const drop = 3 * time.Second
	// catalog is the text of each driver's column catalog query.
	catalog := map[string]string{db.MySQL: "information_schema.COLUMNS", db.Postgres: "pg_attribute"}
	for _, pair := range [][2]string{{db.MySQL, db.Postgres}, {db.Postgres, db.MySQL}} {
		for _, at := range []string{"columns", "count", "target columns"} {
			t.Run(pair[0]+"_to_"+pair[1]+"/"+strings.ReplaceAll(at, " ", "_"), func(t *testing.T) {
				f := newResumeFixture(t, pair[0], pair[1])
				far, query := f.src, catalog[pair[0]]
				switch at {
				case "count":
					query = "count(*)"
				case "target columns":
					far, query = f.dst, catalog[pair[1]]
				}
				p := startProxy(t, far.addr)
				src, dst := db.DB(f.src), db.DB(f.dst)
				if far == f.src {
					src = f.src.reopenAt(t, p.addr())
				} else {
					dst = f.dst.reopenAt(t, p.addr())
				}
				p.cutAtQuery(query, drop)
				sink := newSink()
				start := time.Now()
				c, err := copyengine.Table(testCtx(t), src, dst, resumeTable, copyStep(resumeBatch, resumeTable), "test/copy", patientSink{sink})
				if err != nil {
					t.Fatalf("the copy failed after a %s drop at the %s: %v", drop, at, err)
				}
				f.check(t, c, sink)
				if p.cutCount() != 1 || sink.retryCount() == 0 {
					t.Errorf("%d cuts (want 1), %d retries reported", p.cutCount(), sink.retryCount())
				}
				if took := time.Since(start); took < drop {
					t.Errorf("the copy took %s, less than the drop: the cut did not land", took)
				}
				t.Logf("%d retries; first: %v", sink.retryCount(), sink.retries[0].err)
			})
		}
	}
}
