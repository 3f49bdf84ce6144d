package db

import (
	"sync"
	"testing"
)

// TestMySQLSnapshotReader: reads through a held consistent snapshot —
// parallel readers among them — see the tables as of the snapshot's
// instant, whatever is committed after it; the pool's own reads see the
// new rows. The shared server writes no binlog: no coordinates.
func TestMySQLSnapshotReader(t *testing.T) {
	d := mysqlTestDB(t)
	ctx := testCtx(t)
	mustExec(t, d, "CREATE TABLE a (id int PRIMARY KEY, v varchar(20)) ENGINE=InnoDB",
		"CREATE TABLE b (id int PRIMARY KEY, f float) ENGINE=InnoDB",
		"INSERT INTO a VALUES (1, 'one'), (2, 'two'), (3, 'three')",
		"INSERT INTO b VALUES (1, 16777217), (2, 0.5)")
	snap, err := BeginMySQLSnapshot(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	if snap.BinlogFile != "" {
		t.Errorf("binlog coordinates %s:%d on a server without a binlog", snap.BinlogFile, snap.BinlogPos)
	}
	mustExec(t, d, "INSERT INTO a VALUES (4, 'four')", "DELETE FROM a WHERE id = 1", "UPDATE b SET f = 2 WHERE id = 2")
	r := snap.Reader(d)
	ta, tb := mustTable(t, d, "a"), mustTable(t, d, "b")
	var wg sync.WaitGroup
	got := make([][][]any, 8)
	errs := make([]error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				got[i], errs[i] = r.ReadBatch(ctx, ta, []string{"id", "v"}, nil, 100)
			} else {
				got[i], errs[i] = r.ReadBatch(ctx, tb, []string{"id", "f"}, []any{int64(0)}, 100)
			}
		}()
	}
	wg.Wait()
	for i := range 8 {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if i%2 == 0 {
			if len(got[i]) != 3 || got[i][0][0] != int64(1) || got[i][2][1] != "three" {
				t.Errorf("reader %d read a as %v, want the 3 rows of the snapshot", i, got[i])
			}
		} else if len(got[i]) != 2 || got[i][0][1] != float32(16777216) || got[i][1][1] != float32(0.5) {
			t.Errorf("reader %d read b as %v, want the snapshot's values in the binary protocol", i, got[i])
		}
	}
	if n, err := r.Count(ctx, "a"); err != nil || n != 3 {
		t.Errorf("count through the snapshot = %d, %v; want 3", n, err)
	}
	if n, err := d.Count(ctx, "a"); err != nil || n != 3 {
		t.Errorf("count on the pool = %d, %v; want 3 (4 inserted, 1 deleted)", n, err)
	}
	rows, err := d.ReadBatch(ctx, ta, []string{"id", "v"}, nil, 100)
	if err != nil || len(rows) != 3 || rows[0][0] != int64(2) {
		t.Errorf("pool read %v, %v: want rows 2, 3, 4", rows, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := snap.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadBatch(ctx, ta, []string{"id"}, nil, 10); err == nil {
		t.Error("a read through a released snapshot succeeded")
	}
}
