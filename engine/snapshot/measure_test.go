package snapshot

// TestMeasure compares tightrope's snapshot + restore (with every
// verification) against the native tools run by hand, on a 200k-row table
// (bigint key, numeric, varchar, timestamp, nullable text), back to back.
// It is slow, so it runs only with TIGHTROPE_SNAPSHOT_MEASURE=1:
//
//	TIGHTROPE_SNAPSHOT_MEASURE=1 go test ./engine/snapshot -run Measure -v
//
// TIGHTROPE_SNAPSHOT_MEASURE_ROUNDS sets the number of pairs (default 5).

import (
	"fmt"
	"net/url"
	"os"
	osexecpkg "os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/verify"
)

const measureRows = 200000

func TestMeasure(t *testing.T) {
	if os.Getenv("TIGHTROPE_SNAPSHOT_MEASURE") != "1" {
		t.Skip("set TIGHTROPE_SNAPSHOT_MEASURE=1 to measure")
	}
	rounds := 5
	if n, err := strconv.Atoi(os.Getenv("TIGHTROPE_SNAPSHOT_MEASURE_ROUNDS")); err == nil && n > 0 {
		rounds = n // more pairs on a busy machine
	}
	t.Run("postgres", func(t *testing.T) {
		d, dsn := pgServer(t)
		exec(t, d, `CREATE TABLE bench (id bigint PRIMARY KEY, amount numeric(12,2), name varchar(40), at timestamp, note text)`,
			fmt.Sprintf(`INSERT INTO bench SELECT n, n * 1.25, 'name ' || n, timestamp '2024-01-01' + n * interval '1 second',
				CASE WHEN n %% 5 = 0 THEN NULL ELSE 'note ' || n END FROM generate_series(1, %d) n`, measureRows), "ANALYZE bench")
		u, _ := url.Parse(dsn)
		schema := u.Query().Get("search_path")
		q := u.Query()
		q.Del("search_path")
		u.RawQuery = q.Encode()
		native := func(dir string) (dump, restore time.Duration) {
			file := filepath.Join(dir, "native.pgdump")
			start := time.Now()
			run(t, "pg_dump", "--format=custom", "--schema="+schema, "--file="+file, "--dbname="+u.String())
			dump = time.Since(start)
			run(t, "pg_restore", "--clean", "--if-exists", "--single-transaction", "--no-owner", "--dbname="+u.String(), file)
			return dump, time.Since(start) - dump
		}
		measure(t, d, db.MethodPgDump, rounds, native)
	})
	t.Run("mysql", func(t *testing.T) {
		d, dsn := mysqlServer(t)
		exec(t, d, `CREATE TABLE digits (d int)`, `INSERT INTO digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)`,
			`CREATE TABLE bench (id bigint PRIMARY KEY, amount decimal(12,2), name varchar(40), at datetime, note text)`,
			fmt.Sprintf(`INSERT INTO bench SELECT n, n * 1.25, CONCAT('name ', n), TIMESTAMP('2024-01-01') + INTERVAL n SECOND,
				IF(n %% 5 = 0, NULL, CONCAT('note ', n)) FROM (SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d AS n
				FROM digits a, digits b, digits c, digits e, digits f, digits g) x WHERE n <= %d`, measureRows),
			`DROP TABLE digits`)
		cfg, _ := mysql.ParseDSN(dsn)
		host, port, _ := splitAddr(cfg.Addr)
		native := func(dir string) (dump, restore time.Duration) {
			file := filepath.Join(dir, "native.sql")
			args := []string{"-h", host, "-P", port, "-u", cfg.User}
			start := time.Now()
			run(t, "mysqldump", append(args, "--single-transaction", "--result-file="+file, cfg.DBName)...)
			dump = time.Since(start)
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cmd := osexec("mysql", append(args, cfg.DBName)...)
			cmd.Stdin = f
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("mysql: %v: %s", err, out)
			}
			return dump, time.Since(start) - dump
		}
		measure(t, d, db.MethodSchema, rounds, native)
		measure(t, d, db.MethodMysqldump, rounds, native)
	})
}

// measure runs native and tightrope back to back, rounds times, and logs
// the medians and where tightrope's time went, as fractions of the native
// total (dump + restore).
func measure(t *testing.T, d db.DB, method string, rounds int, native func(dir string) (dump, restore time.Duration)) {
	var natDump, natRestore, nat, tr, take, check, restore, ver, sums []time.Duration
	for i := range rounds {
		dir := t.TempDir()
		nd, nr := native(dir)
		natDump, natRestore, nat = append(natDump, nd), append(natRestore, nr), append(nat, nd+nr)

		start := time.Now()
		m, err := Take(testCtx(t), d, request(dir, method, i))
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		res, err := Restore(testCtx(t), d, m)
		if err != nil || !res.Verified {
			t.Fatalf("restore: %v, verified %v", err, res.Verified)
		}
		tr = append(tr, time.Since(start))
		take, check, restore, ver = append(take, took), append(check, res.Check), append(restore, res.Restore), append(ver, res.Verify)

		start = time.Now()
		if _, err := verify.Checksums(testCtx(t), d, []string{"bench"}); err != nil {
			t.Fatal(err)
		}
		sums = append(sums, time.Since(start))
	}
	med := func(d []time.Duration) time.Duration { d = slices.Clone(d); slices.Sort(d); return d[len(d)/2] }
	n := med(nat)
	f := func(d []time.Duration) string { return fmt.Sprintf("%.2f", float64(med(d))/float64(n)) }
	ratios := make([]float64, rounds)
	for i := range ratios {
		ratios[i] = float64(tr[i]) / float64(nat[i])
	}
	slices.Sort(ratios)
	t.Logf("%s %s: tightrope / native = %.2f (median of %d back-to-back pairs, range %.2f–%.2f; native %v, tightrope %v)",
		d.Driver(), method, ratios[rounds/2], rounds, ratios[0], ratios[rounds-1], n.Round(time.Millisecond), med(tr).Round(time.Millisecond))
	t.Logf("  native: dump %s, restore %s · tightrope: take %s (incl. checksums), check %s, restore %s, verify %s · one checksum pass %s",
		f(natDump), f(natRestore), f(take), f(check), f(restore), f(ver), f(sums))
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := osexec(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", name, err, out)
	}
}

func osexec(name string, args ...string) *osexecpkg.Cmd { return osexecpkg.Command(name, args...) }

func splitAddr(addr string) (string, string, error) {
	host, port := addr, "3306"
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			host, port = addr[:i], addr[i+1:]
			break
		}
	}
	return host, port, nil
}
