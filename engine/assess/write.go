package assess

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// writeSample is the most converted rows kept from the read to measure
// the target's write rate with.
const writeSample = 20000

// ScratchPrefix begins the name of the scratch table assess
// --measure-write creates in the target and drops again.
const ScratchPrefix = "tightrope_assess_scratch_"

// measureWrite measures the rate at which the target takes this table's
// rows: a scratch table shaped like the target table (its columns, types
// and key) is created, the converted rows kept from the read are loaded
// into it through the copy's own write path (db.LoadBatch, in the step's
// batches), and the table is dropped again, with the checkpoint the loads
// wrote. It is the only write an assessment does, and only when asked
// (Options.MeasureWrite); the connection is opened read-write for it alone
// and closed after.
func (a *assessor) measureWrite(ctx context.Context, step runbooks.Step, p *copyengine.Plan, rows [][]any) (float64, error) {
	if len(rows) == 0 {
		return 0, errors.New("no row converted to write")
	}
	c, ok := a.o.Runbook.Connection(step.To)
	if !ok {
		return 0, fmt.Errorf("no connection named %q", step.To)
	}
	d, err := a.o.OpenWrite(ctx, c)
	if err != nil {
		return 0, fmt.Errorf("opening %s to write: %w", step.To, err)
	}
	defer d.Close()
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	name := ScratchPrefix + hex.EncodeToString(suffix[:])
	shape := db.Table{Name: name, Key: p.Source.Key[:p.KeyCount]}
	for i, col := range p.Cols {
		shape.Columns = append(shape.Columns, db.Column{Name: col, Type: p.Types[i]})
	}
	hadProgress, err := hasTable(ctx, d, db.ProgressTable)
	if err != nil {
		return 0, err
	}
	if _, err := db.CreateTable(ctx, d, shape); err != nil {
		return 0, err
	}
	copyID := "assess-" + name
	defer func() {
		// the scratch table and the checkpoints its loads wrote go, even
		// when the measurement failed or was interrupted
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, _ = d.SQL().ExecContext(cctx, "DROP TABLE "+d.Quote(name))
		progress := d.Quote(db.ProgressTable)
		if _, err := d.SQL().ExecContext(cctx, "DELETE FROM "+progress+" WHERE "+d.Quote("copy_id")+" = "+placeholder(d), copyID); err != nil || hadProgress {
			return
		}
		// made for the measurement: dropped unless a copy of a run has
		// written into it meanwhile (its checkpoints are its resume)
		var left int64
		if err := d.SQL().QueryRowContext(cctx, "SELECT count(*) FROM "+progress).Scan(&left); err == nil && left == 0 {
			_, _ = d.SQL().ExecContext(cctx, "DROP TABLE IF EXISTS "+progress)
		}
	}()
	t, err := d.Table(ctx, name)
	if err != nil {
		return 0, err
	}
	batch := step.Batch
	if batch <= 0 {
		batch = readBatch
	}
	start := a.o.Now()
	for i := 0; i < len(rows); i += batch {
		chunk := rows[i:min(i+batch, len(rows))]
		mark := db.Marker{CopyID: copyID, Table: name, Written: int64(i + len(chunk))}
		if err := d.LoadBatch(ctx, t, p.Cols, chunk, mark); err != nil {
			return 0, fmt.Errorf("writing the scratch table: %w", err)
		}
	}
	took := a.o.Now().Sub(start)
	if took <= 0 {
		took = time.Microsecond
	}
	return float64(len(rows)) / took.Seconds(), nil
}

// writeRate sets the table's write rate: measured on a scratch table when
// asked, else the rate of the last recorded copy of the table in a journal
// of the same migration, else none (unknown, and said so by judgeDuration).
func (a *assessor) writeRate(ctx context.Context, step runbooks.Step, p *copyengine.Plan, rows [][]any, tr *TableResult) {
	if a.o.MeasureWrite {
		rate, err := a.measureWrite(ctx, step, p, rows)
		if err != nil {
			a.add(Finding{Grade: Warning, Step: step.ID, Table: tr.Table, Message: "the write rate could not be measured: " + err.Error()})
			return
		}
		tr.WriteRate, tr.WriteFrom = rate, journal.WriteMeasured
		return
	}
	if last, ok := lastCopy(a.hist.events(ctx), step.ID, tr.Table); ok {
		tr.WriteRate, tr.WriteFrom = last.rate, last.journal
	}
}

// hasTable reports whether the database has the table.
func hasTable(ctx context.Context, d db.DB, name string) (bool, error) {
	_, err := d.Table(ctx, name)
	if errors.Is(err, db.ErrNoTable) {
		return false, nil
	}
	return err == nil, err
}

// placeholder is the driver's first bind parameter.
func placeholder(d db.DB) string {
	if d.Driver() == db.Postgres {
		return "$1"
	}
	return "?"
}
