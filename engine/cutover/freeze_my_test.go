package cutover

import (
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

func globalReadOnly(t *testing.T, d db.DB) string {
	t.Helper()
	var v string
	if err := d.SQL().QueryRow("SELECT @@GLOBAL.read_only").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMariaDBFreezeIsReadOnly: on the throwaway MariaDB (read_only is
// global), a freeze records the read_only it replaces, stops an ordinary
// account's writes while tightrope's own go on, and its undo restores the
// recorded value — also when the server was read-only already.
func TestMariaDBFreezeIsReadOnly(t *testing.T) {
	ctx := ctxOf(t)
	srv := cdctest.MariaDB(t)
	name := short(dbtest.UniqueName(t, "frz"))
	d, err := dbtest.Open(t, db.MySQL, srv.CreateDatabase(t, name))
	if err != nil {
		t.Fatal(err)
	}
	dbtest.MustExec(t, d, "CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, v text)")
	t.Cleanup(func() { d.SQL().Exec("SET GLOBAL read_only = 0") })
	w, err := dbtest.Open(t, db.MySQL, srv.Account(t, name, "SELECT, INSERT, UPDATE, DELETE"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.SQL().Exec("INSERT INTO t (v) VALUES ('before')"); err != nil {
		t.Fatal(err)
	}

	for _, was := range []string{"0", "1"} {
		dbtest.MustExec(t, d, "SET GLOBAL read_only = "+was)
		plan, err := Plan(ctx, d, []string{"t"})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Method != journal.FreezeReadOnly || plan.PrevReadOnly != was {
			t.Fatalf("plan %+v; want read_only with the previous value %s", plan, was)
		}
		if plan.PrevSuperReadOnly != "" {
			t.Fatalf("MariaDB has no super_read_only, the plan says it was %q", plan.PrevSuperReadOnly)
		}
		frozen, err := Apply(ctx, d, plan, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(frozen.Warnings) == 0 || !strings.Contains(frozen.Warnings[0], "super_read_only") {
			t.Errorf("warnings %v: the freeze must say what read_only does not bind", frozen.Warnings)
		}
		if got := globalReadOnly(t, d); got != "1" {
			t.Fatalf("read_only %s after the freeze", got)
		}
		_, err = w.SQL().Exec("INSERT INTO t (v) VALUES ('during')")
		mustFail(t, "an ordinary account's insert during the freeze", err, "read-only")
		if _, err := d.SQL().Exec("INSERT INTO t (v) VALUES ('tightrope')"); err != nil {
			t.Fatalf("tightrope's own write during the freeze: %v", err)
		}
		for range 2 {
			if err := Undo(ctx, d, plan); err != nil {
				t.Fatal(err)
			}
			if got := globalReadOnly(t, d); got != was {
				t.Fatalf("read_only %s after the unfreeze, was %s before the freeze", got, was)
			}
		}
	}
	dbtest.MustExec(t, d, "SET GLOBAL read_only = 0")
	if _, err := w.SQL().Exec("INSERT INTO t (v) VALUES ('after')"); err != nil {
		t.Fatalf("the writer after the unfreeze: %v", err)
	}
}
