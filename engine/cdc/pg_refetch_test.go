package cdc

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
)

// TestPGApplyRefetchesLiveCopiedRows: in a table a copy read live (Live,
// up to the source's head then), an update that left a value out (unchanged
// TOAST) and finds its row missing, or moves it to a key the live read
// holds already, takes the row the source holds now; a row the source no
// longer holds is left to later changes. Past the head, a missing row is
// an error again, and so is it in a table not read live.
func TestPGApplyRefetchesLiveCopiedRows(t *testing.T) {
	w := newPGWorld(t)
	pgExec(t, w.source, `INSERT INTO items (id, name, qty, doc) VALUES (2, 'two now', 2, 'doc2'), (5, 'five now', 5, 'doc5')`)
	pgExec(t, w.target, `INSERT INTO items (id, name, qty, doc) VALUES (3, 'three', 3, 'doc3'), (5, 'five live', 5, 'doc5')`)
	s := func(v string) *string { return &v }
	upd := func(old, id string, name string) journal.CDCChange {
		return journal.CDCChange{Op: "update", Table: "items", Columns: []string{"id", "name", "qty", "note", "payload"},
			New: []*string{s(id), s(name), s("1"), nil, nil}, Unchanged: []string{"doc"}, KeyColumns: []string{"id"}, Key: []*string{s(old)}}
	}
	ctx := context.Background()
	spool := func(pos string, cs ...journal.CDCChange) int64 {
		e, err := w.journal.Append(ctx, "cdc", "capture", journal.CDCChanges, journal.CDCChangesPayload{Stream: w.stream, Position: pos, Changes: cs})
		if err != nil {
			t.Fatal(err)
		}
		return e.Seq
	}
	before := spool("0/10",
		upd("2", "2", "two then"),  // missing on the target, on the source now: upserted as the source holds it
		upd("3", "5", "five then"), // moved onto a key the live read holds: old key deleted, new key as the source holds it
		upd("4", "4", "four then")) // missing on both: left to later changes
	spool("0/200", upd("6", "6", "six")) // past the head: a missing row is an error
	var got []string
	a := &PGApplier{DSN: w.target, Stream: w.stream, JournalPath: w.journal.Path(), Source: w.source,
		Live: func() map[string]int64 { return map[string]int64{"items": 0x100} },
		OnRefetched: func(seq int64, table string, key []*string, found bool) {
			got = append(got, table+" "+*key[0]+map[bool]string{true: " found", false: " gone"}[found])
		}}
	n, err := a.Apply(ctx)
	if n != 1 || err == nil || !strings.Contains(err.Error(), "the row is missing on the target") {
		t.Fatalf("applied %d, err %v: want the first transaction applied and the one past the head refused", n, err)
	}
	if want := []string{"items 2 found", "items 5 found", "items 4 gone"}; !slices.Equal(got, want) {
		t.Errorf("refetched %q, want %q", got, want)
	}
	rows := rowsOf(t, w.target)
	want := []string{
		`{"id":2,"name":"two now","qty":2,"note":null,"payload":null,"doc":"doc2"}`,
		`{"id":5,"name":"five now","qty":5,"note":null,"payload":null,"doc":"doc5"}`,
	}
	if !slices.Equal(rows, want) {
		t.Errorf("target rows %q, want %q", rows, want)
	}
	if at, err := a.Position(ctx); err != nil || at.Seq != before {
		t.Errorf("applied position %+v %v, want seq %d", at, err, before)
	}

	// Not read live: the same missing row stays an error.
	strict := &PGApplier{DSN: w.target, Stream: w.stream + "x", JournalPath: w.journal.Path(), Source: w.source}
	spool2, err := w.journal.Append(ctx, "cdc", "capture", journal.CDCChanges, journal.CDCChangesPayload{Stream: w.stream + "x", Position: "0/10", Changes: []journal.CDCChange{upd("7", "7", "seven")}})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := strict.Apply(ctx); n != 0 || err == nil || !strings.Contains(err.Error(), "the row is missing on the target") {
		t.Errorf("without Live, seq %d: applied %d, err %v; want the missing row refused", spool2.Seq, n, err)
	}
}
