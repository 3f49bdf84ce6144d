package journal

// CopyTuned records the batch size and parallelism of one table's copy:
// the values it starts with (the runbook's, or chosen by the engine) and
// every resize the engine makes while it runs (CopyTunedPayload). The
// fold keeps the latest in TableState.Tuning.
const CopyTuned Type = "copy_tuned"

// CopyTunedPayload is a table's batch size and parallelism from now on.
type CopyTunedPayload struct {
	Table        string `json:"table"`
	Batch        int    `json:"batch"`    // rows per batch
	Parallel     int    `json:"parallel"` // workers that copy this table at once
	Workers      int    `json:"workers"`  // workers of the copy step
	AutoBatch    bool   `json:"auto_batch,omitempty"`
	AutoParallel bool   `json:"auto_parallel,omitempty"`
	Reason       string `json:"reason"`              // chosen | grew | shrank | memory
	RowBytes     int64  `json:"row_bytes,omitempty"` // source bytes per row, estimated or measured
	TookMS       int64  `json:"took_ms,omitempty"`   // a resize: the time of the batch that prompted it
	Rows         int    `json:"rows,omitempty"`      // a resize: that batch's rows
}

// applyTuned folds a copy_tuned event into its table.
func (s *State) applyTuned(e Event, p CopyTunedPayload) {
	t := s.table(p.Table, e.At)
	if p.Reason != "chosen" {
		t.Resizes++
	}
	t.Tuning = p
}
