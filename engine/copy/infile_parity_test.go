package copy_test

// The MySQL/MariaDB bulk path (LOAD DATA LOCAL INFILE) against the INSERT
// path on the same bad rows: the same rows rejected, for the same reasons,
// on the same columns, with the same details (the server's words for a
// refused row), and the same rows written.

import (
	"reflect"
	"strings"
	"testing"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
)

// mysqlInsertOnly opens d's database again, writing by multi-row INSERT only.
func mysqlInsertOnly(t *testing.T, d *testDB) db.DB {
	t.Helper()
	dsn := d.dsnAt(d.addr)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	o, err := openDSN(t, db.MySQL, dsn+sep+db.MySQLLoadParam+"=insert")
	if err != nil {
		t.Fatal(err)
	}
	if db.LoadsByInfile(o) {
		t.Fatal("tightrope_load=insert still loads by LOAD DATA")
	}
	return o
}

// rejectsByKey renders a sink's rejects of a table for comparison, the
// target's database name (which the server's messages quote) replaced.
func rejectsByKey(t *testing.T, sink *memSink, table string, dst db.DB) map[string]copyengine.Rejected {
	t.Helper()
	var dbName string
	if err := dst.SQL().QueryRow("SELECT DATABASE()").Scan(&dbName); err != nil {
		t.Fatal(err)
	}
	out := map[string]copyengine.Rejected{}
	for _, r := range sink.rejectList(table) {
		r.Detail = strings.ReplaceAll(r.Detail, dbName, "<database>")
		out[keyOf(r.Key["id"])] = r
	}
	return out
}

// TestMySQLBulkRejectsWhatInsertRejects runs each bad-row case twice from
// one SQLite source into two MariaDB databases — by LOAD DATA and by
// INSERT — and requires identical rejects and identical targets. The
// cases cover every reason the converters give for a MySQL target and
// target_refused by a foreign key, a unique key, a check and a trigger.
func TestMySQLBulkRejectsWhatInsertRejects(t *testing.T) {
	type setup func(t *testing.T, src, dst db.DB) (table string, cols []string)
	cases := map[string]setup{
		"every_reason": func(t *testing.T, src, dst db.DB) (string, []string) {
			if src != nil {
				createDirtySource(t, src, "dirty", db.MySQL)
			}
			createDirtyTarget(t, dst, "dirty")
			return "dirty", dirtyCols
		},
		"target_refused": func(t *testing.T, src, dst db.DB) (string, []string) {
			rc := refusedCase{n: 600, orphans: ids(5, 6, 7, 250, 599), dupes: ids(17, 518),
				negs: ids(100, 101, 600), booms: ids(333)}
			if src == nil { // the second target: its tables without a source
				tmp := newDB(t, db.SQLite)
				return setupRefused(t, tmp, dst, rc), []string{"id", "parent_id", "qty", "code"}
			}
			return setupRefused(t, src, dst, rc), []string{"id", "parent_id", "qty", "code"}
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			src := newDB(t, db.SQLite)
			bulk, plain := newDB(t, db.MySQL), newDB(t, db.MySQL)
			table, cols := setup(t, src, bulk)
			setup(t, nil, plain)
			ins := mysqlInsertOnly(t, plain)
			if !db.LoadsByInfile(bulk.DB) {
				t.Fatal("the MySQL target does not load by LOAD DATA")
			}
			step := copyStep(50, table)
			sinkBulk, sinkIns := newSink(), newSink()
			cb := copyTable(t, src, bulk, table, step, sinkBulk)
			ci := copyTable(t, src, ins, table, step, sinkIns)
			if !db.LoadsByInfile(bulk.DB) {
				t.Error("the bulk copy fell back to INSERT")
			}
			if cb.Read != ci.Read || cb.Written != ci.Written || cb.Rejected != ci.Rejected || cb.Rejected == 0 {
				t.Errorf("counters: bulk %+v, insert %+v", cb, ci)
			}
			rb, ri := rejectsByKey(t, sinkBulk, table, bulk), rejectsByKey(t, sinkIns, table, ins)
			if len(rb) != len(ri) {
				t.Errorf("bulk rejected %d rows, insert %d", len(rb), len(ri))
			}
			for k, want := range ri {
				got, ok := rb[k]
				switch {
				case !ok:
					t.Errorf("row %s: rejected by INSERT (%s %s), not by the bulk path", k, want.Reason, want.Detail)
				case !reflect.DeepEqual(got, want):
					t.Errorf("row %s:\n bulk   %+v\n insert %+v", k, got, want)
				}
			}
			for k, got := range rb {
				if _, ok := ri[k]; !ok {
					t.Errorf("row %s: rejected by the bulk path only (%s %s)", k, got.Reason, got.Detail)
				}
			}
			gb, _ := readTable(t, bulk, table, cols)
			gi, _ := readTable(t, ins, table, cols)
			if !reflect.DeepEqual(gb, gi) {
				t.Errorf("the targets differ:\n bulk   %v\n insert %v", gb, gi)
			}
			t.Logf("%d read, %d written, %d rejected the same way by both paths", cb.Read, cb.Written, cb.Rejected)
		})
	}
}
