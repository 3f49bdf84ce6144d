package main

// The promise under SIGKILL: a MariaDB → PostgreSQL copy run by the real
// binary is killed at random moments and resumed from its journal, again
// and again; at the end every source row is either in the target or in the
// journal's rejects, exactly once, never both, never neither.

import (
	"cmp"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// killCase is one scenario: tables of rows each, copied by parallel workers.
type killCase struct {
	name     string
	tables   []string
	rows     int
	parallel int
}

const (
	killSrcEnv      = "TIGHTROPE_KILL_SRC"
	killDstEnv      = "TIGHTROPE_KILL_DST"
	killRejectEvery = 200 // one row in 200 (0.5%) holds 'N/A' where the target wants an integer
)

func TestKillAndResumeKeepsEveryRowOnce(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("TIGHTROPE_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (rerun with TIGHTROPE_KILL_SEED=%d)", seed, seed)
	kills, scale := 5, 1
	if testing.Short() {
		kills, scale = 3, 5
	}
	for i, kc := range []killCase{
		{name: "one_table", tables: []string{"items"}, rows: 50000 / scale, parallel: 1},
		{name: "two_tables_parallel", tables: []string{"items", "parts"}, rows: 25000 / scale, parallel: 2},
	} {
		t.Run(kc.name, func(t *testing.T) {
			start := time.Now()
			srcDB, srcDSN := killSource(t, kc)
			dstDB, dstDSN := killTarget(t, kc)
			dir := t.TempDir()
			j := filepath.Join(dir, "run.journal")
			keepJournalOnFailure(t, j)
			env := []string{killSrcEnv + "=" + srcDSN, killDstEnv + "=" + dstDSN}
			t.Logf("databases ready in %s", time.Since(start).Round(time.Millisecond))

			rng := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
			killed := killUntilDone(t, env, writeKillRunbook(t, dir, kc), j, planKills(rng, kills), dstDB, kc)
			checkEveryRowOnce(t, env, j, srcDB, dstDB, kc)
			if out, code := tightrope(t, nil, "journal", "verify", j); code != 0 {
				t.Errorf("journal verify exit %d: %s", code, out)
			}
			t.Logf("%d kills, %s in all", killed, time.Since(start).Round(time.Millisecond))
		})
	}
}

// killUntilDone runs the runbook, kills it as planned, resuming it after
// each kill, and lets the last resume run to its end. It returns how many
// kills landed.
func killUntilDone(t *testing.T, env []string, runbook, journal string, plan []killAt, dst *sql.DB, kc killCase) int {
	t.Helper()
	args := []string{"run", runbook, "--plain", "--auto-decide", "continue", "--as", "tester", "--journal", journal}
	killed := 0
	for _, k := range plan {
		copied := func(out string) bool {
			return (strings.Contains(out, "started (copy)") || strings.Contains(out, "run resumed")) &&
				targetRows(t, dst, kc) >= int(k.fraction*float64(kc.rows*len(kc.tables)))
		}
		out, code, wasKilled := runAndKill(t, env, args, copied, k.delay)
		if !wasKilled {
			if code != 0 {
				t.Fatalf("exit %d before it was killed:\n%s", code, out)
			}
			t.Logf("the run finished before kill %d", killed+1)
			return killed
		}
		killed++
		t.Logf("kill %d: %.0f%% copied, then %s; %d rows in the target", killed, 100*k.fraction, k.delay, targetRows(t, dst, kc))
		args = []string{"resume", journal, "--plain", "--auto-decide", "continue", "--as", "tester"}
	}
	out, code := tightrope(t, env, args...)
	switch {
	case code != 0 && strings.Contains(out, "already ended (finished)"):
		t.Log("the last kill came after the run had journaled its end")
	case code != 0:
		t.Fatalf("the last resume exited %d:\n%s", code, out)
	default:
		for table, c := range tableCounts(t, out) { // which also checks read = written + rejected
			if c[0] != kc.rows {
				t.Errorf("%s: the summary says %d read, the source has %d", table, c[0], kc.rows)
			}
		}
	}
	return killed
}

// keepJournalOnFailure copies a failed run's journal (with its WAL) out of
// the test's temporary directory, for a post-mortem.
func keepJournalOnFailure(t *testing.T, journal string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		dir, err := os.MkdirTemp("", "tightrope-kill-")
		if err != nil {
			return
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if data, err := os.ReadFile(journal + suffix); err == nil {
				os.WriteFile(filepath.Join(dir, filepath.Base(journal)+suffix), data, 0o644)
			}
		}
		t.Logf("the journal is kept in %s", dir)
	})
}

// killAt is when to kill a run: once fraction of the rows are in the
// target, after delay.
type killAt struct {
	fraction float64
	delay    time.Duration
}

