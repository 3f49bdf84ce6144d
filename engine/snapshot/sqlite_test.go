package snapshot

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// sqliteDB creates an empty SQLite file (in WAL mode when wal) and opens
// it as the conductor does.
func sqliteDB(t *testing.T, wal bool) db.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "live.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	mode := "delete"
	if wal {
		mode = "wal"
	}
	if _, err := raw.Exec("PRAGMA journal_mode = " + mode); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	d, err := db.Open(testCtx(t), runbooks.Connection{Name: "source", Driver: db.SQLite, Path: path}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestSQLite(t *testing.T) {
	for _, method := range []string{db.MethodVacuumInto, db.MethodBackup} {
		for _, wal := range []bool{false, true} {
			name := method
			if wal {
				name += " wal"
			}
			t.Run(name+" round trip", func(t *testing.T) {
				checkRoundTrip(t, sqliteDB(t, wal), method, false)
			})
			t.Run(name+" damaged", func(t *testing.T) {
				checkDamagedArtefact(t, sqliteDB(t, wal), method, flipByte(t))
			})
		}
	}
	t.Run("default method", func(t *testing.T) {
		d := sqliteDB(t, false)
		fixture(t, d)
		if m := mustTake(t, d, request(t.TempDir(), "", 0)); m.Method != db.MethodVacuumInto {
			t.Errorf("default method %q", m.Method)
		}
	})
	t.Run("prune", func(t *testing.T) {
		checkPrune(t, sqliteDB(t, false), db.MethodBackup)
	})
	t.Run("unknown method", func(t *testing.T) {
		err := Preflight(testCtx(t), sqliteDB(t, false), "pg_dump")
		if err == nil || err.Error() != `sqlite has no snapshot method "pg_dump" (allowed: vacuum-into, backup)` {
			t.Errorf("unknown method: %v", err)
		}
	})
}

func TestCatalog(t *testing.T) {
	d := sqliteDB(t, false)
	fixture(t, d)
	dir := t.TempDir()
	m := mustTake(t, d, request(dir, "", 0))
	if _, err := Take(testCtx(t), d, request(dir, "", 0)); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("a second snapshot at the same instant: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "MIG-7-snap-20260314T020000.000Z"+ManifestSuffix))
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"label": "MIG-7 source@2026-03-14T02:00:00Z"`, `"migration_id": "MIG-7"`, `"step": "snap"`,
		`"connection": "source"`, `"driver": "sqlite"`, `"database": "sqlite:live.db"`, `"method": "vacuum-into"`, `"tool": "sqlite"`,
		`"tool_version": "3.`, `"artefact": "` + dir, `"size": `, `"sha256": "` + m.SHA256, `"table": "Order Items"`,
		`"rows": 300`, `"duration_ms": `, `"captured_at": "2026-03-14T02:00:00Z"`, `"dsn_env": "` + testDSNEnv} {
		if !strings.Contains(string(b), field) {
			t.Errorf("manifest lacks %s:\n%s", field, b)
		}
	}

	// A moved catalog still finds its artefacts beside the manifests.
	moved := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	list, err := List(moved)
	if err != nil || len(list) != 1 || filepath.Dir(list[0].Artefact) != moved {
		t.Fatalf("List after a move: %+v, %v", list, err)
	}
	if err := VerifyArtefact(testCtx(t), list[0].SnapshotPayload, nil); err != nil {
		t.Fatalf("VerifyArtefact after a move: %v", err)
	}

	// An unreadable manifest is listed with its error, and never pruned.
	bad := filepath.Join(moved, "junk"+ManifestSuffix)
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	list, _ = List(moved)
	if len(list) != 2 || list[0].Err == nil {
		t.Fatalf("List with a broken manifest: %+v", list)
	}
	rep, err := Prune(testCtx(t), moved, 2, false, nil)
	if err != nil || len(rep.Skipped) != 1 || len(rep.Deleted) != 0 {
		t.Fatalf("Prune with a broken manifest: %+v, %v", rep, err)
	}
	if _, err := os.Stat(bad); err != nil {
		t.Fatal("the broken manifest was deleted")
	}

	// A manifest pointing outside its directory never deletes that file.
	outside := filepath.Join(t.TempDir(), "precious")
	os.WriteFile(outside, []byte("keep me"), 0o644)
	for i := range 3 {
		fake := m
		fake.Artefact, fake.CapturedAt, fake.Label = outside, m.CapturedAt.Add(time.Duration(i-3)*time.Hour), m.Label+string(rune('a'+i))
		if err := writeManifest(filepath.Join(moved, "fake"+string(rune('a'+i))+ManifestSuffix), fake); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = Prune(testCtx(t), moved, 2, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Fatalf("Prune deleted a file outside the catalog: %+v", rep)
	}
	if len(rep.Skipped) != 3 { // the broken manifest and the two older fakes pointing outside
		t.Errorf("skipped %+v", rep.Skipped)
	}
}

func TestVerifyArtefactInServerNeedsConnection(t *testing.T) {
	m := journal.SnapshotPayload{Label: "x", InServer: true, Method: db.MethodSchema, Tables: []journal.TableSnapshot{{Table: "t", Rows: 1, Checksum: "ab"}}}
	m.SHA256 = tablesDigest(m.Tables)
	if err := VerifyArtefact(testCtx(t), m, nil); !errors.Is(err, ErrNeedsConnection) {
		t.Errorf("without a connection: %v", err)
	}
	m.Tables[0].Rows = 2 // the manifest edited by hand
	if err := VerifyArtefact(testCtx(t), m, nil); !errors.Is(err, ErrDamaged) {
		t.Errorf("edited manifest: %v", err)
	}
	if !reflect.DeepEqual(diff(m.Tables, m.Tables), "") {
		t.Error("diff of equal tables")
	}
}
