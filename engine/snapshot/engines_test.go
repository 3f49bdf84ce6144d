package snapshot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

func TestPostgresPgDump(t *testing.T) {
	t.Run("round trip", func(t *testing.T) {
		d, _ := pgServer(t)
		checkRoundTrip(t, d, db.MethodPgDump, false, "Later")
	})
	t.Run("concurrent writes", func(t *testing.T) {
		d, _ := pgServer(t)
		checkConcurrentWrites(t, d, db.MethodPgDump)
	})
	t.Run("damaged dump", func(t *testing.T) {
		d, _ := pgServer(t)
		checkDamagedArtefact(t, d, db.MethodPgDump, flipByte(t))
	})
	t.Run("prune", func(t *testing.T) {
		d, _ := pgServer(t)
		checkPrune(t, d, "")
	})
}

func TestMySQLSchema(t *testing.T) {
	t.Run("round trip", func(t *testing.T) {
		d, _ := mysqlServer(t)
		checkRoundTrip(t, d, db.MethodSchema, true, "Later")
	})
	t.Run("concurrent writes", func(t *testing.T) {
		d, _ := mysqlServer(t)
		checkConcurrentWrites(t, d, db.MethodSchema)
	})
	t.Run("changed row in the snapshot", func(t *testing.T) {
		d, _ := mysqlServer(t)
		checkDamagedArtefact(t, d, db.MethodSchema, func(m journal.SnapshotPayload) {
			exec(t, d, "UPDATE "+d.Quote(m.Artefact)+"."+d.Quote("user")+" SET name = 'tampered' WHERE id = 7")
		})
		assertNoStaging(t, d)
	})
	t.Run("snapshot database gone", func(t *testing.T) {
		d, _ := mysqlServer(t)
		checkDamagedArtefact(t, d, db.MethodSchema, func(m journal.SnapshotPayload) {
			exec(t, d, "DROP DATABASE "+d.Quote(m.Artefact))
		})
	})
	t.Run("prune", func(t *testing.T) {
		d, _ := mysqlServer(t)
		checkPrune(t, d, "")
	})
	t.Run("refuses triggers", func(t *testing.T) {
		d, _ := mysqlServer(t)
		fixture(t, d)
		exec(t, d, "CREATE TRIGGER "+d.Quote("t1")+" BEFORE UPDATE ON "+d.Quote("user")+" FOR EACH ROW SET NEW.note = NEW.note")
		err := Preflight(testCtx(t), d, db.MethodSchema)
		if err == nil || !strings.Contains(err.Error(), "use method: mysqldump") {
			t.Fatalf("Preflight with a trigger: %v", err)
		}
		if _, err := Take(testCtx(t), d, request(t.TempDir(), "", 0)); err == nil {
			t.Fatal("Take with a trigger succeeded")
		}
	})
}

func TestMySQLMysqldump(t *testing.T) {
	t.Run("round trip", func(t *testing.T) {
		d, _ := mysqlServer(t)
		checkRoundTrip(t, d, db.MethodMysqldump, false, "Later")
	})
	t.Run("concurrent writes", func(t *testing.T) {
		d, _ := mysqlServer(t)
		checkConcurrentWrites(t, d, db.MethodMysqldump)
	})
	t.Run("damaged dump", func(t *testing.T) {
		d, _ := mysqlServer(t)
		checkDamagedArtefact(t, d, db.MethodMysqldump, flipByte(t))
	})
	t.Run("prune", func(t *testing.T) {
		d, _ := mysqlServer(t)
		checkPrune(t, d, db.MethodMysqldump)
	})
}

// assertNoStaging fails when a refused restore left a staging or
// old-tables database behind.
func assertNoStaging(t *testing.T, d db.DB) {
	var live string
	if err := d.SQL().QueryRow("SELECT DATABASE()").Scan(&live); err != nil {
		t.Fatal(err)
	}
	var n int
	err := d.SQL().QueryRow(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ? OR SCHEMA_NAME LIKE ?`,
		strings.ReplaceAll(live, "_", `\_`)+`\_\_rst\_%`, strings.ReplaceAll(live, "_", `\_`)+`\_\_old\_%`).Scan(&n)
	if err != nil || n != 0 {
		t.Fatalf("%d staging databases left (%v)", n, err)
	}
}

func TestPreflight(t *testing.T) {
	pg, _ := pgServer(t)
	my, _ := mysqlServer(t)
	ctx := testCtx(t)
	for _, c := range []struct {
		d      db.DB
		method string
	}{{pg, ""}, {pg, db.MethodPgDump}, {my, ""}, {my, db.MethodSchema}, {my, db.MethodMysqldump}} {
		if err := Preflight(ctx, c.d, c.method); err != nil {
			t.Errorf("%s %q: %v", c.d.Driver(), c.method, err)
		}
	}
	if err := Preflight(ctx, pg, "schema"); err == nil || !strings.Contains(err.Error(), `postgres has no snapshot method "schema" (allowed: pg_dump)`) {
		t.Errorf("unknown method: %v", err)
	}
	if err := Preflight(ctx, my, "pg_dump"); err == nil || !strings.Contains(err.Error(), "allowed: schema, mysqldump") {
		t.Errorf("unknown method: %v", err)
	}

	t.Run("missing tools", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		err := Preflight(ctx, pg, "")
		if err == nil || !strings.Contains(err.Error(), "needs pg_dump, which is not on PATH") {
			t.Errorf("pg_dump missing: %v", err)
		}
		t.Logf("%v", err)
		err = Preflight(ctx, my, db.MethodMysqldump)
		if err == nil || !strings.Contains(err.Error(), "which is not on PATH") || !strings.Contains(err.Error(), "mysqldump") {
			t.Errorf("mysqldump missing: %v", err)
		}
		t.Logf("%v", err)
		if err := Preflight(ctx, my, db.MethodSchema); err != nil {
			t.Errorf("the schema method needs no program: %v", err)
		}
		if _, err := Take(ctx, pg, request(t.TempDir(), "", 0)); err == nil {
			t.Error("Take without pg_dump succeeded")
		}
	})

	t.Run("old pg_dump", func(t *testing.T) {
		bin := t.TempDir()
		for _, tool := range []string{"pg_dump", "pg_restore"} {
			script := "#!/bin/sh\necho '" + tool + " (PostgreSQL) 9.6.24'\n"
			if err := os.WriteFile(filepath.Join(bin, tool), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		t.Setenv("PATH", bin)
		err := Preflight(ctx, pg, "")
		want := filepath.Join(bin, "pg_dump") + ` is "pg_dump (PostgreSQL) 9.6.24", older than the server (PostgreSQL 1`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("old pg_dump: %v\nwant it to contain %s", err, want)
		}
		t.Logf("%v", err)
	})
}

func TestTakeFailureLeavesNothing(t *testing.T) {
	d, _ := pgServer(t)
	fixture(t, d)
	dir := t.TempDir()
	t.Setenv("PATH", t.TempDir())
	if _, err := Take(testCtx(t), d, request(dir, "", 0)); err == nil {
		t.Fatal("Take without pg_dump succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed snapshot left %d files", len(entries))
	}
}
