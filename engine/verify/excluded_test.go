package verify

import (
	"testing"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// knownKey is a reject's key as the journal stores it: column → JSON value.
func knownKey(t *testing.T, cols []string, vals ...any) string {
	t.Helper()
	key := map[string]any{}
	for i, v := range vals {
		key[cols[i]] = copyengine.JSONValue(v)
	}
	k, err := journal.CanonicalKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestVerifyExcludesKnownRejects: with text and composite keys (buckets)
// and an integer key (ranges), a row missing in the target whose key the
// journal holds as rejected is counted as rejected, one that is not is
// reported, and a rejected row the target holds anyway shows as extra.
func TestVerifyExcludesKnownRejects(t *testing.T) {
	cases := []struct {
		f       fixture
		drop    string // deletes two rows from the target
		known   [][]any
		want    []string
		present []any // a known key the target holds
	}{
		{itemsFixture(), "DELETE FROM items WHERE id IN (18, 230)", [][]any{{int64(18)}}, []string{"230 (missing in target)"}, []any{int64(6)}},
		{tagsFixture(), "DELETE FROM tags WHERE code IN ('k-0017', 'Zebra')", [][]any{{"Zebra"}}, []string{"k-0017 (missing in target)"}, []any{"k-0001"}},
		{pairsFixture(), "DELETE FROM pairs WHERE (a = 10 AND b = 'b1') OR (a = 20 AND b = 'b2')", [][]any{{int64(20), "b2"}}, []string{"10,b1 (missing in target)"}, []any{int64(1), "b0"}},
	}
	for _, dir := range directions {
		for _, c := range cases {
			t.Run(dir[0]+"_to_"+dir[1]+"/"+c.f.table, func(t *testing.T) {
				src, dst := newDB(t, dir[0]), newDB(t, dir[1])
				createTable(t, src, c.f.table, c.f.ddl)
				createTable(t, dst, c.f.table, c.f.ddl)
				insertRows(t, src, c.f.table, c.f.cols, c.f.rows)
				copyTable(t, src, dst, c.f.table, runbooks.Step{})
				mustExec(t, dst, c.drop)
				known := map[string]struct{}{}
				for _, k := range c.known {
					known[knownKey(t, c.f.cols, k...)] = struct{}{}
				}
				check, err := TableExcluding(testCtx(t), src, dst, c.f.table, runbooks.Step{}, manySizes, known)
				if err != nil {
					t.Fatal(err)
				}
				if check.Mismatches != 1 || check.Rejected != 1 || !sameKeys(check.MismatchKeys, c.want) {
					t.Errorf("%+v, want 1 rejected and %v", check, c.want)
				}
				known[knownKey(t, c.f.cols, c.present...)] = struct{}{}
				check, err = TableExcluding(testCtx(t), src, dst, c.f.table, runbooks.Step{}, manySizes, known)
				if err != nil {
					t.Fatal(err)
				}
				if check.Mismatches != 2 || check.Rejected != 2 {
					t.Errorf("with a known key the target holds: %+v, want it extra", check)
				}
			})
		}
	}
}
