package db

import (
	"strings"
	"testing"
)

// TestReadingSnapshot: a DB reading an exported snapshot sees the rows as
// of the export — not a row committed after it, not a row deleted after it
// gone — in every read (Count, ReadBatch, parallel calls alike), and a
// read once the snapshot is no longer exported fails rather than read the
// live table.
func TestReadingSnapshot(t *testing.T) {
	d := pgTestDB(t)
	ctx := testCtx(t)
	mustExec(t, d, "CREATE TABLE items (id int PRIMARY KEY, name text)")
	mustExec(t, d, "INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 50) g")
	exporter, err := d.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer exporter.Close()
	if _, err := exporter.ExecContext(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ"); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := exporter.QueryRowContext(ctx, "SELECT pg_export_snapshot()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	mustExec(t, d, "INSERT INTO items VALUES (51, 'later')")
	mustExec(t, d, "DELETE FROM items WHERE id = 7")
	mustExec(t, d, "UPDATE items SET name = 'changed' WHERE id = 8")

	snap, err := ReadingSnapshot(d, name)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := snap.Table(ctx, "items")
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 { // parallel readers each import the same snapshot
		go func() {
			n, err := snap.Count(ctx, "items")
			if err == nil && n != 50 {
				t.Errorf("count in the snapshot %d, want 50", n)
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	rows, err := snap.ReadBatch(ctx, tab, []string{"id", "name"}, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 50 {
		t.Fatalf("read %d rows, want the 50 of the snapshot", len(rows))
	}
	for _, r := range rows {
		id := r[0].(int64)
		if id == 51 {
			t.Fatal("read a row inserted after the snapshot")
		}
		if id == 8 && r[1] != "n8" {
			t.Fatalf("row 8 is %v in the snapshot, want its value before the update", r[1])
		}
	}
	if rows[6][0].(int64) != 7 {
		t.Fatalf("row 7, deleted after the snapshot, is missing from it: %v", rows[6])
	}
	if n, err := d.Count(ctx, "items"); err != nil || n != 50 {
		t.Fatalf("the live table: %d rows (err %v), want 50 (one in, one out)", n, err)
	}
	if _, err := exporter.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if _, err := snap.Count(ctx, "items"); err == nil || !strings.Contains(err.Error(), "snapshot") {
		t.Fatalf("a read after the snapshot ended: err %v, want the import to fail", err)
	}
	if _, err := ReadingSnapshot(d, "x'; DROP TABLE items; --"); err == nil {
		t.Fatal("a snapshot name with a quote was accepted")
	}
}
