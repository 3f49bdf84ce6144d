package scorecard

import (
	"testing"
	"time"
)

func TestHistoryConsistencyLine(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	restore := int64(1000)
	var es []Entry
	// newest first in the input: the history sorts them oldest first
	for i, met := range []bool{true, true, false, true, true, true} {
		es = append(es, Entry{MigrationID: "M", StartedAt: t0.Add(-time.Duration(i) * time.Hour), RolledBack: true, RTOMet: met, RestoreMS: &restore})
	}
	es = append(es, Entry{MigrationID: "M", StartedAt: t0.Add(time.Hour)}) // went on: no rollback, not judged
	hs := Histories(es, 5)
	if len(hs) != 1 {
		t.Fatalf("%d histories", len(hs))
	}
	h := hs[0]
	for i := 1; i < len(h.Drills); i++ {
		if h.Drills[i].StartedAt.Before(h.Drills[i-1].StartedAt) {
			t.Fatal("not oldest first")
		}
	}
	if h.Met != 4 || h.Window != 5 || h.Consistency != "4 of the last 5 drills that rolled back met the RTO: not yet consistent" {
		t.Errorf("%d of %d: %q", h.Met, h.Window, h.Consistency)
	}
	if hs := Histories(es[:2], 5); hs[0].Consistency != "2 of the last 2 drills that rolled back met the RTO: consistent" {
		t.Errorf("%q", hs[0].Consistency)
	}
	if hs := Histories(es[6:], 5); hs[0].Consistency != "no drill rolled back yet: the RTO is unproven" {
		t.Errorf("%q", hs[0].Consistency)
	}
}
