package assess

import (
	"context"
	"fmt"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// snapshotStep predicts a snapshot's artefact size.
func (a *assessor) snapshotStep(ctx context.Context, step runbooks.Step) error {
	d, err := a.conn(ctx, step.Of)
	if err != nil {
		return err
	}
	n, err := db.Size(ctx, d)
	if err != nil {
		return err
	}
	a.res.Snapshots = append(a.res.Snapshots, SnapshotResult{Step: step.ID, Of: step.Of, Size: n})
	a.add(Finding{Grade: Note, Step: step.ID, Message: fmt.Sprintf("the snapshot of %s captures about %s", step.Of, bytesWord(n))})
	return nil
}

// bytesWord is a byte count in binary units.
func bytesWord(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
