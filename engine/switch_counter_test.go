package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// TestSwitchRefusesANewSideWithoutTheCounter: blue's items.id comes from
// a sequence, green's is a plain integer (as a copy with create: true
// makes it): the sequences precondition fails naming the column, before
// the go and the hook, and blue stays live — the application's first
// insert on green would otherwise fail.
func TestSwitchRefusesANewSideWithoutTheCounter(t *testing.T) {
	sides := pgSwitchSides(t)
	dbtest.MustExec(t, sides.dst, "DROP TABLE items", "CREATE TABLE items (id int PRIMARY KEY, v text)")
	r := smallRun(t, switchHeader+`steps:
  - { id: copy, kind: copy, tables: [items] }
  - { id: freeze, kind: freeze, on: source }
  - { id: flip, kind: switch, run: "echo green > marker" }
rollback:
  - { id: say, kind: shell, run: "true" }
`, "alice", journal.ChoiceContinue)
	waitOutcome(t, runAsync(r), journal.OutcomeFailed)
	checks := eventsOf[journal.SwitchCheckPayload](t, r.journal, journal.SwitchCheck)
	last := checks[len(checks)-1]
	if last.Check != journal.CheckSequences || last.OK || !strings.Contains(last.Detail, "items.id") {
		t.Fatalf("preconditions %+v; want sequences failed naming items.id", checks)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "marker")); !os.IsNotExist(err) {
		t.Fatalf("the hook ran: %v", err)
	}
	if err := sides.canWrite(t); err != nil {
		t.Fatalf("blue after the refused switch: %v", err)
	}
}