// planKills spreads kills-1 kills over the copy, in ascending random
// fractions of the rows, each 0-30 ms after its fraction was reached so
// it lands anywhere in a batch; the last kill comes 100-1500 ms after the
// resume started, wherever the run is then (copying, verifying, done).
func planKills(rng *rand.Rand, kills int) []killAt {
	var plan []killAt
	for range kills - 1 {
		plan = append(plan, killAt{fraction: 0.05 + 0.9*rng.Float64(), delay: time.Duration(rng.IntN(30)) * time.Millisecond})
	}
	slices.SortFunc(plan, func(a, b killAt) int { return cmp.Compare(a.fraction, b.fraction) })
	return append(plan, killAt{delay: time.Duration(100+rng.IntN(1400)) * time.Millisecond})
}

// targetRows counts the rows of the case's tables in the target.
func targetRows(t *testing.T, dst *sql.DB, kc killCase) int {
	t.Helper()
	total := 0
	for _, table := range kc.tables {
		var n int
		if err := dst.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

// runAndKill starts the binary, waits until until(output so far) holds,
// then SIGKILLs it after delay. It reports the output,
// the exit code and whether the kill happened (false: the process ended by
// itself first).
func runAndKill(t *testing.T, env, args []string, until func(out string) bool, delay time.Duration) (string, int, bool) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out-*.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	output := func() string { b, _ := os.ReadFile(f.Name()); return string(b) }
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	// standard input stays open and silent, like a person who types
	// nothing: a plain run waits at its questions until it is killed
	// (at the end of its input it would stop by itself).
	stdin, silent, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	defer silent.Close()
	cmd.Stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ended := func(err error) (string, int, bool) {
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee) && !ee.Exited():
			return output(), -1, true // killed
		case errors.As(err, &ee):
			return output(), ee.ExitCode(), false
		case err != nil:
			t.Fatal(err)
		}
		return output(), 0, false
	}
	deadline := time.After(30 * time.Second)
	for {
		if until(output()) {
			break
		}
		select {
		case err := <-exited:
			return ended(err)
		case <-deadline:
			cmd.Process.Kill()
			<-exited
			t.Fatalf("the run did not reach its kill point within 30s:\n%s", output())
		case <-time.After(5 * time.Millisecond):
		}
	}
	select {
	case err := <-exited:
		return ended(err)
	case <-time.After(delay):
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	return ended(<-exited) // not killed if it ended just before the signal
}

