package journal

import (
	"encoding/json"
	"testing"
	"time"
)

// The fold keeps each table's latest batch size and parallelism and counts
// the resizes; a resumed run's chosen values replace the last ones without
// counting as a resize.
func TestFoldCopyTuned(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 2, 0, 0, 0, time.UTC)
	var s State
	for i, p := range []CopyTunedPayload{
		{Table: "orders", Batch: 2600, Parallel: 2, Workers: 2, AutoBatch: true, AutoParallel: true, Reason: "chosen"},
		{Table: "orders", Batch: 5200, Parallel: 2, Workers: 2, AutoBatch: true, AutoParallel: true, Reason: "grew", TookMS: 40, Rows: 2600},
		{Table: "items", Batch: 500, Parallel: 1, Workers: 2, Reason: "chosen"},
		{Table: "orders", Batch: 1300, Parallel: 2, Workers: 2, AutoBatch: true, AutoParallel: true, Reason: "shrank", TookMS: 900, Rows: 5200},
		{Table: "orders", Batch: 2600, Parallel: 1, Workers: 1, AutoBatch: true, Reason: "chosen"},
		{Table: "orders", Batch: 2600, Parallel: 1, Workers: 1, AutoBatch: true, Reason: "resumed", TargetMS: 250},
	} {
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		s.Apply(Event{Seq: int64(i + 1), At: t0.Add(time.Duration(i) * time.Second), StepID: "copy", Type: CopyTuned, Payload: raw})
	}
	if len(s.Problems) > 0 {
		t.Fatal(s.Problems)
	}
	if len(s.Tables) != 2 {
		t.Fatalf("tables %+v", s.Tables)
	}
	o, it := s.Tables[0], s.Tables[1]
	if o.Table != "orders" || o.Tuning.Batch != 2600 || o.Tuning.Parallel != 1 || o.Tuning.Reason != "resumed" || o.TunedStep != "copy" || o.Resizes != 2 || !o.StartedAt.Equal(t0) {
		t.Errorf("orders %+v: want batch 2600 ×1 after 2 resizes, started at the first event", o)
	}
	if it.Table != "items" || it.Tuning.Batch != 500 || it.Tuning.AutoBatch || it.Resizes != 0 {
		t.Errorf("items %+v", it)
	}
}
