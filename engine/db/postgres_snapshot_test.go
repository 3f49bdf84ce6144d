package db

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPgConnParams(t *testing.T) {
	for _, c := range []struct {
		dsn  string
		want map[string]string
	}{
		{"postgres://u:p%40ss@h1:5433,h2:5434/shop?sslmode=require&search_path=x",
			map[string]string{"user": "u", "password": "p@ss", "host": "h1,h2", "port": "5433,5434", "dbname": "shop", "sslmode": "require", "search_path": "x"}},
		{"postgresql:///shop?host=%2Fvar%2Frun%2Fpostgresql",
			map[string]string{"dbname": "shop", "host": "/var/run/postgresql"}},
		{`host=db port=5432 user=app password='it\'s a secret' dbname=shop sslrootcert=/ca.pem`,
			map[string]string{"host": "db", "port": "5432", "user": "app", "password": "it's a secret", "dbname": "shop", "sslrootcert": "/ca.pem"}},
	} {
		got := pgConnParams(c.dsn)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.dsn, got, c.want)
		}
	}
}

func TestPgMajor(t *testing.T) {
	for v, want := range map[string]int{
		"pg_dump (PostgreSQL) 15.4 (Debian 15.4-1.pgdg120+1)": 150000,
		"pg_restore (PostgreSQL) 9.6.24":                      90600,
		"pg_dump (PostgreSQL) 18beta1":                        180000,
		"pg_dump (PostgreSQL) 10.23":                          100000,
		"garbage":                                             0,
	} {
		if got := pgMajor(v); got != want {
			t.Errorf("pgMajor(%q) = %d, want %d", v, got, want)
		}
	}
}

func TestSnapshotName(t *testing.T) {
	if got := snapshotName("shop", "snap", "MIG-1-snap-20260314T020000.000Z"); got != "shop__snap_mig_1_snap_20260314t020000_000z" {
		t.Errorf("short name %q", got)
	}
	for _, live := range []string{strings.Repeat("d", 36), strings.Repeat("d", 60)} {
		a, b := snapshotName(live, "snap", "MIG-2026-0042-snap-source-20260314T020000.000Z"), snapshotName(live, "snap", "MIG-2026-0042-snap-source-20260314T020001.000Z")
		if len(a) != 64 || a == b || !strings.Contains(a, "__snap_") || len(live) < 40 && !strings.HasPrefix(a, live+"__snap_mig_") {
			t.Errorf("long names %q, %q", a, b)
		}
	}
}

// fakeTool writes a shell script standing in for a client program: it
// answers --version, and otherwise records its arguments, the password it
// was given (env var or options file) and fails quoting the secret.
func fakeTool(t *testing.T, bin, name, version, secret string) {
	t.Helper()
	script := `#!/bin/sh
if [ "$1" = "--version" ]; then echo '` + version + `'; exit 0; fi
printf '%s\n' "$@" > "` + bin + `/args"
printf '%s' "$PGPASSWORD" > "` + bin + `/pgpassword"
case "$1" in --defaults-extra-file=*) /bin/cp "${1#--defaults-extra-file=}" "` + bin + `/options"; /bin/ls -l "${1#--defaults-extra-file=}" > "` + bin + `/options.ls";; esac
echo 'FATAL: authentication failed (password ` + secret + `)' >&2
exit 1
`
	if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestPostgresSnapshotSecrets(t *testing.T) {
	dsn := serverDSN(t, pgDSNEnv, "postgres://postgres@127.0.0.1:5432/test")
	const secret = "s3cr3t-pw"
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), secret)
	d, err := openPostgres(context.Background(), u.String())
	if err != nil {
		t.Skipf("the test server wants a real password: %v", err)
	}
	defer d.Close()
	bin := t.TempDir()
	fakeTool(t, bin, "pg_dump", "pg_dump (PostgreSQL) 99.1", secret)
	fakeTool(t, bin, "pg_restore", "pg_restore (PostgreSQL) 99.1", secret)
	t.Setenv("PATH", bin)
	dir := t.TempDir()
	_, err = d.(*pgDB).TakeSnapshot(context.Background(), "", dir, "snap", func(DB) error { return nil })
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("error %v: want it to fail, with the password redacted", err)
	}
	args, _ := os.ReadFile(filepath.Join(bin, "args"))
	if strings.Contains(string(args), secret) || !strings.Contains(string(args), "--snapshot=") {
		t.Errorf("pg_dump's command line: %s", args)
	}
	if pw, _ := os.ReadFile(filepath.Join(bin, "pgpassword")); string(pw) != secret {
		t.Errorf("PGPASSWORD = %q", pw)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed snapshot left %d files", len(entries))
	}
}
