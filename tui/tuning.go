package tui

import (
	"fmt"

	"github.com/tightrope/tightrope/journal"
)

// tuneText is a table's batch size and parallelism in force, as the
// throughput pane shows it: "batch 8,200 ×2", with ↑ or ↓ when the engine
// last grew or shrank it while the copy ran ("" before the copy said).
func tuneText(t journal.TableState) string {
	if t.Tuning.Batch <= 0 {
		return ""
	}
	s := fmt.Sprintf("batch %s ×%d", fmtInt(int64(t.Tuning.Batch)), max(t.Tuning.Parallel, 1))
	switch t.Tuning.Reason {
	case "grew":
		s += " ↑"
	case "shrank", "memory":
		s += " ↓"
	}
	return s
}

// tunedLine is the plain line of a copy_tuned event.
func tunedLine(p journal.CopyTunedPayload) string {
	switch p.Reason {
	case journal.TuneChosen:
		return fmt.Sprintf("%s: batch %s rows (%s, ~%d bytes a row) · %d of %d workers (%s)",
			p.Table, fmtInt(int64(p.Batch)), chosenBy(p.AutoBatch), p.RowBytes, max(p.Parallel, 1), max(p.Workers, 1), chosenBy(p.AutoParallel))
	case journal.TuneResumed:
		return fmt.Sprintf("%s: batch %s rows (auto, as in force before the restart, ~%d bytes a row) · %d of %d workers (%s)",
			p.Table, fmtInt(int64(p.Batch)), p.RowBytes, max(p.Parallel, 1), max(p.Workers, 1), chosenBy(p.AutoParallel))
	}
	return fmt.Sprintf("%s: batch %s to %s rows (a batch of %s took %d ms%s; ~%d bytes a row)",
		p.Table, p.Reason, fmtInt(int64(p.Batch)), fmtInt(int64(p.Rows)), p.TookMS, againstTarget(p), p.RowBytes)
}

// againstTarget is why a batch of that time resized the next ones: under
// half or over twice the target time ("" in a journal that did not say the
// target, or when the memory bound did it).
func againstTarget(p journal.CopyTunedPayload) string {
	if p.TargetMS <= 0 {
		return ""
	}
	switch p.Reason {
	case "grew":
		return fmt.Sprintf(", under half the %d ms target", p.TargetMS)
	case "shrank":
		return fmt.Sprintf(", over twice the %d ms target", p.TargetMS)
	case "memory":
		return "; rows wider than estimated, held to the memory bound"
	}
	return ""
}

// chosenBy says who chose a copy setting.
func chosenBy(auto bool) string {
	if auto {
		return "auto"
	}
	return "runbook"
}
