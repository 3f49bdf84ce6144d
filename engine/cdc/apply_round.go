package cdc

import (
	"context"
	"errors"
	"fmt"

	"github.com/tightrope/tightrope/journal"
)

// errStopRound ends an apply round early when ready says no.
var errStopRound = errors.New("cdc: apply paused")

// applyRound is one apply round of any applier: it walks the stream's
// spooled transactions from the target's applied one (at) on — that one
// must carry the position the target recorded, everything before it was
// applied already — and applies each later one with apply, which commits
// it with its position in one target transaction. ready, when set, may
// pause the round before a transaction; onApplied, when set, is told each
// one applied. A target that disagrees with the journal is an error, not a
// guess.
func applyRound(ctx context.Context, journalPath, stream string, at Applied, ready func() bool,
	onApplied func(seq int64, position string, changes int), apply func(seq int64, tx journal.CDCChangesPayload) error) (int, error) {
	matched := at.Seq == 0
	applied := 0
	err := journal.ScanDecodedAfter(ctx, journalPath, max(at.Seq-1, 0), func(e journal.Event, payload any, perr error) error {
		if e.Type != journal.CDCChanges {
			return nil
		}
		if perr != nil {
			return perr
		}
		tx := payload.(journal.CDCChangesPayload)
		if tx.Stream != stream || e.Seq < at.Seq {
			return nil
		}
		if e.Seq == at.Seq {
			if tx.Position != at.Position {
				return fmt.Errorf("cdc: stream %s: the target applied seq %d at position %s, the journal's seq %d is position %s", stream, at.Seq, at.Position, e.Seq, tx.Position)
			}
			matched = true
			return nil
		}
		if !matched {
			return fmt.Errorf("cdc: stream %s: the target's applied seq %d is not a cdc_changes event of the stream in this journal", stream, at.Seq)
		}
		if ready != nil && !ready() {
			return errStopRound
		}
		if err := apply(e.Seq, tx); err != nil {
			return fmt.Errorf("cdc: stream %s: apply seq %d (source %s): %w", stream, e.Seq, tx.Position, err)
		}
		applied++
		if onApplied != nil {
			onApplied(e.Seq, tx.Position, len(tx.Changes))
		}
		return nil
	})
	if errors.Is(err, errStopRound) {
		err = nil
	}
	if err == nil && !matched {
		err = fmt.Errorf("cdc: stream %s: the target's applied seq %d is not in this journal", stream, at.Seq)
	}
	return applied, err
}
