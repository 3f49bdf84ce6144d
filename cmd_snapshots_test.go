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

	"github.com/go-sql-driver/mysql"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/snapshot"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// takeAt takes a snapshot of d at 02:minutes into dir.
func takeAt(t *testing.T, d db.DB, dir, conn, method, dsnEnv string, minutes int) journal.SnapshotPayload {
	t.Helper()
	at := time.Date(2026, 3, 14, 2, minutes, 0, 0, time.UTC)
	m, err := snapshot.Take(context.Background(), d, snapshot.Request{MigrationID: "MIG-9", StepID: "snap-" + conn,
		Connection: conn, DSNEnv: dsnEnv, Method: method, Dir: dir, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func expect(t *testing.T, out string, code, wantCode int, wants ...string) {
	t.Helper()
	if code != wantCode {
		t.Errorf("exit %d, want %d:\n%s", code, wantCode, out)
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestSnapshotsCommandSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE "Order" ("order" INTEGER PRIMARY KEY, note TEXT); INSERT INTO "Order" VALUES (1, 'a'), (2, NULL)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	d, err := db.Open(context.Background(), runbooks.Connection{Name: "source", Driver: db.SQLite, Path: path}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	dir := filepath.Join(t.TempDir(), "snapshots")
	var ms []journal.SnapshotPayload
	for i := range 3 {
		ms = append(ms, takeAt(t, d, dir, "source", "", "", i))
	}
	takeAt(t, d, dir, "target", db.MethodBackup, "", 5)

	out, code := tightrope(t, nil, "snapshots", "list", "--dir", dir)
	expect(t, out, code, 0, "LABEL", "CONNECTION", "METHOD", "VERIFIED", "MIG-9 source@2026-03-14T02:00:00Z", "vacuum-into", "backup", "yes")
	if n := strings.Count(out, "MIG-9 "); n != 4 {
		t.Errorf("%d snapshots listed, want 4:\n%s", n, out)
	}
	out, code = tightrope(t, nil, "snapshots", "verify", "--dir", dir)
	expect(t, out, code, 0, "4 snapshots ok")

	b, _ := os.ReadFile(ms[1].Artefact)
	b[len(b)/2] ^= 1
	os.WriteFile(ms[1].Artefact, b, 0o644)
	out, code = tightrope(t, nil, "snapshots", "verify", "--dir", dir)
	expect(t, out, code, 1, "DAMAGED    "+ms[1].Label, "has sha256", "1 of 4 snapshots damaged")
	out, code = tightrope(t, nil, "snapshots", "verify", "--dir", dir, ms[2].Label)
	expect(t, out, code, 0, "ok         "+ms[2].Label, "1 snapshots ok")
	out, code = tightrope(t, nil, "snapshots", "verify", "--dir", dir, "nope")
	expect(t, out, code, 2, `no snapshot labelled or named "nope"`)

	out, code = tightrope(t, nil, "snapshots", "prune", "--dir", dir, "--keep", "1")
	expect(t, out, code, 2, "at least 2")
	out, code = tightrope(t, nil, "snapshots", "prune", "--dir", dir, "--keep", "2", "--dry-run")
	expect(t, out, code, 0, "would delete  "+ms[0].Label, "3 kept, 1 would delete")
	if _, err := os.Stat(ms[0].Artefact); err != nil {
		t.Fatal("the dry run deleted the artefact")
	}
	out, code = tightrope(t, nil, "snapshots", "prune", "--dir", dir, "--keep", "2")
	expect(t, out, code, 0, "deleted  "+ms[0].Label, "3 kept, 1 deleted")
	out, _ = tightrope(t, nil, "snapshots", "list", "--dir", dir)
	if strings.Contains(out, ms[0].Label) || strings.Count(out, "MIG-9 ") != 3 {
		t.Errorf("after prune:\n%s", out)
	}
}

func TestSnapshotsCommandMySQLInServer(t *testing.T) {
	base := os.Getenv("TIGHTROPE_TEST_MYSQL_DSN")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TIGHTROPE_TEST_MYSQL_DSN is not set; CI must run the integration tests")
		}
		t.Skip("set TIGHTROPE_TEST_MYSQL_DSN=root@tcp(127.0.0.1:3306)/test to run")
	}
	ctx := context.Background()
	t.Setenv("TR_CLI_ADMIN_DSN", base)
	admin, err := db.Open(ctx, runbooks.Connection{Name: "admin", Driver: db.MySQL, DSNEnv: "TR_CLI_ADMIN_DSN"}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() }) // after the drops below
	name := fmt.Sprintf("trs_cli_%d", time.Now().UnixNano()%1e9)
	if _, err := admin.SQL().Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rows, err := admin.SQL().Query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", name+"%")
		if err != nil {
			t.Error(err)
			return
		}
		var dbs []string
		for rows.Next() {
			var s string
			rows.Scan(&s)
			dbs = append(dbs, s)
		}
		rows.Close()
		for _, s := range dbs {
			admin.SQL().Exec("DROP DATABASE " + admin.Quote(s))
		}
	})
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = name
	t.Setenv("TR_CLI_MYSQL_DSN", cfg.FormatDSN())
	d, err := db.Open(ctx, runbooks.Connection{Name: "source", Driver: db.MySQL, DSNEnv: "TR_CLI_MYSQL_DSN"}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.SQL().Exec("CREATE TABLE `select` (`order` INT PRIMARY KEY, v VARCHAR(10)) "); err != nil {
		t.Fatal(err)
	}
	d.SQL().Exec("INSERT INTO `select` VALUES (1, 'x'), (2, NULL)")
	dir := t.TempDir()
	var ms []journal.SnapshotPayload
	for i := range 3 {
		ms = append(ms, takeAt(t, d, dir, "source", "", "TR_CLI_MYSQL_DSN", i))
	}

	env := []string{"TR_CLI_MYSQL_DSN=" + cfg.FormatDSN()}
	out, code := tightrope(t, env, "snapshots", "list", "--dir", dir)
	expect(t, out, code, 0, "schema", "yes (in-server)")
	out, code = tightrope(t, env, "snapshots", "verify", "--dir", dir)
	expect(t, out, code, 0, "3 snapshots ok")
	out, code = tightrope(t, []string{"TR_CLI_MYSQL_DSN="}, "snapshots", "verify", "--dir", dir)
	expect(t, out, code, 1, "UNCHECKED", "TR_CLI_MYSQL_DSN is empty or not set", "3 could not be checked")

	if _, err := d.SQL().Exec("UPDATE " + d.Quote(ms[2].Artefact) + ".`select` SET v = 'y' WHERE `order` = 2"); err != nil {
		t.Fatal(err)
	}
	out, code = tightrope(t, env, "snapshots", "verify", "--dir", dir)
	expect(t, out, code, 1, "DAMAGED    "+ms[2].Label, "select has 2 rows")

	out, code = tightrope(t, env, "snapshots", "prune", "--dir", dir, "--keep", "2")
	expect(t, out, code, 0, "deleted  "+ms[0].Label+" (snapshot database "+ms[0].Artefact+" and ")
	var n int
	admin.SQL().QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", ms[0].Artefact).Scan(&n)
	if n != 0 {
		t.Errorf("prune left the snapshot database %s", ms[0].Artefact)
	}
}
