package bluegreen

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// hostileTable and hostileRole are names only quoting survives: upper
// case, spaces, a dot, quotes, a semicolon, unicode.
const (
	hostileTable = `Orders "Q"; DROP.x ñ`
	hostileRole  = `App "R"; Ñ.x`
)

// TestHostileNamesSwitchAndBack replicates, compares, freezes and
// switches a table whose name and columns need quoting (a column name
// with a space next to one named as its first word, upper case, a quote,
// unicode), with the application connecting as a role whose name needs
// quoting too: the runbook's name is the table's exact name, as the rest
// of tightrope takes it, the compare reads every column, the freeze takes
// the hostile role's writes and gives them back.
func TestHostileNamesSwitchAndBack(t *testing.T) {
	w := newWorld(t, 10, 5)
	ctx := dbtest.Ctx(t)
	tbl := pgx.Identifier{hostileTable}.Sanitize()
	role := pgx.Identifier{hostileRole}.Sanitize()
	exec(t, w.srv.DSN, "CREATE ROLE "+role+" LOGIN")
	t.Cleanup(func() {
		for _, dsn := range []string{w.blue, w.green} {
			c, err := pgx.Connect(ctx, dsn)
			if err == nil {
				c.Exec(ctx, "DROP OWNED BY "+role)
				c.Close(ctx)
			}
		}
		c, err := pgx.Connect(ctx, w.srv.DSN)
		if err == nil {
			c.Exec(ctx, "DROP ROLE IF EXISTS "+role)
			c.Close(ctx)
		}
	})
	for _, dsn := range []string{w.blue, w.green} {
		exec(t, dsn,
			// "first" and "first name": a compare cutting names at the first
			// space would read "first" twice and never "first name"
			"CREATE TABLE "+tbl+` (id bigserial PRIMARY KEY, "first" text, "first name" text, "Qty ""x""" int, "ñ" text)`,
			"GRANT SELECT, INSERT, UPDATE, DELETE ON "+tbl+" TO "+role,
			"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "+role)
	}
	exec(t, w.blue, "INSERT INTO "+tbl+` ("first", "first name", "Qty ""x""", "ñ") SELECT 'same', 'n' || g, g, 'ü' FROM generate_series(1, 20) g`)
	// a name with a dot is given with its schema: names split at the first dot
	w.cfg.Tables = []string{"public." + hostileTable}
	w.cfg.Freezer = &memFreezer{plans: map[string]journal.FreezePayload{}}
	p := w.open(t)
	if got := p.Tables(); len(got) != 1 || got[0] != "public."+hostileTable {
		t.Fatalf("tables resolved as %q, want the exact name %q", got, "public."+hostileTable)
	}
	if _, err := p.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, p)
	// a row differing only in "first name" must make the sides differ
	exec(t, w.green, "ALTER SUBSCRIPTION "+ident(w.cfg.ForwardName())+" DISABLE")
	exec(t, w.blue, "UPDATE "+tbl+` SET "first name" = 'changed on blue only' WHERE id = 3`)
	sums, err := p.Compare(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 1 || sums[0].Equal || len(sums[0].Differ) != 1 || sums[0].Differ[0] != "(3)" {
		t.Fatalf("compare after a change to \"first name\" on blue only: %+v, want the row (3) differing", sums)
	}
	exec(t, w.green, "ALTER SUBSCRIPTION "+ident(w.cfg.ForwardName())+" ENABLE")
	exec(t, w.blue, "UPDATE "+tbl+` SET "first name" = 'changed again' WHERE id = 3`)

	sw, err := p.Switch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sw.To != "green" {
		t.Fatalf("switch: %+v", sw)
	}
	mustEqual(t, p)
	var granted []string
	for _, dsn := range []string{w.blue, w.green} {
		granted = append(granted, strings.Join(strs(t, dsn, `SELECT privilege_type::text FROM information_schema.role_table_grants
			WHERE grantee = $1 AND table_name = $2 AND privilege_type IN ('INSERT', 'UPDATE', 'DELETE') ORDER BY 1`, hostileRole, hostileTable), ","))
	}
	if granted[0] != "" || granted[1] != "DELETE,INSERT,UPDATE" {
		t.Fatalf("after the switch the hostile role may write blue %q and green %q, want blue nothing and green all", granted[0], granted[1])
	}
	if _, err := p.SwitchBack(ctx, true); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, p)
	for i, dsn := range []string{w.blue, w.green} {
		got := strings.Join(strs(t, dsn, `SELECT privilege_type::text FROM information_schema.role_table_grants
			WHERE grantee = $1 AND table_name = $2 AND privilege_type IN ('INSERT', 'UPDATE', 'DELETE') ORDER BY 1`, hostileRole, hostileTable), ",")
		want := []string{"DELETE,INSERT,UPDATE", ""}[i]
		if got != want {
			t.Fatalf("after the switch back the hostile role's writes on side %d: %q, want %q", i, got, want)
		}
	}
}
