package journal

// CopyTuned records the batch size and parallelism of one table's copy:
// the values it starts with (the runbook's, or chosen by the engine, or
// resumed from the journal) and every resize the engine makes while it
// runs (CopyTunedPayload). The fold keeps the latest in TableState.Tuning,
// with the step that made it in TunedStep.
const CopyTuned Type = "copy_tuned"

// CopyTunedPayload is a table's batch size and parallelism from now on.
type CopyTunedPayload struct {
	Table        string `json:"table"`
	Batch        int    `json:"batch"`    // rows per batch
	Parallel     int    `json:"parallel"` // workers that copy this table at once
	Workers      int    `json:"workers"`  // workers of the copy step
	AutoBatch    bool   `json:"auto_batch,omitempty"`
	AutoParallel bool   `json:"auto_parallel,omitempty"`
	Reason       string `json:"reason"`              // chosen | resumed | grew | shrank | memory
	RowBytes     int64  `json:"row_bytes,omitempty"` // source bytes per row, estimated or measured
	TookMS       int64  `json:"took_ms,omitempty"`   // a resize: the time of the batch that prompted it
	Rows         int    `json:"rows,omitempty"`      // a resize: that batch's rows
	TargetMS     int64  `json:"target_ms,omitempty"` // the time an engine-sized batch aims at
}

// Reasons of a copy_tuned event that are not a resize: the values a table
// starts with, chosen afresh or (resumed) taken over from the journal's
// last copy_tuned of the same step and table, so a resumed copy goes on
// with the batch size in force when its process stopped.
const (
	TuneChosen  = "chosen"
	TuneResumed = "resumed"
)

// IsResize says whether a copy_tuned event is a resize made while the copy
// ran (grew, shrank or memory), not a table's start.
func (p CopyTunedPayload) IsResize() bool {
	return p.Reason != TuneChosen && p.Reason != TuneResumed
}

// applyTuned folds a copy_tuned event into its table.
func (s *State) applyTuned(e Event, p CopyTunedPayload) {
	t := s.table(p.Table, e.At)
	if p.IsResize() {
		t.Resizes++
	}
	t.Tuning, t.TunedStep = p, e.StepID
}
