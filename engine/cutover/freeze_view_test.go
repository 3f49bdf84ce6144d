package cutover

import (
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestPostgresFreezeRefusesAWritableView: a view of the table — and a
// view of that view — that the application may insert into is a way
// around the freeze (a write through a view uses the view owner's
// privileges, here the table's owner: tightrope's role), and so is a
// table with a rule that writes into it. The freeze
// refuses, naming the view, and changes nothing; with the views among
// its tables (and the rule's table) it holds, and no write gets through
// them.
func TestPostgresFreezeRefusesAWritableView(t *testing.T) {
	ctx := ctxOf(t)
	d, role, dsnAs := pgDatabase(t)
	dbtest.MustExec(t, d,
		`CREATE TABLE "Orders" (id int PRIMARY KEY, v text)`,
		`CREATE VIEW "open orders" AS SELECT * FROM "Orders"`,
		`CREATE VIEW "top orders" AS SELECT * FROM "open orders"`,
		`GRANT SELECT, INSERT ON "Orders", "top orders" TO `+role,
		`CREATE TABLE audit (id int PRIMARY KEY)`,
		`CREATE RULE copy_to_orders AS ON INSERT TO audit DO ALSO INSERT INTO "Orders" VALUES (NEW.id + 1000, 'by a rule')`,
		`GRANT INSERT ON audit TO `+role,
	)
	before := relacl(t, d, `"Orders"`)
	plan, err := Plan(ctx, d, []string{"Orders"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Apply(ctx, d, plan, 0)
	mustFail(t, "a freeze a view escapes", err, `through view "top orders"`)
	mustFail(t, "a freeze a rule escapes", err, `through a rule of table audit`)
	if after := relacl(t, d, `"Orders"`); after != before {
		t.Fatalf("a refused freeze changed the privileges: %s, was %s", after, before)
	}

	plan, err = Plan(ctx, d, []string{"Orders", "top orders", "audit"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, d, plan, 0); err != nil {
		t.Fatalf("freezing the table with its view: %v", err)
	}
	w, err := dbtest.Open(t, db.Postgres, dsnAs(role))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.SQL().ExecContext(ctx, `INSERT INTO "top orders" (id, v) VALUES (1, 'through the view')`); err == nil {
		t.Fatal("the application wrote through the view of a frozen table")
	}
	if _, err := w.SQL().ExecContext(ctx, `INSERT INTO audit VALUES (1)`); err == nil {
		t.Fatal("the application wrote through the rule of a frozen table")
	}
	if err := Undo(ctx, d, plan); err != nil {
		t.Fatal(err)
	}
	if _, err := w.SQL().ExecContext(ctx, `INSERT INTO "top orders" (id, v) VALUES (2, 'after the undo')`); err != nil {
		t.Fatalf("after the undo the application cannot write through the view: %v", err)
	}
}
