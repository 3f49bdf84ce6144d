package verify

// The 1M-row timing harness (not for CI): TIGHTROPE_BENCH_VERIFY=1 with
// both servers. It keeps a 1,000,000-row table in the PostgreSQL schema and
// the MariaDB database "tightrope_verify_bench" (made on the first run: generated
// in PostgreSQL, copied to MariaDB with tightrope's copier) and compares
// verify.Table (MariaDB → PostgreSQL, no differences) with a plain read of
// both sides once in key order through the same adapters.

import (
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

const (
	benchEnv   = "TIGHTROPE_BENCH_VERIFY"
	benchDB    = "tightrope_verify_bench"
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
	batch := DefaultSizes().ReadBatch // as verify reads
	for {
		rows, err := d.ReadBatch(ctx, t, cols, after, batch)
		if err != nil {
			return n, err
		}
		n += len(rows)
		if len(rows) < batch {
			return n, nil
		}
		after = rows[len(rows)-1][:1]
	}
}

func TestBenchVerify1M(t *testing.T) {
	my, pg := benchTables(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
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
	rounds, _ := strconv.Atoi(os.Getenv("TIGHTROPE_BENCH_ROUNDS"))
	// Each round times the reads and verify back to back, so that the load
	// of a shared machine weighs on both alike; the ratios are per round.
	var seqRatios, conRatios []float64
	for round := range max(rounds, 3) {
		tm, cm := timed(readMy)
		tp, cp := timed(readPG)
		tc, cc := timed(func() {
			var wg sync.WaitGroup
			wg.Go(readMy)
			wg.Go(readPG)
			wg.Wait()
		})
		tv, cv := timed(func() {
			check, err := Table(ctx, my, pg, benchTable, runbooks.Step{})
			if err != nil || check.Mismatches != 0 || check.SourceRows != benchRows || check.TargetRows != benchRows {
				t.Fatalf("verify: %+v %v", check, err)
			}
		})
		seqRatios = append(seqRatios, float64(tv)/float64(tm+tp))
		conRatios = append(conRatios, float64(tv)/float64(tc))
		t.Logf("round %d: read mysql %v (cpu %v), read postgres %v (cpu %v), both at once %v (cpu %v), verify %v (cpu %v): "+
			"verify/sequential %.2f, verify/concurrent %.2f", round+1, ms(tm), ms(cm), ms(tp), ms(cp), ms(tc), ms(cc), ms(tv), ms(cv),
			seqRatios[round], conRatios[round])
	}
	t.Logf("median verify / sequential read = %.2f", median(seqRatios))
	t.Logf("median verify / concurrent read = %.2f", median(conRatios))
}

// timed runs f and returns the wall time and this process's CPU time
// (user + system; the database servers' is not included).
func timed(f func()) (wall, cpu time.Duration) {
	c0, start := cpuTime(), time.Now()
	f()
	return time.Since(start), cpuTime() - c0
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}
