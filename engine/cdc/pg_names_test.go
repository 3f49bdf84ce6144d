package cdc

import (
	"context"
	"slices"
	"testing"
)

// TestPGOddNamesCaptureAndApply: a table whose name has upper case and a
// space, with columns holding a dot, a quote and upper case, is captured
// and applied exactly (each column one identifier, never split at a dot).
func TestPGOddNamesCaptureAndApply(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	const ddl = `CREATE TABLE "Odd Items" (id int PRIMARY KEY, "unit.price" numeric(10,2), "Qty ""x""" int)`
	pgExec(t, w.source, ddl)
	pgExec(t, w.target, ddl)
	def := PGStream{Source: "src", DSN: w.source, Stream: w.stream, Tables: []string{"Odd Items"}}
	snap, _, err := def.Create(ctx, w.journal, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	if err := snap.Release(ctx); err != nil {
		t.Fatal(err)
	}
	stop := runCapture(w.capture())
	pgExec(t, w.source,
		`INSERT INTO "Odd Items" VALUES (1, 1.25, 3), (2, 2.50, 4)`,
		`UPDATE "Odd Items" SET "unit.price" = 9.99, "Qty ""x""" = 7 WHERE id = 1`,
		`DELETE FROM "Odd Items" WHERE id = 2`,
		`INSERT INTO "Odd Items" VALUES (3, 0.01, NULL)`)
	waitSpooled(t, w, 4, true)
	if err := stop(); err != nil {
		t.Fatalf("capture: %v", err)
	}
	applier := &PGApplier{DSN: w.target, Stream: w.stream, JournalPath: w.journal.Path()}
	if n, err := applier.Apply(ctx); err != nil || n != 4 {
		t.Fatalf("applied %d transactions, err %v; want 4", n, err)
	}
	read := func(dsn string) []string {
		conn := pgConnect(t, dsn)
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, `SELECT id::text || '|' || coalesce("unit.price"::text, '-') || '|' || coalesce("Qty ""x"""::text, '-') FROM "Odd Items" ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	src, dst := read(w.source), read(w.target)
	if want := []string{"1|9.99|7", "3|0.01|-"}; !slices.Equal(src, want) || !slices.Equal(dst, want) {
		t.Fatalf("source %v, target %v; want both %v", src, dst, want)
	}
}
