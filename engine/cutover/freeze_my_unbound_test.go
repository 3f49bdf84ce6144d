package cutover

import (
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestMariaDBFreezeNamesUnboundAccounts: on the throwaway MariaDB, which
// has no super_read_only, an account with READ_ONLY ADMIN writes through
// read_only; pre-flight (Unbound) and the freeze's warnings name it, and
// not tightrope's own account.
func TestMariaDBFreezeNamesUnboundAccounts(t *testing.T) {
	ctx := ctxOf(t)
	srv := cdctest.MariaDB(t)
	name := short(dbtest.UniqueName(t, "frzub"))
	d, err := dbtest.Open(t, db.MySQL, srv.CreateDatabase(t, name))
	if err != nil {
		t.Fatal(err)
	}
	dbtest.MustExec(t, d, "CREATE TABLE t (id int PRIMARY KEY)")
	t.Cleanup(func() { d.SQL().Exec("SET GLOBAL read_only = 0") })
	dsn := srv.Account(t, name, "INSERT")
	account := "'" + dsn[:strings.Index(dsn, "@")] + "'@'%'"
	dbtest.MustExec(t, d, "GRANT READ_ONLY ADMIN ON *.* TO "+account)
	w, err := dbtest.Open(t, db.MySQL, dsn)
	if err != nil {
		t.Fatal(err)
	}
	var me string
	if err := d.SQL().QueryRow("SELECT CURRENT_USER()").Scan(&me); err != nil {
		t.Fatal(err)
	}
	named := func(what string, ws []string) {
		t.Helper()
		all := strings.Join(ws, "\n")
		if !strings.Contains(all, "account "+account+" has READ_ONLY ADMIN") {
			t.Errorf("%s: %q; want the account %s named", what, all, account)
		}
		if at := strings.Index(me, "@"); strings.Contains(all, "'"+me[:at]+"'@'"+me[at+1:]+"'") {
			t.Errorf("%s names tightrope's own account %s: %q", what, me, all)
		}
	}
	pre, err := Unbound(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	named("pre-flight", pre)
	plan, err := Plan(ctx, d, []string{"t"})
	if err != nil {
		t.Fatal(err)
	}
	frozen, err := Apply(ctx, d, plan, 0)
	if err != nil {
		t.Fatal(err)
	}
	named("the freeze's warnings", frozen.Warnings)
	if _, err := w.SQL().Exec("INSERT INTO t VALUES (1)"); err != nil {
		t.Fatalf("the warning says %s writes through read_only, and it cannot: %v", account, err)
	}
	if err := Undo(ctx, d, plan); err != nil {
		t.Fatal(err)
	}
}
