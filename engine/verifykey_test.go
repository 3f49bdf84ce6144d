package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
)

// TestVerifyUsesTheCopysKey: a table without a primary key, copied by a
// unique key named on the copy step, is verified by that key (step
// check_copy_key) or by the verify step's own key: (step check_own_key).
func TestVerifyUsesTheCopysKey(t *testing.T) {
	r := smallRun(t, controlsHeader+`steps:
  - { id: copy, kind: copy, tables: [nk], key: [code] }
  - { id: check_copy_key, kind: verify, tables: [nk] }
  - { id: check_own_key, kind: verify, tables: [nk], key: [code] }
`, "alice", journal.ChoiceContinue)
	for _, f := range []string{"a.db", "b.db"} {
		if err := os.WriteFile(filepath.Join(r.dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := openSQLite(t, filepath.Join(r.dir, "a.db"))
	dst := openSQLite(t, filepath.Join(r.dir, "b.db"))
	mustExec(t, src, "CREATE TABLE nk (code TEXT NOT NULL UNIQUE, n INTEGER)")
	mustExec(t, dst, "CREATE TABLE nk (code TEXT NOT NULL UNIQUE, n INTEGER)")
	var rows []string
	for i := range 300 {
		rows = append(rows, fmt.Sprintf("('c%03d', %d)", i, i*7))
	}
	mustExec(t, src, "INSERT INTO nk (code, n) VALUES "+strings.Join(rows, ", "))
	outcome, err := r.c.Run(t.Context())
	if err != nil || outcome != journal.OutcomeFinished {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	s := r.c.State()
	for _, id := range []string{"check_copy_key", "check_own_key"} {
		if st := stepStatus(s, id); st != journal.StatusDone {
			t.Errorf("%s: %s", id, st)
		}
	}
	if len(s.Verifies) != 2 {
		t.Fatalf("verify results: %+v", s.Verifies)
	}
	for _, v := range s.Verifies {
		if len(v.Tables) != 1 || v.Tables[0].SourceRows != 300 || v.Tables[0].TargetRows != 300 || v.Mismatches != 0 {
			t.Errorf("verify: %+v", v)
		}
	}
}
