package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestRunRejectsRowsTheTargetRefuses runs a copy into a target whose
// unique key, check constraint and trigger refuse 24 of 300 rows: the run
// finishes with the rest written, the summary counts the refused rows as
// rejected, the reject-rate trigger sees them, and `rejects` names each
// rule.
func TestRunRejectsRowsTheTargetRefuses(t *testing.T) {
	dir := t.TempDir()
	exec := func(path string, stmts ...string) {
		t.Helper()
		d, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		for _, s := range stmts {
			if _, err := d.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	var values []string
	for i := 1; i <= 300; i++ {
		qty, code := i, fmt.Sprintf("'c%d'", i)
		switch {
		case i%50 == 7:
			code = "'c1'" // unique key
		case i%50 == 21:
			qty = -1 // check
		case i%50 == 33:
			code = "'boom'" // trigger
		case i%50 == 40:
			code = "'c2'"
		}
		values = append(values, fmt.Sprintf("(%d, %d, %s)", i, qty, code))
	}
	exec(filepath.Join(dir, "a.db"), "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, code TEXT)",
		"INSERT INTO items VALUES "+strings.Join(values, ", "))
	exec(filepath.Join(dir, "b.db"), "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, "+
		"code TEXT CONSTRAINT items_code_uq UNIQUE, CONSTRAINT items_qty_ck CHECK (qty >= 0))",
		"CREATE TRIGGER items_boom BEFORE INSERT ON items WHEN NEW.code = 'boom' BEGIN SELECT RAISE(ABORT, 'no boom'); END")
	runbook := filepath.Join(dir, "runbook.yaml")
	text := `version: 1
name: Refused
migration_id: MIG-REF
decision_maker: alice
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
triggers: { reject_rate: 1% }
steps:
  - { id: copy, kind: copy, tables: [items], batch: 100 }
`
	if err := os.WriteFile(runbook, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := tightrope(t, nil, "run", "--plain", "--as", "alice", "--auto-decide", "continue", runbook)
	if code != 0 {
		t.Fatalf("run: exit %d:\n%s", code, out)
	}
	if got := tableCounts(t, out)["items"]; got != [3]int{300, 276, 24} {
		t.Errorf("items: read/written/rejected %v, want [300 276 24]:\n%s", got, out)
	}
	if !strings.Contains(out, "reject_rate") && !strings.Contains(out, "reject rate") {
		t.Errorf("the reject-rate trigger did not fire:\n%s", out)
	}
	rejects, code := tightrope(t, nil, "rejects", journalPath(t, out))
	if code != 0 {
		t.Fatalf("rejects: exit %d: %s", code, rejects)
	}
	for _, want := range []string{"target_refused", "UNIQUE items.code", "CHECK items_qty_ck", "no boom"} {
		if !strings.Contains(rejects, want) {
			t.Errorf("rejects do not mention %q:\n%s", want, rejects)
		}
	}
	if n := strings.Count(rejects, "target_refused"); n != 24 {
		t.Errorf("%d rejects are target_refused, want 24:\n%s", n, rejects)
	}
}
