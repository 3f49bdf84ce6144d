package db

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mysqlSnapTestDB is the MySQL test database with its DSN, as Open
// returns it.
func mysqlSnapTestDB(t *testing.T) *mySnapDB {
	t.Helper()
	d := mysqlTestDB(t).(*myDB)
	cfg, err := parseMySQLDSN(os.Getenv(mysqlDSNEnv))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = d.dbName
	return &mySnapDB{myDB: d, cfg: cfg}
}

func TestMySQLSnapshotSecrets(t *testing.T) {
	m := mysqlSnapTestDB(t)
	const secret = `s3cr"et#pw\x`
	m.cfg.Passwd = secret
	bin := t.TempDir()
	for _, name := range []string{"mysqldump", "mariadb-dump", "mysql", "mariadb"} {
		fakeTool(t, bin, name, "mysqldump  Ver 10.19 Distrib 10.11.6-MariaDB", secret)
	}
	t.Setenv("PATH", bin)
	dir := t.TempDir()
	_, err := m.TakeSnapshot(testCtx(t), MethodMysqldump, dir, "snap", func(DB) error { return nil })
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "authentication failed") {
		t.Fatalf("error %v: want it to fail, without the password", err)
	}
	args, _ := os.ReadFile(filepath.Join(bin, "args"))
	if strings.Contains(string(args), "s3cr") || !strings.HasPrefix(string(args), "--defaults-extra-file=") {
		t.Errorf("mysqldump's command line: %s", args)
	}
	opts, _ := os.ReadFile(filepath.Join(bin, "options"))
	if !strings.Contains(string(opts), `password="s3cr\"et#pw\\x"`) {
		t.Errorf("options file:\n%s", opts)
	}
	if ls, _ := os.ReadFile(filepath.Join(bin, "options.ls")); !strings.HasPrefix(string(ls), "-rw-------") {
		t.Errorf("options file mode: %s", ls)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed snapshot left %d files", len(entries))
	}
}

// TestMySQLDumpWithPassword runs the real mysqldump and mysql as a user
// whose password needs quoting in the options file.
func TestMySQLDumpWithPassword(t *testing.T) {
	m := mysqlSnapTestDB(t)
	ctx := testCtx(t)
	user, pass := "tr_"+m.dbName[len(m.dbName)-8:], `p"w#s3cr\et 'x'`
	mustExec(t, m, "CREATE USER '"+user+"'@'%' IDENTIFIED BY '"+strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pass)+"'",
		"GRANT ALL ON "+m.Quote(m.dbName)+".* TO '"+user+"'@'%'",
		"CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO t VALUES (1, 'a'), (2, NULL)")
	t.Cleanup(func() { m.db.Exec("DROP USER '" + user + "'@'%'") })
	m.cfg.User, m.cfg.Passwd = user, pass
	dir := t.TempDir()
	info, err := m.TakeSnapshot(ctx, MethodMysqldump, dir, "snap", func(DB) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, m, "DELETE FROM t")
	if err := m.RestoreSnapshot(ctx, MethodMysqldump, info.Artefact, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := m.Count(ctx, "t"); err != nil || n != 2 {
		t.Fatalf("after restore: %d rows, %v", n, err)
	}
}
