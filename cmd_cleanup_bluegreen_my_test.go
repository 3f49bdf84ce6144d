package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/bluegreen"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestCleanupTearsDownAMariaDBPair: after a finished run whose replicate
// step set up a MariaDB pair, green's replica connection tr_<pair>_fwd is
// still there; cleanup --yes lists and removes it, and a second cleanup
// finds nothing.
func TestCleanupTearsDownAMariaDBPair(t *testing.T) {
	blueSrv, greenSrv := cdctest.TwoMariaDBs(t)
	db := dbtest.UniqueName(t, "cbm")
	db = db[len(db)-20:]
	blue, green := blueSrv.CreateDatabase(t, db), greenSrv.CreateDatabase(t, db)
	for _, dsn := range []string{blue, green} {
		myExecOne(t, dsn, "CREATE TABLE items (id int PRIMARY KEY, name varchar(20) NOT NULL)")
	}
	myExecOne(t, blue, "INSERT INTO items SELECT seq, CONCAT('i', seq) FROM seq_1_to_100")
	mig := fmt.Sprintf("CBM-%d", time.Now().UnixNano()%1e9)
	name := "mcbm_" + strings.TrimPrefix(mig, "CBM-") + "_replicate"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		side := func(dsn string) bluegreen.Side { return bluegreen.Side{Driver: "mysql", DSN: dsn} }
		if p, err := bluegreen.Open(ctx, bluegreen.Config{Name: name, Blue: side(blue), Green: side(green), Tables: []string{"items"}}); err == nil {
			_ = p.Teardown(ctx)
			p.Close(ctx)
		}
		for _, srv := range []*cdctest.MariaDBServer{blueSrv, greenSrv} {
			if d, err := sql.Open("mysql", srv.DSN); err == nil {
				d.Exec("SET GLOBAL read_only = 0")
				d.Exec("DROP DATABASE IF EXISTS `" + db + "`")
				d.Close()
			}
		}
	})
	dir := t.TempDir()
	rb := filepath.Join(dir, "bg.yaml")
	yaml := `version: 1
name: cleanup of a MariaDB blue-green pair
migration_id: ` + mig + `
decision_maker: alice
objectives: { rto: 1m, rpo: 0s, expected: 30m, window: 2h }
strategy: blue-green
connections:
  blue: { driver: mysql, dsn_env: CBM_BLUE_DSN, replication_dsn_env: CBM_BLUE_REPL }
  green: { driver: mysql, dsn_env: CBM_GREEN_DSN, replication_dsn_env: CBM_GREEN_REPL }
steps:
  - { id: replicate, title: Replicate, kind: replicate, from: blue, to: green, tables: [items], copy: true }
`
	if err := os.WriteFile(rb, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"CBM_BLUE_DSN=" + blue, "CBM_GREEN_DSN=" + green,
		fmt.Sprintf("CBM_BLUE_REPL=root@tcp(127.0.0.1:%d)/", blueSrv.Port), fmt.Sprintf("CBM_GREEN_REPL=root@tcp(127.0.0.1:%d)/", greenSrv.Port)}
	j := filepath.Join(dir, "bg.journal")
	out, code := tightrope(t, env, "run", rb, "--plain", "--auto-decide", "continue", "--as", "alice", "--journal", j)
	if code != 0 {
		t.Fatalf("run: exit %d:\n%s", code, out)
	}
	connections := func() int {
		d, err := sql.Open("mysql", greenSrv.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		left, err := bluegreen.Leftovers(context.Background(), "mysql", d, name)
		if err != nil {
			t.Fatal(err)
		}
		return len(left)
	}
	if n := connections(); n != 1 {
		t.Fatalf("after the run: %d of the pair's replica connections on green, want 1:\n%s", n, out)
	}
	out, code = tightrope(t, env, "cleanup", "--yes", j)
	if code != 0 {
		t.Fatalf("cleanup: exit %d:\n%s", code, out)
	}
	for _, s := range []string{"remove  blue-green pair " + name, "replica connection tr_" + name + "_fwd", "done    tore down blue-green pair " + name} {
		if !strings.Contains(out, s) {
			t.Errorf("cleanup output lacks %q:\n%s", s, out)
		}
	}
	if n := connections(); n != 0 {
		t.Fatalf("after cleanup: %d of the pair's replica connections left:\n%s", n, out)
	}
	out, code = tightrope(t, env, "cleanup", "--yes", j)
	if code != 0 || !strings.Contains(out, "nothing to remove") {
		t.Fatalf("second cleanup: exit %d:\n%s", code, out)
	}
}

// myExecOne runs one statement on dsn.
func myExecOne(t *testing.T, dsn, q string) {
	t.Helper()
	d, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(q); err != nil {
		t.Fatal(err)
	}
}
