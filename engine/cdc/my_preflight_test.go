package cdc

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestMyPreflightGood: the throwaway MariaDB (ROW binlog, full image and
// metadata, root) passes; its binlogs never expire, which is reported as a
// note, not a failure.
func TestMyPreflightGood(t *testing.T) {
	my := cdctest.MariaDB(t)
	ctx := context.Background()
	dsn := my.CreateDatabase(t, dbtest.UniqueName(t, "src"))
	src := myOpen(t, dsn)
	if _, err := src.Exec(itemsMyDDL); err != nil {
		t.Fatal(err)
	}
	r, err := MyPreflight(ctx, dsn, MyPreflightOptions{Tables: []string{"items"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("a capturable server failed the pre-flight: %v", err)
	}
	if !r.MariaDB || r.Retention != 0 {
		t.Errorf("report %+v: want MariaDB with binlogs kept until purged", r)
	}
	if len(r.Findings) != 1 || r.Findings[0].Setting != "retention" || r.Findings[0].Fatal {
		t.Errorf("findings %v: want only the retention note", r.Findings)
	}
}

// TestMyPreflightSettings: each wrong setting on the throwaway server is a
// fatal finding naming the statement to run; a retention under the minimum
// too. (Global settings are changed only on the throwaway server, and put
// back.)
func TestMyPreflightSettings(t *testing.T) {
	my := cdctest.MariaDB(t)
	ctx := context.Background()
	dsn := my.CreateDatabase(t, dbtest.UniqueName(t, "src"))
	admin := myOpen(t, my.DSN)
	set := func(stmts ...string) {
		for _, s := range stmts {
			if _, err := admin.Exec(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	set("SET GLOBAL binlog_row_image = 'MINIMAL'", "SET GLOBAL binlog_row_metadata = 'MINIMAL'", "SET GLOBAL binlog_expire_logs_seconds = 3600")
	defer set("SET GLOBAL binlog_row_image = 'FULL'", "SET GLOBAL binlog_row_metadata = 'FULL'", "SET GLOBAL binlog_expire_logs_seconds = 0")
	r, err := MyPreflight(ctx, dsn, MyPreflightOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pe *MyPreflightError
	if !errors.As(r.Err(), &pe) {
		t.Fatalf("Err = %v, want a pre-flight error", r.Err())
	}
	msg := pe.Error()
	for _, want := range []string{
		"binlog_row_image is MINIMAL, want FULL: SET GLOBAL binlog_row_image = 'FULL'",
		"binlog_row_metadata is MINIMAL, want FULL: SET GLOBAL binlog_row_metadata = 'FULL'",
		"binlog_row_metadata = FULL under [mariadb] in my.cnf",
		"retention is 1h0m0s (binlog_expire_logs_seconds), want at least 6h0m0s: SET GLOBAL binlog_expire_logs_seconds = 21600",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("pre-flight error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "binlog_format") || strings.Contains(msg, "grant") {
		t.Errorf("pre-flight error names a setting that is right:\n%s", msg)
	}
	if r.Retention.Hours() != 1 {
		t.Errorf("retention %s, want 1h", r.Retention)
	}
}

// TestMyPreflightGrants: a user without the replication privileges or
// SELECT on the table gets one finding each, with the GRANT to run.
func TestMyPreflightGrants(t *testing.T) {
	my := cdctest.MariaDB(t)
	ctx := context.Background()
	name := dbtest.UniqueName(t, "src")
	dsn := my.CreateDatabase(t, name)
	src := myOpen(t, dsn)
	if _, err := src.Exec(itemsMyDDL); err != nil {
		t.Fatal(err)
	}
	user := "u" + name[len(name)-8:]
	for _, s := range []string{"CREATE USER '" + user + "'@'%' IDENTIFIED BY 'pw'", "GRANT REPLICATION SLAVE ON *.* TO '" + user + "'@'%'"} {
		if _, err := src.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	defer src.Exec("DROP USER '" + user + "'@'%'")
	udsn := user + ":pw@tcp(127.0.0.1:" + strings.Split(strings.Split(dsn, ":")[1], ")")[0] + ")/" + name
	r, err := MyPreflight(ctx, udsn, MyPreflightOptions{Tables: []string{"items"}})
	if err != nil {
		t.Fatal(err)
	}
	var grants []string
	for _, f := range r.Findings {
		if f.Setting == "grant" {
			grants = append(grants, f.Fix)
		}
	}
	want := []string{"GRANT BINLOG MONITOR ON *.* TO `" + user + "`@`%`", "GRANT SELECT ON `" + name + "`.* TO `" + user + "`@`%`"}
	if strings.Join(grants, "\n") != strings.Join(want, "\n") {
		t.Errorf("grant fixes:\n%s\nwant:\n%s", strings.Join(grants, "\n"), strings.Join(want, "\n"))
	}
	if _, _, err := (MyStream{DSN: udsn, Stream: "s_grants", Tables: []string{"items"}}).Create(ctx, nil, "cdc", "start"); err == nil || !strings.Contains(err.Error(), "GRANT BINLOG MONITOR") {
		t.Errorf("Create = %v, want the pre-flight's error", err)
	}
}

// TestMyPreflightNoBinlog: the shared MariaDB writes no binlog: the
// pre-flight says exactly that, with the my.cnf lines and the restart.
func TestMyPreflightNoBinlog(t *testing.T) {
	dsn := dbtest.ServerDSN(t, dbtest.MySQLEnv, "root@tcp(127.0.0.1:3306)/test")
	ctx := context.Background()
	r, err := MyPreflight(ctx, dsn, MyPreflightOptions{})
	if err != nil {
		dbtest.ServerDown(t, dbtest.MySQLEnv, err)
	}
	var logBin *MyFinding
	for i, f := range r.Findings {
		if f.Setting == "log_bin" {
			logBin = &r.Findings[i]
		}
	}
	if logBin == nil {
		t.Skipf("the server at %s writes a binlog: %v", dbtest.MySQLEnv, r.Findings)
	}
	want := "log_bin is OFF, want ON: add log_bin = binlog and server_id = <a unique non-zero id> under [mariadb] in my.cnf and restart the server (log_bin cannot be set at runtime)"
	if logBin.String() != want || !logBin.Fatal {
		t.Errorf("finding %q (fatal %v), want %q", logBin, logBin.Fatal, want)
	}
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Err = %v", err)
	}
}

// myOpen opens a MariaDB pool closed with the test.
func myOpen(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// cdctestMariaDBDatabase creates a database on the throwaway MariaDB.
func cdctestMariaDBDatabase(t testing.TB) string {
	t.Helper()
	return cdctest.MariaDB(t).CreateDatabase(t, dbtest.UniqueName(t, "dst"))
}
