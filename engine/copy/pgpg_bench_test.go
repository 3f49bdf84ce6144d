package copy_test

// The CPU the copy itself spends moving a table PostgreSQL → PostgreSQL
// (bench/run.sh's orders table, the runbook's defaults), per row: what
// the servers do is not in it, so it is steadier than wall time on a
// shared machine.

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// benchOrdersDDL is bench/run.sh's orders table.
const benchOrdersDDL = `CREATE TABLE %s.orders (
  id bigint PRIMARY KEY, customer_id bigint NOT NULL, sku varchar(32) NOT NULL, qty int NOT NULL,
  price numeric(12,4) NOT NULL, status varchar(16) NOT NULL, note text NULL, created_at timestamp NOT NULL)`

// benchOrdersFill is bench/run.sh's data: every column a function of id.
const benchOrdersFill = `INSERT INTO %s.orders
SELECT i, (i * 7919) %% 250000 + 1, 'SKU-' || lpad(((i * 31) %% 50000)::text, 6, '0'), (i %% 20) + 1,
       round(((i * 104729) %% 999999999999)::numeric / 10000, 4),
       (ARRAY['new','paid','packed','shipped','delivered','returned','cancelled'])[i %% 7 + 1],
       CASE WHEN i %% 10 < 3 THEN NULL
            WHEN i %% 10 = 3 THEN 'Lieferung an Straße ' || i || ', Zürich — "Tür 2", bitte klingeln'
            WHEN i %% 10 = 4 THEN 'gift, wrap it 🎁 #' || i
            ELSE 'note ' || md5(i::text) END,
       timestamp '2021-01-01 00:00:00' + i * interval '31.123457 seconds'
FROM generate_series(1::bigint, %d::bigint) AS g(i)`

// cpuTime is the user + system CPU time of this process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCopyPgToPgCPU copies TIGHTROPE_BENCH_ROWS (default 200,000)
// orders rows per iteration into an emptied target and reports the
// process's CPU per row (cpu-ns/row) and allocations per row.
func BenchmarkCopyPgToPgCPU(b *testing.B) {
	rows := 200_000
	if s := os.Getenv("TIGHTROPE_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("TIGHTROPE_BENCH_ROWS=%q is not a positive number", s)
		}
		rows = n
	}
	base := serverDSN(b, pgDSNEnv, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	admin, err := openDSN(b, db.Postgres, base)
	if err != nil {
		serverDown(b, pgDSNEnv, err)
	}
	schemas := map[string]string{}
	for _, side := range []string{"src", "dst"} {
		s := uniqueName(b) + side
		schemas[side] = s
		mustExec(b, admin, "CREATE SCHEMA "+admin.Quote(s), fmt.Sprintf(benchOrdersDDL, admin.Quote(s)))
		b.Cleanup(func() {
			if _, err := admin.SQL().Exec("DROP SCHEMA " + admin.Quote(s) + " CASCADE"); err != nil {
				b.Errorf("drop schema %s: %v", s, err)
			}
		})
	}
	mustExec(b, admin, fmt.Sprintf(benchOrdersFill, admin.Quote(schemas["src"]), rows),
		"VACUUM (ANALYZE) "+admin.Quote(schemas["src"])+".orders")
	open := func(schema string) db.DB {
		d, err := openDSN(b, db.Postgres, base+"&search_path="+schema)
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	src, dst := open(schemas["src"]), open(schemas["dst"])
	step := runbooks.Step{ID: "copy", Kind: runbooks.KindCopy, Tables: []string{"orders"}}
	ctx := testCtx(b)
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(200)) // as the tightrope command runs
	}
	var cpu time.Duration
	var mallocs, bytes, gcs uint64
	var ms runtime.MemStats
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		mustExec(b, dst, "TRUNCATE orders")
		runtime.GC()
		runtime.ReadMemStats(&ms)
		m0, a0, g0, c0 := ms.Mallocs, ms.TotalAlloc, ms.NumGC, cpuTime(b)
		b.StartTimer()
		c, err := copyengine.Table(ctx, src, dst, "orders", step, "bench/"+strconv.Itoa(i), newSink())
		b.StopTimer()
		cpu += cpuTime(b) - c0
		runtime.ReadMemStats(&ms)
		mallocs += ms.Mallocs - m0
		bytes += ms.TotalAlloc - a0
		gcs += uint64(ms.NumGC - g0)
		if err != nil {
			b.Fatal(err)
		}
		if c.Read != int64(rows) || c.Written != int64(rows) || c.Rejected != 0 {
			b.Fatalf("read %d written %d rejected %d, want %d, %d, 0", c.Read, c.Written, c.Rejected, rows, rows)
		}
		b.StartTimer()
	}
	n := float64(b.N) * float64(rows)
	b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/row")
	b.ReportMetric(float64(mallocs)/n, "allocs/row")
	b.ReportMetric(float64(bytes)/n, "B/row")
	b.ReportMetric(float64(gcs)/float64(b.N), "GCs/copy")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/row")
}