// killSource creates a MariaDB database with the case's tables: keys with
// gaps, qty as varchar holding numbers and, every killRejectEvery rows, N/A.
func killSource(t *testing.T, kc killCase) (*sql.DB, string) {
	t.Helper()
	base := mysqlDSN(t)
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("trk_%s_%d", kc.name, time.Now().UnixNano())
	execOn(t, "mysql", base, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4")
	t.Cleanup(func() { execOn(t, "mysql", base, "DROP DATABASE "+name) })
	cfg.DBName = name
	dsn := cfg.FormatDSN()
	d, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	for _, table := range kc.tables {
		execOn(t, "mysql", dsn, "CREATE TABLE "+table+" (id bigint PRIMARY KEY, qty varchar(16), name varchar(40), "+
			"price decimal(10,2), at datetime(6)) ENGINE=InnoDB")
		tx, err := d.Begin()
		if err != nil {
			t.Fatal(err)
		}
		const per = 1000
		for start := 0; start < kc.rows; start += per {
			var ph []string
			var args []any
			for i := start; i < min(start+per, kc.rows); i++ {
				qty := strconv.Itoa(i % 1000)
				if i%killRejectEvery == 7 {
					qty = "N/A"
				}
				ph = append(ph, "(?, ?, ?, ?, ?)")
				args = append(args, killKey(i), qty, fmt.Sprintf("%s %d ü", table, i),
					fmt.Sprintf("%d.%02d", i%100000, i%100), fmt.Sprintf("2024-%02d-%02d 12:%02d:%02d.%06d", i%12+1, i%28+1, i%60, i*7%60, i%1000000))
			}
			if _, err := tx.Exec("INSERT INTO "+table+" VALUES "+strings.Join(ph, ", "), args...); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	return d, dsn
}

// killKey is the key of the i-th source row: gaps between keys.
func killKey(i int) int64 { return int64(i)*3 + 1 }

// killTarget creates a PostgreSQL schema with the strict target tables and
// returns a pool on it and a DSN with it as the search_path.
func killTarget(t *testing.T, kc killCase) (*sql.DB, string) {
	t.Helper()
	base := pgDSN(t)
	schema := fmt.Sprintf("trk_%s_%d", kc.name, time.Now().UnixNano())
	execOn(t, "pgx", base, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { execOn(t, "pgx", base, "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	dsn := u.String()
	for _, table := range kc.tables {
		execOn(t, "pgx", dsn, "CREATE TABLE "+table+" (id bigint PRIMARY KEY, qty integer, name varchar(40), "+
			"price numeric(10,2), at timestamp(6))")
	}
	d, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, dsn
}

// writeKillRunbook writes a runbook with only a copy and a verify step.
func writeKillRunbook(t *testing.T, dir string, kc killCase) string {
	t.Helper()
	tables := strings.Join(kc.tables, ", ")
	text := fmt.Sprintf(`version: 1
name: Kill and resume
migration_id: MIG-KILL-%s
decision_maker: tester
connections:
  source: { driver: mysql, dsn_env: %s }
  target: { driver: postgres, dsn_env: %s }
triggers: { reject_rate: 5%% }
steps:
  - { id: copy, kind: copy, tables: [%s], batch: 500, parallel: %d }
  - { id: check, kind: verify, tables: [%s] }
`, kc.name, killSrcEnv, killDstEnv, tables, kc.parallel, tables)
	path := filepath.Join(dir, "kill.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkEveryRowOnce asserts, per table, that the target's keys and the
// journal's rejected keys are disjoint and together exactly the source's
// keys, that no key is in the target or in the rejects twice, and that
// every reject is an N/A row rejected for not_integer.
func checkEveryRowOnce(t *testing.T, env []string, journal string, src, dst *sql.DB, kc killCase) {
	t.Helper()
	out, code := tightrope(t, env, "rejects", journal, "--format", "json")
	if code != 0 {
		t.Fatalf("rejects exit %d: %s", code, out)
	}
	var recs []struct {
		Table  string          `json:"table"`
		Key    json.RawMessage `json:"key"`
		Column string          `json:"column"`
		Reason string          `json:"reason"`
	}
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("rejects --format json: %v\n%.500s", err, out)
	}
	rejected := map[string]map[int64]int{}
	for _, r := range recs {
		var key struct{ ID int64 }
		if err := json.Unmarshal(r.Key, &key); err != nil || key.ID == 0 {
			t.Fatalf("reject key %s: %v", r.Key, err)
		}
		if r.Column != "qty" || r.Reason != "not_integer" {
			t.Errorf("%s %d: rejected for %s on %s, want not_integer on qty", r.Table, key.ID, r.Reason, r.Column)
		}
		if rejected[r.Table] == nil {
			rejected[r.Table] = map[int64]int{}
		}
		rejected[r.Table][key.ID]++
	}
	for _, table := range kc.tables {
		target := map[int64]int{}
		rows, err := dst.Query("SELECT id FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			target[id]++
		}
		rows.Close()
		var dups int
		if err := dst.QueryRow("SELECT count(*) FROM (SELECT id FROM " + table + " GROUP BY id HAVING count(*) > 1) d").Scan(&dups); err != nil || dups != 0 {
			t.Errorf("%s: %d keys are in the target more than once (%v)", table, dups, err)
		}
		var srcRows int
		if err := src.QueryRow("SELECT count(*) FROM " + table).Scan(&srcRows); err != nil || srcRows != kc.rows {
			t.Fatalf("%s: the source holds %d rows (%v), want %d", table, srcRows, err, kc.rows)
		}
		if n, r := total(target), total(rejected[table]); n+r != srcRows {
			t.Errorf("%s: target %d + rejected %d != source %d", table, n, r, srcRows)
		}
		var missing, both, twice, extra []int64
		for i := range kc.rows {
			k := killKey(i)
			inT, inR := target[k], rejected[table][k]
			switch {
			case inT+inR == 0:
				missing = append(missing, k)
			case inT > 0 && inR > 0:
				both = append(both, k)
			case inT > 1 || inR > 1:
				twice = append(twice, k)
			case inR == 1 && i%killRejectEvery != 7:
				extra = append(extra, k)
			}
		}
		for k := range target {
			if k < 1 || (k-1)%3 != 0 || k > killKey(kc.rows-1) {
				extra = append(extra, k)
			}
		}
		if len(missing)+len(both)+len(twice)+len(extra) > 0 {
			t.Errorf("%s: missing %d %v, in target and rejects %d %v, twice %d %v, not expected %d %v", table,
				len(missing), head(missing), len(both), head(both), len(twice), head(twice), len(extra), head(extra))
		}
	}
}

func head(keys []int64) []int64 { return keys[:min(len(keys), 10)] }

// total sums the occurrences counted in a key set.
func total(keys map[int64]int) int {
	n := 0
	for _, c := range keys {
		n += c
	}
	return n
}
