package assess_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/assess"
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// concurrentCopy is the target as --measure-write writes it, with a
// real copy of another run starting into the same target just after the
// scratch table is made (when the measurement looks its scratch table up):
// that copy creates the checkpoint table the measurement found missing.
type concurrentCopy struct {
	db.DB
	once func()
}

func (c *concurrentCopy) Table(ctx context.Context, name string) (db.Table, error) {
	if strings.HasPrefix(name, assess.ScratchPrefix) && c.once != nil {
		c.once()
		c.once = nil
	}
	return c.DB.Table(ctx, name)
}

// TestMeasureWriteKeepsACheckpointMadeMeanwhile: a copy of another run
// that starts writing into the target while the measurement runs keeps
// its checkpoints: the measurement removes its own rows of the checkpoint
// table and drops that table only when nothing else is in it.
func TestMeasureWriteKeepsACheckpointMadeMeanwhile(t *testing.T) {
	src, dst := newPostgres(t, "source"), newPostgres(t, "target")
	ctx := dbtest.Ctx(t)
	for _, s := range []*server{src, dst} {
		dbtest.MustExec(t, s, "CREATE TABLE other (id INTEGER PRIMARY KEY, v VARCHAR(20))", "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
	}
	var other, items [][]any
	for i := 1; i <= 2000; i++ {
		other = append(other, []any{i, fmt.Sprint("v", i)})
		items = append(items, []any{i, fmt.Sprint("item ", i)})
	}
	dbtest.InsertRows(t, src, "other", []string{"id", "v"}, other)
	dbtest.InsertRows(t, src, "items", []string{"id", "name"}, items)
	rb := &runbooks.Runbook{Name: "w", MigrationID: "MIG-W", Connections: []runbooks.Connection{src.conn, dst.conn},
		Steps: []runbooks.Step{{ID: "copy", Kind: runbooks.KindCopy, From: "source", To: "target", Tables: []string{"items"}, Batch: 500, Parallel: 1}}}
	progressTables := func() int64 {
		var n int64
		if err := dst.SQL().QueryRowContext(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_name = $1 AND table_schema = current_schema()", db.ProgressTable).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if progressTables() != 0 {
		t.Fatal("the target has a checkpoint table before the test")
	}
	running := rb.Steps[0]
	running.Tables = []string{"other"}
	var copyErr error
	res, err := assess.Run(ctx, assess.Options{Runbook: rb, MeasureWrite: true,
		OpenWrite: func(ctx2 context.Context, c runbooks.Connection) (db.DB, error) {
			d, err := openWrite(ctx2, c)
			if err != nil {
				return nil, err
			}
			return &concurrentCopy{DB: d, once: func() {
				_, copyErr = copyengine.Run(ctx, src, dst, []string{"other"}, running, "the-other-run", &countingSink{byReason: map[string]int64{}})
			}}, nil
		}})
	if err != nil || copyErr != nil {
		t.Fatal(err, copyErr)
	}
	if tr := res.Tables[0]; tr.WriteRate <= 0 || tr.WriteFrom != journal.WriteMeasured {
		t.Fatalf("no write rate measured: %+v; findings %+v", tr, res.Findings)
	}
	if progressTables() != 1 {
		t.Fatal("the measurement dropped the checkpoint table another run's copy wrote into meanwhile")
	}
	var mine, theirs int64
	if err := dst.SQL().QueryRowContext(ctx, "SELECT count(*) FILTER (WHERE copy_id LIKE 'assess-%'), count(*) FILTER (WHERE copy_id = 'the-other-run') FROM "+db.ProgressTable).Scan(&mine, &theirs); err != nil {
		t.Fatal(err)
	}
	if mine != 0 || theirs == 0 {
		t.Fatalf("checkpoints left: %d of the measurement's, %d of the other run's; want none and some", mine, theirs)
	}
}
