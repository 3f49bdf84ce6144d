package main

import (
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDryRunChangesNothing: run --dry-run of the MySQL→PostgreSQL example
// prints the sql step's DDL, the DDL create: true would issue (from the
// copy's own planner), the snapshot and restore commands with the
// credentials redacted, and leaves both servers' catalogs, the MySQL
// tables' checksums and the runbook's directory exactly as they were: no
// journal, no tables, no snapshots.
func TestDryRunChangesNothing(t *testing.T) {
	shopMy, shopPG := exampleDatabases(t)
	const password = "dry-run-pw-4471"
	shopPG = strings.Replace(shopPG, "postgres://postgres@", "postgres://postgres:"+password+"@", 1)
	dir := t.TempDir()
	text, err := os.ReadFile("runbooks/examples/mysql-to-postgres.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The copy creates the tables itself here, so that the dry run must
	// show the copy planner's CREATE TABLE: the sql step that would create
	// them is dropped.
	rb := strings.Replace(string(text), "    expected: 5m\n", "    expected: 5m\n    create: true\n", 1)
	start, end := strings.Index(rb, "  - id: schema\n"), strings.Index(rb, "  - { id: snap-target")
	rb = rb[:start] + "  - { id: schema, kind: sql, on: target, run: \"CREATE SCHEMA IF NOT EXISTS audit; DROP TABLE IF EXISTS audit.old\" }\n" + rb[end:]
	path := filepath.Join(dir, "m2p.yaml")
	if err := os.WriteFile(path, []byte(rb), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"SHOP_MYSQL_DSN=" + shopMy, "SHOP_PG_DSN=" + shopPG}
	before := worldState(t, shopMy, shopPG, dir)
	out, code := tightrope(t, env, "run", path, "--dry-run", "--as", "alice")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	after := worldState(t, shopMy, shopPG, dir)
	if before != after {
		t.Errorf("the dry run changed something:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	myDB := shopMy[strings.LastIndex(shopMy, "/")+1:]
	for _, want := range []string{
		"CREATE SCHEMA IF NOT EXISTS audit;", "DROP TABLE IF EXISTS audit.old;", // the sql step, split as it runs
		`CREATE TABLE "customers" (`, `PRIMARY KEY ("order_id", "line")`, // create: true, from the copy's DDL planner
		`CREATE TABLE IF NOT EXISTS "_tightrope_progress" (`, // the copy's checkpoint table
		"CREATE DATABASE `" + myDB + "__snap_",               // the MySQL schema snapshot
		"INSERT INTO `" + myDB + "__snap_",
		"pg_dump --format=custom", "pg_restore --clean", "PGPASSWORD=[redacted]", // the target's snapshot and restore
		"RENAME TABLE", // the MySQL restore's swap
		"$ sh -c 'echo \"the shop now reads SHOP_PG_DSN\"'",
		"ROLLBACK procedure",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, password) {
		t.Errorf("the dry run shows the password:\n%s", out)
	}
	if i, j := strings.Index(out, "snap-source"), strings.Index(out, "restore-source"); i < 0 || j < i {
		t.Errorf("steps out of order:\n%s", out)
	}
}

// worldState describes everything a run could change: both servers'
// databases named after the shop's (a snapshot or staging database takes
// its name as a prefix; other tests create and drop their own meanwhile),
// the shop's tables with their checksums, the PostgreSQL database's tables
// and schemas, and every file under dir.
func worldState(t *testing.T, shopMy, shopPG, dir string) string {
	t.Helper()
	var b strings.Builder
	my, err := sql.Open("mysql", shopMy)
	if err != nil {
		t.Fatal(err)
	}
	defer my.Close()
	b.WriteString("mysql databases: " + strings.Join(column(t, my, "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE CONCAT(DATABASE(), '%') ORDER BY 1"), ",") + "\n")
	for _, tbl := range column(t, my, "SHOW FULL TABLES") {
		var name string
		var sum sql.NullInt64
		if err := my.QueryRow("CHECKSUM TABLE `"+tbl+"`").Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "mysql %s %d\n", tbl, sum.Int64)
	}
	pg, err := sql.Open("pgx", shopPG)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	b.WriteString("pg databases: " + strings.Join(column(t, pg, "SELECT datname FROM pg_database WHERE starts_with(datname, current_database()) ORDER BY 1"), ",") + "\n")
	b.WriteString("pg schemas: " + strings.Join(column(t, pg, "SELECT nspname FROM pg_namespace ORDER BY 1"), ",") + "\n")
	b.WriteString("pg tables: " + strings.Join(column(t, pg, "SELECT schemaname||'.'||tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog','information_schema') ORDER BY 1"), ",") + "\n")
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		files = append(files, p)
		return nil
	})
	slices.Sort(files)
	b.WriteString("files: " + strings.Join(files, ",") + "\n")
	return b.String()
}

// column reads the first column of a query's rows.
func column(t *testing.T, d *sql.DB, q string) []string {
	t.Helper()
	rows, err := d.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		var first string
		vals[0] = &first
		for i := 1; i < len(vals); i++ {
			vals[i] = new(any)
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		out = append(out, first)
	}
	return out
}
