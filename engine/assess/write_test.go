package assess_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/assess"
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// TestWriteRateOnlyWithTheFlag: without --measure-write the target is
// unchanged and the write rate is unknown, said so; with it the write rate
// is measured on a scratch table that is gone afterwards (with the
// checkpoint table its loads needed), the target otherwise unchanged, and
// the copy's predicted duration is the longer of reading and writing,
// weighed against expected × overrun.
func TestWriteRateOnlyWithTheFlag(t *testing.T) {
	_, dst, rb := shop(t)
	ctx := dbtest.Ctx(t)
	before := fingerprint(t, dst)

	res, err := assess.Run(ctx, assess.Options{Runbook: rb})
	if err != nil {
		t.Fatal(err)
	}
	if got := fingerprint(t, dst); got != before {
		t.Errorf("without --measure-write the target changed:\nbefore %s\nafter  %s", before, got)
	}
	if tr := res.Tables[0]; tr.WriteRate != 0 || tr.WriteFrom != "" {
		t.Errorf("without --measure-write or a recorded copy the write rate must be unknown: %v from %q", tr.WriteRate, tr.WriteFrom)
	}
	if s := res.Steps[0]; s.WriteKnown || s.Predicted != s.ReadTime {
		t.Errorf("without a write rate the prediction is the read time, said as a floor: %+v", s)
	}
	if !anyFinding(res, "the write rate is unknown") {
		t.Errorf("no finding says the write rate is unknown: %+v", res.Findings)
	}

	var opened int
	rb.Objectives.Expected = time.Millisecond // any real copy overruns 1.5 × 1ms
	res, err = assess.Run(ctx, assess.Options{Runbook: rb, MeasureWrite: true,
		OpenWrite: func(ctx2 context.Context, c runbooks.Connection) (db.DB, error) {
			opened++
			if c.Name != "target" {
				t.Errorf("--measure-write opened %s to write, not the target", c.Name)
			}
			return openWrite(ctx2, c)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if got := fingerprint(t, dst); got != before {
		t.Errorf("the scratch table (or its checkpoints) outlived the measurement:\nbefore %s\nafter  %s", before, got)
	}
	tr, s := res.Tables[0], res.Steps[0]
	t.Logf("read %.0f rows/s, write %.0f rows/s; read %s, write %s, predicted %s", tr.ReadRate, tr.WriteRate, s.ReadTime, s.WriteTime, s.Predicted)
	if opened != 1 || tr.WriteRate <= 0 || tr.WriteFrom != journal.WriteMeasured {
		t.Fatalf("write connection opened %d times; write rate %v from %q", opened, tr.WriteRate, tr.WriteFrom)
	}
	if !s.WriteKnown || s.Predicted != max(s.ReadTime, s.WriteTime) || s.WriteTime <= 0 {
		t.Errorf("predicted %s, want the longer of read %s and write %s", s.Predicted, s.ReadTime, s.WriteTime)
	}
	if !hasFinding(res, assess.Blocker, runbooks.TriggerOverrun) {
		t.Errorf("a copy predicted over expected × overrun must be a blocker: %+v", res.Findings)
	}
	if !anyFinding(res, "measured on a scratch table") {
		t.Errorf("the duration finding does not say the write rate was measured: %+v", res.Findings)
	}
}

func anyFinding(r *assess.Result, text string) bool {
	for _, f := range r.Findings {
		if strings.Contains(f.Message, text) {
			return true
		}
	}
	return false
}

// TestMeasureWriteKeepsEarlierCheckpoints: into a MariaDB target that
// already holds a copy's checkpoints, the measurement removes only its
// own: the target is as it was, the earlier copy's checkpoint included.
func TestMeasureWriteKeepsEarlierCheckpoints(t *testing.T) {
	src, dst := newPostgres(t, "source"), newMySQL(t, "target")
	ctx := dbtest.Ctx(t)
	for _, s := range []*server{src, dst} {
		dbtest.MustExec(t, s, "CREATE TABLE done (id INTEGER PRIMARY KEY, v VARCHAR(20))", "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
	}
	var done, items [][]any
	for i := 1; i <= 3000; i++ {
		done = append(done, []any{i, fmt.Sprint("v", i)})
		items = append(items, []any{i, fmt.Sprint("item ", i)})
	}
	dbtest.InsertRows(t, src, "done", []string{"id", "v"}, done)
	dbtest.InsertRows(t, src, "items", []string{"id", "name"}, items)
	rb := &runbooks.Runbook{Name: "w", MigrationID: "MIG-W", Connections: []runbooks.Connection{src.conn, dst.conn},
		Steps: []runbooks.Step{{ID: "copy", Kind: runbooks.KindCopy, From: "source", To: "target", Tables: []string{"items"}, Batch: 500, Parallel: 1}}}
	earlier := rb.Steps[0]
	earlier.Tables = []string{"done"}
	if _, err := copyengine.Run(ctx, src, dst, []string{"done"}, earlier, "earlier-run", &countingSink{byReason: map[string]int64{}}); err != nil {
		t.Fatal(err)
	}
	if n := dbtest.Count(t, dst, db.ProgressTable); n == 0 {
		t.Fatal("the earlier copy left no checkpoint to keep")
	}
	before := fingerprint(t, dst)
	res, err := assess.Run(ctx, assess.Options{Runbook: rb, MeasureWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if tr := res.Tables[0]; tr.WriteRate <= 0 || tr.WriteFrom != journal.WriteMeasured {
		t.Fatalf("no write rate measured: %+v; findings %+v", tr, res.Findings)
	}
	if after := fingerprint(t, dst); after != before {
		t.Errorf("the measurement changed the target:\nbefore %s\nafter  %s", before, after)
	}
}
