package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestPreflightFailureLeavesNoJournal: a run refused by its pre-flight
// (source and target are one database, on PostgreSQL and MariaDB; a
// connection whose variable is unset) exits 1, says why and that nothing
// changed, and leaves no journal, WAL, shared-memory or lease file; the
// table is untouched.
func TestPreflightFailureLeavesNoJournal(t *testing.T) {
	for _, driver := range []string{db.Postgres, db.MySQL, "unset"} {
		t.Run(driver, func(t *testing.T) {
			target := "{ driver: postgres, dsn_env: TR_PF_UNSET_DSN }"
			var env []string
			var s serverUnderTest
			if driver != "unset" {
				s = freshServer(t, driver)
				dbtest.MustExec(t, s.d, "CREATE TABLE items (id INT PRIMARY KEY)", "INSERT INTO items VALUES (1), (2)")
				target = fmt.Sprintf("{ driver: %s, dsn_env: %s }", driver, s.dsnEnv)
				env = []string{s.dsnEnv + "=" + s.dsn}
			}
			dir := t.TempDir()
			rb := filepath.Join(dir, "pf.yaml")
			os.WriteFile(rb, []byte(fmt.Sprintf(`version: 1
name: Pre-flight
migration_id: MIG-PF
decision_maker: alice
connections:
  source: %s
  target: %s
steps:
  - { id: empty, kind: sql, on: target, run: "DELETE FROM items" }
  - { id: copy, kind: copy, tables: [items] }
`, target, target)), 0o644)
			j := filepath.Join(dir, "pf.journal")
			out, code := tightrope(t, append(env, "TR_PF_UNSET_DSN="), "run", rb, "--plain", "--as", "alice", "--auto-decide", "continue", "--journal", j)
			expect(t, out, code, 1, "pre-flight", "nothing was changed and the journal "+j+" was removed")
			left, _ := filepath.Glob(j + "*")
			if len(left) > 0 {
				t.Errorf("the refused run left %v", left)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("files in the runbook's folder: %v", entries)
			}
			if strings.Contains(out, "journal: "+j+"\n\n") || strings.HasSuffix(strings.TrimSpace(out), "journal: "+j) {
				t.Errorf("the output still points at the removed journal:\n%s", out)
			}
			if s.d != nil {
				if n := dbtest.Count(t, s.d, "items"); n != 2 {
					t.Errorf("items has %d rows after the refused run", n)
				}
			}
		})
	}
}
