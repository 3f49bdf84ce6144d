package assess

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/human"
	"github.com/tightrope/tightrope/runbooks"
)

// snapshotStep predicts a snapshot's artefact size against the free disk
// where a file artefact goes, and its restore time against the RTO from
// the last restore of the same connection recorded in the journals given.
func (a *assessor) snapshotStep(ctx context.Context, step runbooks.Step) error {
	d, err := a.conn(ctx, step.Of)
	if err != nil {
		return err
	}
	n, err := db.Size(ctx, d)
	if err != nil {
		return err
	}
	snap := SnapshotResult{Step: step.ID, Of: step.Of, Size: n, RTO: a.o.Runbook.Objectives.RTO}
	inServer := false
	if sn, ok := d.(db.Snapshotter); ok {
		if m, err := db.FindSnapshotMethod(d.Driver(), sn, step.Method); err == nil {
			inServer = m.InServer
		} else {
			a.add(Finding{Grade: Blocker, Step: step.ID, Message: err.Error()})
		}
	}
	msg := fmt.Sprintf("the snapshot of %s captures about %s", step.Of, human.Bytes(n))
	grade := Note
	if inServer {
		snap.InServer = true
		msg += ", on the server"
	} else if dir := a.snapshotDir(); dir != "" {
		snap.Dir = dir
		if free, ok := diskFree(dir); ok {
			snap.Free, snap.FreeKnown = free, true
			msg += fmt.Sprintf(", into %s with %s free", dir, human.Bytes(free))
			if free < n {
				grade = Blocker
				msg += ": not enough room"
			}
		} else {
			msg += ", into " + dir + " (free space unknown)"
		}
	}
	a.add(Finding{Grade: grade, Step: step.ID, Message: msg})
	a.res.Snapshots = append(a.res.Snapshots, snap)
	return a.predictRestore(ctx, step, d)
}

// snapshotDir is where file artefacts go: Options.SnapshotDir, or
// "snapshots" beside the runbook (the run's default beside its journal).
func (a *assessor) snapshotDir() string {
	if a.o.SnapshotDir != "" {
		return a.o.SnapshotDir
	}
	if a.o.BaseDir == "" {
		return ""
	}
	return filepath.Join(a.o.BaseDir, "snapshots")
}

// predictRestore weighs the restore of this snapshot against the RTO,
// from the verified restores of the same connection in journals of the
// same migration (runs and drills; restoreModel), for the rows the
// connection holds now. Measuring a restore here would mean writing (a
// scratch database restored from a sample), which an assessment does not
// do: without a recorded restore the time is said to be unknown.
func (a *assessor) predictRestore(ctx context.Context, step runbooks.Step, d db.DB) error {
	rto := a.o.Runbook.Objectives.RTO
	recorded := restoresOf(a.hist.events(ctx), step.Of)
	if len(recorded) == 0 {
		a.add(Finding{Grade: Warning, Step: step.ID, Message: fmt.Sprintf("no restore of %s is recorded in the journals of this migration searched: the restore time against the RTO is unknown (rehearse it: tightrope drill)", step.Of)})
		return nil
	}
	tables, err := d.Tables(ctx)
	if err != nil {
		return fmt.Errorf("listing the tables of %s: %w", step.Of, err)
	}
	var rows int64
	for _, t := range tables {
		n, err := d.Count(ctx, t)
		if err != nil {
			return fmt.Errorf("counting %s: %w", t, err)
		}
		rows += n
	}
	model := fitRestores(recorded)
	predicted := model.predict(rows)
	i := len(a.res.Snapshots) - 1
	a.res.Snapshots[i].Rows, a.res.Snapshots[i].Restore, a.res.Snapshots[i].RestoreFrom = rows, predicted, filepath.Base(model.last.journal)
	f := Finding{Grade: Note, Step: step.ID, Message: fmt.Sprintf("restoring %d rows would take about %s %s",
		rows, predicted.Round(time.Millisecond), model.basis())}
	if rto > 0 {
		f.Message += fmt.Sprintf(" against an RTO of %s", rto)
		if predicted > rto {
			f.Grade = Blocker
			f.Message += ": over it"
		}
	}
	a.add(f)
	return nil
}
