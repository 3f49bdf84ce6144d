package copy_test

// NaN and the infinities of a float column: copied where the target holds
// them (PostgreSQL; SQLite its infinities), rejected with a reason where it
// cannot (MySQL; SQLite's NaN, which it would store as NULL), and the
// rejected rows kept whole in a real journal, where JSON has no number
// for them.

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/convert"
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

// journalSink is a memSink that also stores every reject in a journal, as
// the conductor's sink does.
type journalSink struct {
	*memSink
	store *journal.Store
}

func newJournalSink(t *testing.T) *journalSink {
	t.Helper()
	s, err := journal.Create(filepath.Join(t.TempDir(), "run.journal"), journal.RunStartedPayload{
		RunbookText: "version: 1\nname: nonfinite\n", RunbookPath: "nonfinite.yaml", ToolVersion: "test",
		Operator: "test", Mode: journal.ModeDrill,
	}, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &journalSink{memSink: newSink(), store: s}
}

func (s *journalSink) Rejects(ctx context.Context, table string, rows []copyengine.Rejected) error {
	recs := make([]journal.RejectRow, len(rows))
	for i, r := range rows {
		recs[i] = journal.RejectRow{Table: table, Key: r.Key, Row: r.Row, Column: r.Column, Reason: r.Reason, Detail: r.Detail}
	}
	if _, err := s.store.AppendRejects(ctx, "test", "copy", recs, journal.RejectsPayload{Table: table}); err != nil {
		return err
	}
	return s.memSink.Rejects(ctx, table, rows)
}

// nonFiniteRows: ids 1, 3 hold a NaN, 2 and 5 infinities only, 4 finite.
func nonFiniteRows() [][]any {
	nan, inf := math.NaN(), math.Inf(1)
	return [][]any{
		{int64(1), float32(nan), 1.5},
		{int64(2), float32(inf), -inf},
		{int64(3), float32(1), nan},
		{int64(4), float32(2.5), 3.5},
		{int64(5), float32(-inf), inf},
	}
}

func TestNonFiniteFloatsAreCopiedOrRejected(t *testing.T) {
	rows := nonFiniteRows()
	for _, to := range drivers {
		t.Run("postgres_to_"+to, func(t *testing.T) {
			src, dst := newDB(t, db.Postgres), newDB(t, to)
			const table = "floats"
			createFloatTable(t, src, table)
			createFloatTable(t, dst, table)
			insertRows(t, src, table, floatCols, rows)
			step := copyStep(2, table)
			sink := newJournalSink(t)
			c, err := copyengine.Table(testCtx(t), src, dst, table, step, "test/"+step.ID, sink)
			if err != nil {
				t.Fatalf("copy: %v", err)
			}
			var wantIDs []int64
			switch to {
			case db.MySQL:
				wantIDs = []int64{1, 2, 3, 5}
			case db.SQLite:
				wantIDs = []int64{1, 3}
			}
			checkCopied(t, src, dst, table, step, c, sink.memSink)
			gotIDs := rejectedIDs(t, sink.store.Path())
			if fmtIDs(gotIDs) != fmtIDs(wantIDs) {
				t.Errorf("journal rejects ids %v, want %v", gotIDs, wantIDs)
			}
			var kept [][]any
			for _, r := range rows {
				if !contains(wantIDs, r[0].(int64)) {
					kept = append(kept, r)
				}
			}
			checkValues(t, dst, table, floatCols, kept)
		})
	}
}

// rejectedIDs reads the journal's rejects back, checks each is whole (its
// reason a not_number and its floats lossless) and returns their ids.
func rejectedIDs(t *testing.T, path string) []int64 {
	t.Helper()
	recs, err := journal.ReadRejects(path)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64][]any{}
	for _, r := range nonFiniteRows() {
		byID[r[0].(int64)] = r
	}
	var ids []int64
	for _, r := range recs {
		if r.Reason != convert.ReasonNotNumber {
			t.Errorf("reject %s: reason %q, want %q (%s)", r.Key, r.Reason, convert.ReasonNotNumber, r.Detail)
		}
		var row map[string]any
		dec := json.NewDecoder(strings.NewReader(string(r.Row)))
		dec.UseNumber()
		if err := dec.Decode(&row); err != nil {
			t.Fatalf("reject row %s: %v", r.Row, err)
		}
		id, err := row["id"].(json.Number).Int64()
		if err != nil {
			t.Fatalf("reject row %s: id: %v", r.Row, err)
		}
		ids = append(ids, id)
		want := byID[id]
		if got, ok := floatFromJSON(row["f"]); !ok || !sameFloat(got, float64(want[1].(float32))) {
			t.Errorf("reject %d: f stored as %v, want %v (row %s)", id, row["f"], want[1], r.Row)
		}
		if got, ok := floatFromJSON(row["d"]); !ok || !sameFloat(got, want[2].(float64)) {
			t.Errorf("reject %d: d stored as %v, want %v (row %s)", id, row["d"], want[2], r.Row)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// floatFromJSON reads a reject's float back: a number or {"float": ...};
// ok is false for anything else.
func floatFromJSON(v any) (f float64, ok bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case map[string]any:
		switch x["float"] {
		case "NaN":
			return math.NaN(), true
		case "+Inf":
			return math.Inf(1), true
		case "-Inf":
			return math.Inf(-1), true
		}
	}
	return 0, false
}

// sameFloat is a == b, with NaN equal to NaN.
func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

func contains(list []int64, v int64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func fmtIDs(ids []int64) string {
	b, _ := json.Marshal(ids)
	return string(b)
}
