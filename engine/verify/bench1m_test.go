package verify

// The 1M-row timing harness (not for CI): TIGHTROPE_BENCH_VERIFY=1 with
// both servers. It keeps a 1,000,000-row table in the PostgreSQL schema and
// the MariaDB database "tightrope_bench" (made on the first run: generated
// in PostgreSQL, copied to MariaDB with tightrope's copier) and compares
// verify.Table (MariaDB → PostgreSQL, no differences) with a plain read of
// both sides once in key order through the same adapters.

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

const (
	benchEnv   = "TIGHTROPE_BENCH_VERIFY"
	benchDB    = "tightrope_bench"
	benchTable = "bench_1m"
	benchRows  = 1_000_000
)

var benchDDL = map[string]string{
	db.Postgres: "id bigint PRIMARY KEY, n bigint NOT NULL, name varchar(32) NOT NULL, qty int, " +
		"amount numeric(12,4), code varchar(16), note text, at timestamp",
	db.MySQL: "id bigint PRIMARY KEY, n bigint NOT NULL, name varchar(32) NOT NULL, qty int, " +
		"amount decimal(12,4), code varchar(16), note text, at datetime(6)",
}

// benchGenerate fills the PostgreSQL table: every column type of the
// table varies, a fifth of the notes are NULL.
const benchGenerate = `INSERT INTO bench_1m
SELECT g, (g * 7919) % 1000003, 'name-' || substr(md5(g::text), 1, 27), (g % 1000)::int,
  round(((g * 37) % 10000000)::numeric / 1000, 4), 'c' || (g % 997),
  CASE WHEN g % 5 = 0 THEN NULL ELSE 'note number ' || g END,
  timestamp '2020-01-01' + g * interval '17 second' + (g % 1000000) * interval '1 microsecond'
FROM generate_series(1::bigint, 1000000::bigint) g`

// benchTables opens (and on the first run fills) the bench databases.
func benchTables(t *testing.T) (my, pg db.DB) {
	if os.Getenv(benchEnv) != "1" {
		t.Skipf("set %s=1 (and the server DSNs) to time verify on 1M rows", benchEnv)
	}
	pg, my = newPostgres(t, benchDB), newMySQL(t, benchDB)
	ctx := testCtx(t)
	if n, err := pg.Count(ctx, benchTable); err != nil || n != benchRows {
		mustExec(t, pg, "DROP TABLE IF EXISTS "+benchTable)
		createTable(t, pg, benchTable, benchDDL)
		mustExec(t, pg, benchGenerate, "VACUUM ANALYZE "+benchTable)
	}
	if n, err := my.Count(ctx, benchTable); err != nil || n != benchRows {
		mustExec(t, my, "DROP TABLE IF EXISTS "+benchTable)
		createTable(t, my, benchTable, benchDDL)
		copyTable(t, pg, my, benchTable, runbooks.Step{Batch: 5000})
		mustExec(t, my, "ANALYZE TABLE "+benchTable)
	}
	return my, pg
}

// plainRead reads a table once in key order, ReadBatch after ReadBatch,
// and returns the row count.
func plainRead(ctx context.Context, d db.DB, t db.Table, cols []string) (int, error) {
	n := 0
	var after []any
	for {
		rows, err := d.ReadBatch(ctx, t, cols, after, readBatch)
		if err != nil {
			return n, err
		}
		n += len(rows)
		if len(rows) < readBatch {
			return n, nil
		}
		after = rows[len(rows)-1][:1]
	}
}

func TestBenchVerify1M(t *testing.T) {
	my, pg := benchTables(t)
	ctx := testCtx(t)
	p, err := copyengine.MakePlan(ctx, my, pg, benchTable, runbooks.Step{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dstT := p.Target
	dstT.Key = p.Source.Key
	read := func(d db.DB, tb db.Table) func() {
		return func() {
			if n, err := plainRead(ctx, d, tb, p.Cols); err != nil || n != benchRows {
				t.Fatalf("plain read of %s: %d rows, %v", d.Driver(), n, err)
			}
		}
	}
	readMy, readPG := read(my, p.Source), read(pg, dstT)
	timed := func(f func()) time.Duration {
		start := time.Now()
		f()
		return time.Since(start)
	}
	rounds, _ := strconv.Atoi(os.Getenv("TIGHTROPE_BENCH_ROUNDS"))
	best := map[string]time.Duration{}
	note := func(name string, d time.Duration) {
		if b, ok := best[name]; !ok || d < b {
			best[name] = d
		}
	}
	for range max(rounds, 3) {
		tm, tp := timed(readMy), timed(readPG)
		note("read mysql", tm)
		note("read postgres", tp)
		note("read both, one after the other", tm+tp)
		note("read both at once", timed(func() {
			var wg sync.WaitGroup
			wg.Go(readMy)
			wg.Go(readPG)
			wg.Wait()
		}))
		note("verify", timed(func() {
			check, err := Table(ctx, my, pg, benchTable, runbooks.Step{})
			if err != nil || check.Mismatches != 0 || check.SourceRows != benchRows || check.TargetRows != benchRows {
				t.Fatalf("verify: %+v %v", check, err)
			}
		}))
	}
	for _, k := range []string{"read mysql", "read postgres", "read both, one after the other", "read both at once", "verify"} {
		t.Logf("%-32s %v", k, best[k].Round(time.Millisecond))
	}
	t.Logf("verify / sequential read = %.2f", float64(best["verify"])/float64(best["read both, one after the other"]))
	t.Logf("verify / concurrent read = %.2f", float64(best["verify"])/float64(best["read both at once"]))
}
