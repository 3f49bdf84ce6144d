package main

// The SIGKILL promise into MySQL/MariaDB, where batches go by LOAD DATA
// LOCAL INFILE: a SQLite → MariaDB copy run by the real binary with the
// runbook's defaults is killed at random moments (mid-load included) and
// resumed from its journal; at the end every source row is in the target
// or in the journal's rejects, exactly once.

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func TestKillAndResumeIntoMySQLKeepsEveryRowOnce(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("TIGHTROPE_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (rerun with TIGHTROPE_KILL_SEED=%d)", seed, seed)
	kills, rows := 5, 30000
	if testing.Short() {
		kills, rows = 3, 8000
	}
	kc := killCase{name: "into_mysql", tables: []string{"items", "parts"}, rows: rows, parallel: 2}
	dir := t.TempDir()
	src, srcPath := killSQLiteSource(t, dir, kc)
	dst, dstDSN := killMySQLTarget(t, kc)
	j := filepath.Join(dir, "run.journal")
	keepJournalOnFailure(t, j)
	env := []string{killDstEnv + "=" + dstDSN}
	runbook := filepath.Join(dir, "kill.yaml")
	text := fmt.Sprintf(`version: 1
name: Kill and resume into MySQL
migration_id: MIG-KILL-MYSQL
decision_maker: tester
connections:
  source: { driver: sqlite, path: %s }
  target: { driver: mysql, dsn_env: %s }
triggers: { reject_rate: 5%% }
steps:
  - { id: copy, kind: copy, tables: [items, parts], parallel: %d }
  - { id: check, kind: verify, tables: [items, parts] }
`, srcPath, killDstEnv, kc.parallel)
	if err := os.WriteFile(runbook, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	killed := killUntilDone(t, env, runbook, j, planKills(rng, kills), dst, kc)
	checkEveryRowOnce(t, env, j, src, dst, kc)
	if out, code := tightrope(t, nil, "journal", "verify", j); code != 0 {
		t.Errorf("journal verify exit %d: %s", code, out)
	}
	t.Logf("%d kills", killed)
}

// killSQLiteSource writes the case's tables into a SQLite file: keys with
// gaps, qty as text holding numbers and, every killRejectEvery rows, N/A.
func killSQLiteSource(t *testing.T, dir string, kc killCase) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(dir, "source.sqlite")
	d, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	tx, err := d.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range kc.tables {
		if _, err := tx.Exec("CREATE TABLE " + table + " (id INTEGER PRIMARY KEY, qty TEXT, name TEXT, price TEXT, at TEXT)"); err != nil {
			t.Fatal(err)
		}
		st, err := tx.Prepare("INSERT INTO " + table + " VALUES (?, ?, ?, ?, ?)")
		if err != nil {
			t.Fatal(err)
		}
		for i := range kc.rows {
			qty := strconv.Itoa(i % 1000)
			if i%killRejectEvery == 7 {
				qty = "N/A"
			}
			name := fmt.Sprintf("%s %d ü\t\\N", table, i) // a tab and a backslash through LOAD DATA
			if _, err := st.Exec(killKey(i), qty, name, fmt.Sprintf("%d.%02d", i%100000, i%100),
				fmt.Sprintf("2024-%02d-%02d 12:%02d:%02d.%06d", i%12+1, i%28+1, i%60, i*7%60, i%1000000)); err != nil {
				t.Fatal(err)
			}
		}
		st.Close()
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return d, path
}

// killMySQLTarget creates a MariaDB database with the strict target tables.
func killMySQLTarget(t *testing.T, kc killCase) (*sql.DB, string) {
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
	for _, table := range kc.tables {
		execOn(t, "mysql", dsn, "CREATE TABLE "+table+" (id bigint PRIMARY KEY, qty int, name varchar(40), "+
			"price decimal(10,2), at datetime(6)) ENGINE=InnoDB")
	}
	d, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, dsn
}
