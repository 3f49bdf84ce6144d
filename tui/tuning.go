package tui

import (
	"fmt"

	"github.com/tightrope/tightrope/journal"
)

// tuneText is a table's batch size and parallelism in force, as the
// throughput pane shows it: "batch 8,200 ×2" ("" before the copy said).
func tuneText(t journal.TableState) string {
	if t.Tuning.Batch <= 0 {
		return ""
	}
	return fmt.Sprintf("batch %s ×%d", fmtInt(int64(t.Tuning.Batch)), max(t.Tuning.Parallel, 1))
}

// tunedLine is the plain line of a copy_tuned event.
func tunedLine(p journal.CopyTunedPayload) string {
	if p.Reason == "chosen" {
		return fmt.Sprintf("%s: batch %s rows (%s, ~%d bytes a row) · %d of %d workers (%s)",
			p.Table, fmtInt(int64(p.Batch)), chosenBy(p.AutoBatch), p.RowBytes, max(p.Parallel, 1), max(p.Workers, 1), chosenBy(p.AutoParallel))
	}
	return fmt.Sprintf("%s: batch %s to %s rows (a batch of %s took %d ms; ~%d bytes a row)",
		p.Table, p.Reason, fmtInt(int64(p.Batch)), fmtInt(int64(p.Rows)), p.TookMS, p.RowBytes)
}

// chosenBy says who chose a copy setting.
func chosenBy(auto bool) string {
	if auto {
		return "auto"
	}
	return "runbook"
}
