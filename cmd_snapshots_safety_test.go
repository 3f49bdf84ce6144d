package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// serverUnderTest is a fresh database (PostgreSQL schema or MariaDB
// database) reached through the env variable dsnEnv, dropped at the end
// with every snapshot, staging and old-tables database of it.
type serverUnderTest struct {
	d      db.DB
	dsn    string
	dsnEnv string
	name   string
}

// freshServer opens a fresh PostgreSQL schema or MariaDB database.
func freshServer(t *testing.T, driver string) serverUnderTest {
	t.Helper()
	u := dbtest.UniqueName(t, "trs")
	name := "trs_" + u[len(u)-8:] // short: snapshot database names derived from it stay whole
	var dsn string
	switch driver {
	case db.Postgres:
		base := pgDSN(t)
		admin, err := dbtest.Open(t, db.Postgres, base)
		if err != nil {
			dbtest.ServerDown(t, dbtest.PostgresEnv, err)
		}
		dbtest.MustExec(t, admin, "CREATE SCHEMA "+admin.Quote(name))
		t.Cleanup(func() { admin.SQL().Exec("DROP SCHEMA " + admin.Quote(name) + " CASCADE") })
		dsn = base + "&search_path=" + url.QueryEscape(name)
	case db.MySQL:
		base := mysqlDSN(t)
		admin, err := dbtest.Open(t, db.MySQL, base)
		if err != nil {
			dbtest.ServerDown(t, dbtest.MySQLEnv, err)
		}
		dbtest.MustExec(t, admin, "CREATE DATABASE "+admin.Quote(name))
		t.Cleanup(func() {
			for _, s := range mysqlDatabasesLike(t, admin, name) {
				admin.SQL().Exec("DROP DATABASE " + admin.Quote(s))
			}
		})
		cfg, err := mysql.ParseDSN(base)
		if err != nil {
			t.Fatal(err)
		}
		cfg.DBName = name
		dsn = cfg.FormatDSN()
	}
	d, err := dbtest.Open(t, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	env := "TR_SAFETY_" + strings.ToUpper(driver) + "_DSN"
	t.Setenv(env, dsn)
	return serverUnderTest{d: d, dsn: dsn, dsnEnv: env, name: name}
}

// mysqlDatabasesLike lists the databases whose names start with prefix.
func mysqlDatabasesLike(t *testing.T, d db.DB, prefix string) []string {
	t.Helper()
	rows, err := d.SQL().Query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ? ORDER BY SCHEMA_NAME",
		strings.ReplaceAll(prefix, "_", `\_`)+"%")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// copyDir copies the files of src into a new folder.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func flip(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotsVerifyDirChecksTheFolder: `snapshots verify --dir COPY`
// checks the artefacts in COPY, not the originals the manifests' absolute
// paths name — on pg_dump files (PostgreSQL) and mysqldump files
// (MariaDB).
func TestSnapshotsVerifyDirChecksTheFolder(t *testing.T) {
	for _, c := range []struct{ driver, method string }{{db.Postgres, db.MethodPgDump}, {db.MySQL, db.MethodMysqldump}} {
		t.Run(c.driver, func(t *testing.T) {
			s := freshServer(t, c.driver)
			dbtest.MustExec(t, s.d, "CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO items VALUES (1, 'a'), (2, 'b')")
			dir := filepath.Join(t.TempDir(), "snapshots")
			var ms []journal.SnapshotPayload
			for i := range 2 {
				ms = append(ms, takeAt(t, s.d, dir, "source", c.method, s.dsnEnv, i))
			}
			cp := copyDir(t, dir)
			flip(t, ms[0].Artefact) // the original is damaged; the copy is not
			out, code := tightrope(t, nil, "snapshots", "verify", "--dir", cp)
			expect(t, out, code, 0, "2 snapshots ok", filepath.Join(cp, filepath.Base(ms[0].Artefact)))
			if strings.Contains(out, dir+string(filepath.Separator)) {
				t.Errorf("verify --dir %s read the originals:\n%s", cp, out)
			}
			out, code = tightrope(t, nil, "snapshots", "verify", "--dir", dir)
			expect(t, out, code, 1, "DAMAGED    "+ms[0].Label)

			flip(t, filepath.Join(cp, filepath.Base(ms[1].Artefact))) // now the copy is damaged, the original of [1] is not
			out, code = tightrope(t, nil, "snapshots", "verify", "--dir", cp)
			expect(t, out, code, 1, "DAMAGED    "+ms[1].Label, filepath.Join(cp, filepath.Base(ms[1].Artefact)))
			os.Remove(filepath.Join(cp, filepath.Base(ms[1].Artefact)))
			out, code = tightrope(t, nil, "snapshots", "verify", "--dir", cp, ms[1].Label)
			expect(t, out, code, 1, "is missing")
			out, code = tightrope(t, nil, "snapshots", "list", "--dir", cp)
			expect(t, out, code, 0, "MISSING")
		})
	}
}

// pruneParity runs `snapshots prune --dry-run` and then the real prune
// with the same arguments: the dry run's lines, with its verbs in the
// past, and its exit code must be exactly the real prune's.
func pruneParity(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	dry, dryCode := tightrope(t, env, append(append([]string{"snapshots", "prune"}, args...), "--dry-run")...)
	real, realCode := tightrope(t, env, append([]string{"snapshots", "prune"}, args...)...)
	said := strings.NewReplacer("would delete", "deleted", "would keep", "kept").Replace(dry)
	if said != real || dryCode != realCode {
		t.Errorf("the dry run (exit %d) said:\n%s\nthe prune (exit %d) did:\n%s", dryCode, dry, realCode, real)
	}
	return real, realCode
}

// TestSnapshotsPruneDryRunIsThePrune: what the dry run lists is what the
// prune does, when it deletes and when it must keep: in-server MariaDB
// snapshots without and with their connection, one dropped by hand; a
// PostgreSQL catalog copied without one artefact.
func TestSnapshotsPruneDryRunIsThePrune(t *testing.T) {
	t.Run("mysql-in-server", func(t *testing.T) {
		s := freshServer(t, db.MySQL)
		dbtest.MustExec(t, s.d, "CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO items VALUES (1, 'a')")
		dir := t.TempDir()
		var ms []journal.SnapshotPayload
		for i := range 4 {
			ms = append(ms, takeAt(t, s.d, dir, "source", "", s.dsnEnv, i))
		}
		out, code := tightrope(t, nil, "snapshots", "list", "--dir", dir)
		expect(t, out, code, 0, "yes (in-server)")
		// Without the connection nothing in-server can be deleted: both say so.
		out, code = pruneParity(t, []string{s.dsnEnv + "="}, "--dir", dir, "--keep", "2")
		expect(t, out, code, 1, "kept    "+ms[0].Label, "is empty or not set", "4 kept, 0 deleted")
		out, code = tightrope(t, []string{s.dsnEnv + "="}, "snapshots", "list", "--dir", dir)
		expect(t, out, code, 0, "not checked (in-server)", "not checked: "+ms[0].Label)

		// One snapshot database dropped by hand: listed MISSING, its manifest pruned.
		dbtest.MustExec(t, s.d, "DROP DATABASE "+s.d.Quote(ms[0].Artefact))
		out, code = tightrope(t, nil, "snapshots", "list", "--dir", dir)
		expect(t, out, code, 0, "MISSING (in-server)")
		out, code = pruneParity(t, nil, "--dir", dir, "--keep", "2")
		expect(t, out, code, 0, "deleted  "+ms[0].Label, "deleted  "+ms[1].Label, "snapshot database "+ms[1].Artefact, "2 kept, 2 deleted")
		left := mysqlDatabasesLike(t, s.d, s.name+"__snap_")
		if len(left) != 2 || left[0] != ms[2].Artefact || left[1] != ms[3].Artefact {
			t.Errorf("snapshot databases left: %v", left)
		}
	})
	t.Run("postgres-files", func(t *testing.T) {
		s := freshServer(t, db.Postgres)
		dbtest.MustExec(t, s.d, "CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO items VALUES (1, 'a')")
		dir := filepath.Join(t.TempDir(), "snapshots")
		var ms []journal.SnapshotPayload
		for i := range 4 {
			ms = append(ms, takeAt(t, s.d, dir, "target", db.MethodPgDump, s.dsnEnv, i))
		}
		cp := copyDir(t, dir)
		os.Remove(filepath.Join(cp, filepath.Base(ms[0].Artefact))) // the copy lacks the oldest dump
		out, code := pruneParity(t, nil, "--dir", cp, "--keep", "2")
		expect(t, out, code, 1, "kept    "+ms[0].Label, "is not in this folder", "deleted  "+ms[1].Label, "3 kept, 1 deleted")
		for _, m := range ms {
			if _, err := os.Stat(m.Artefact); err != nil {
				t.Errorf("pruning the copy touched the original %s: %v", m.Artefact, err)
			}
		}
		if _, err := os.Stat(filepath.Join(cp, filepath.Base(ms[1].Artefact))); err == nil {
			t.Error("the copy's artefact was not deleted")
		}
	})
}
