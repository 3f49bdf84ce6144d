package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDryRunOfTheExampleAsItIs: run --dry-run of
// runbooks/examples/mysql-to-postgres.yaml exactly as shipped prints its
// schema step's DDL, the copy's checkpoint DDL, the snapshot and restore
// commands of both sides, in order, and leaves no journal, no table and
// no snapshot behind (TestDryRunChangesNothing covers create: true).
func TestDryRunOfTheExampleAsItIs(t *testing.T) {
	shopMy, shopPG := exampleDatabases(t)
	dir := t.TempDir()
	text, err := os.ReadFile("runbooks/examples/mysql-to-postgres.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "mysql-to-postgres.yaml")
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"SHOP_MYSQL_DSN=" + shopMy, "SHOP_PG_DSN=" + shopPG}
	before := worldState(t, shopMy, shopPG, dir)
	out, code := tightrope(t, env, "run", path, "--dry-run", "--as", "alice")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if after := worldState(t, shopMy, shopPG, dir); after != before {
		t.Errorf("the dry run changed something:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	myDB := shopMy[strings.LastIndex(shopMy, "/")+1:]
	var at []int
	for _, want := range []string{
		"CREATE DATABASE `" + myDB + "__snap_",               // snap-source: the MySQL schema snapshot
		"CREATE TABLE IF NOT EXISTS customers (",             // the schema step's DDL
		"CREATE TABLE IF NOT EXISTS order_items (",           // all of it
		"pg_dump --format=custom",                            // snap-target
		`CREATE TABLE IF NOT EXISTS "_tightrope_progress" (`, // the copy's checkpoints
		"pg_restore --clean",                                 // restore-target
		"RENAME TABLE",                                       // restore-source
	} {
		i := strings.Index(out, want)
		if i < 0 {
			t.Errorf("dry run lacks %q:\n%s", want, out)
			continue
		}
		at = append(at, i)
	}
	for i := 1; i < len(at); i++ {
		if at[i] < at[i-1] {
			t.Errorf("the dry run prints out of order (item %d before item %d):\n%s", i, i-1, out)
		}
	}
}
