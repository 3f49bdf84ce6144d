package db

import (
	"strings"
	"testing"
)

// TestRestoreLeftoverNames: the staging and old-tables names a restore of
// a database makes are recognised as its leftovers — for sure in the
// short form, only maybe in the hashed form of a long name (another
// database sharing the cut name makes the same shape); its snapshots, the
// database itself and another short database's staging are not.
func TestRestoreLeftoverNames(t *testing.T) {
	long := strings.Repeat("a_very_long_database_name_", 2) + "x"
	for _, c := range []struct {
		live string
		sure bool
	}{{"shop", true}, {long, false}} {
		m := &mySnapDB{myDB: &myDB{dbName: c.live}}
		for _, tag := range []string{"rst", "old"} {
			n := snapshotName(c.live, tag, "18c0ffee18c0ffee")
			if match, sure := m.restoreLeftover(n); !match || sure != c.sure {
				t.Errorf("%s: %s: match %v sure %v", c.live, n, match, sure)
			}
		}
		for _, n := range []string{c.live, snapshotName(c.live, "snap", "MIG-1-snap-20260314T020000.000Z"),
			c.live + "__rst_", "x" + snapshotName(c.live, "rst", "18c0ffee")} {
			if match, _ := m.restoreLeftover(n); match {
				t.Errorf("%s: %s taken for a restore leftover", c.live, n)
			}
		}
	}
	m := &mySnapDB{myDB: &myDB{dbName: "shop"}}
	if match, _ := m.restoreLeftover(snapshotName("shop2", "rst", "18c0ffee")); match {
		t.Error("shop2's staging taken for shop's")
	}
	if match, sure := (&mySnapDB{myDB: &myDB{dbName: long}}).restoreLeftover(snapshotName(long+"2", "rst", "18c0ffee")); !match || sure {
		t.Errorf("a long name's look-alike: match %v, sure %v (want a maybe)", match, sure)
	}
}
