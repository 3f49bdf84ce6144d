package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// TestCopyJournalsItsBatchSizes: a copy step that names no batch and no
// parallel journals the values the engine chose (copy_tuned, auto) and
// every resize, and the fold shows the last; a step that names them
// journals them as the runbook's and never resizes.
func TestCopyJournalsItsBatchSizes(t *testing.T) {
	r := smallRun(t, controlsHeader+`steps:
  - { id: auto, kind: copy, tables: [wide] }
  - { id: named, kind: copy, tables: [small], batch: 250, parallel: 1 }
`, "alice", journal.ChoiceContinue)
	for _, f := range []string{"a.db", "b.db"} {
		if err := os.WriteFile(filepath.Join(r.dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := openSQLite(t, filepath.Join(r.dir, "a.db"))
	dst := openSQLite(t, filepath.Join(r.dir, "b.db"))
	const n = 30000
	for _, table := range []string{"wide", "small"} {
		mustExec(t, src, "CREATE TABLE "+table+" (id INTEGER PRIMARY KEY, a TEXT, b TEXT)")
		mustExec(t, dst, "CREATE TABLE "+table+" (id INTEGER PRIMARY KEY, a TEXT, b TEXT)")
		for start := 0; start < n; start += 500 {
			var rows []string
			for i := start; i < start+500; i++ {
				rows = append(rows, fmt.Sprintf("(%d, 'a%d', 'b%d')", i*2+1, i, i))
			}
			mustExec(t, src, "INSERT INTO "+table+" (id, a, b) VALUES "+strings.Join(rows, ", "))
		}
	}
	outcome, err := r.c.Run(t.Context())
	if err != nil || outcome != journal.OutcomeFinished {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	events, err := journal.ReadAll(r.journal)
	if err != nil {
		t.Fatal(err)
	}
	resizes := map[string]int{}
	var firstAuto, named []journal.CopyTunedPayload
	for _, e := range events {
		if e.Type != journal.CopyTuned {
			continue
		}
		pl, err := journal.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		p := pl.(journal.CopyTunedPayload)
		switch {
		case p.Reason != "chosen":
			resizes[p.Table]++
		case e.StepID == "auto":
			firstAuto = append(firstAuto, p)
		default:
			named = append(named, p)
		}
	}
	if len(firstAuto) != 1 || !firstAuto[0].AutoBatch || !firstAuto[0].AutoParallel || firstAuto[0].Batch <= 0 || firstAuto[0].Table != "wide" {
		t.Errorf("the auto step's chosen values: %+v", firstAuto)
	}
	if len(named) != 1 || named[0].Batch != 250 || named[0].Parallel != 1 || named[0].AutoBatch || named[0].AutoParallel || resizes["small"] != 0 {
		t.Errorf("the named step's values: %+v, %d resizes", named, resizes["small"])
	}
	s := r.c.State()
	for _, tb := range s.Tables {
		if tb.Resizes != resizes[tb.Table] || tb.Read != n || tb.Written != n || !tb.Done {
			t.Errorf("%s folded %+v; %d resizes journaled", tb.Table, tb, resizes[tb.Table])
		}
	}
	t.Logf("resizes %v; last auto %+v", resizes, s.Tables[0].Tuning)
}

// TestLastTuneIsTheStepsOwn: a restarted copy step goes on with the batch
// size its own last copy_tuned put in force for the table, never one that
// another step (a copy back of the same table) left there.
func TestLastTuneIsTheStepsOwn(t *testing.T) {
	c := &Conductor{}
	tuned := func(seq int64, step string, p journal.CopyTunedPayload) {
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		c.state.Apply(journal.Event{Seq: seq, StepID: step, Type: journal.CopyTuned, Payload: raw})
	}
	tuned(1, "copy", journal.CopyTunedPayload{Table: "orders", Batch: 3000, Workers: 2, AutoBatch: true, Reason: "chosen", RowBytes: 90})
	tuned(2, "copy", journal.CopyTunedPayload{Table: "orders", Batch: 6000, Workers: 2, AutoBatch: true, Reason: "grew", RowBytes: 88})
	if tn, ok := (&copySink{c: c, step: runbooks.Step{ID: "copy"}}).LastTune("orders"); !ok || tn.Batch != 6000 || tn.RowBytes != 88 || !tn.AutoBatch || tn.Workers != 2 {
		t.Errorf("LastTune of step copy = %+v, %v: want the 6,000 rows in force", tn, ok)
	}
	if tn, ok := (&copySink{c: c, step: runbooks.Step{ID: "copy_back"}}).LastTune("orders"); ok {
		t.Errorf("step copy_back took over step copy's tune %+v", tn)
	}
	if tn, ok := (&copySink{c: c, step: runbooks.Step{ID: "copy"}}).LastTune("items"); ok {
		t.Errorf("a table never tuned has a tune %+v", tn)
	}
}
