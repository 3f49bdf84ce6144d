package cdc

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// Spooled is what the journal holds of one stream: how it was opened, and
// the last source transaction spooled (Last is empty before the first).
type Spooled struct {
	Started journal.CDCStreamPayload
	Last    string // source position of the last spooled transaction
	LastSeq int64  // its journal seq
	// LastCommit and LastAt are its commit record's position (when the
	// engine records one: MariaDB binlog file:offset) and commit time.
	LastCommit string
	LastAt     time.Time
	Count      int64 // spooled transactions
	// Columns holds, by table, the column names of the last whole row
	// spooled (an insert's or update's, sorted): what a capture started
	// anew compares a table's first relation with, so a table altered
	// while nothing captured is still caught.
	Columns map[string][]string
}

// ReadSpooled folds the journal at path for stream. found is false when the
// stream was never started in it.
func ReadSpooled(ctx context.Context, path, stream string) (sp Spooled, found bool, err error) {
	err = journal.ScanDecoded(ctx, path, func(e journal.Event, payload any, perr error) error {
		switch e.Type {
		case journal.CDCStreamStarted, journal.CDCChanges:
		default:
			return nil
		}
		if perr != nil {
			return perr
		}
		switch p := payload.(type) {
		case journal.CDCStreamPayload:
			if p.Stream == stream {
				if found {
					return fmt.Errorf("cdc: stream %s started twice in the journal (seq %d)", stream, e.Seq)
				}
				sp.Started, found = p, true
			}
		case journal.CDCChangesPayload:
			if p.Stream == stream {
				if !found {
					return fmt.Errorf("cdc: changes of stream %s at seq %d before the stream started", stream, e.Seq)
				}
				sp.Last, sp.LastSeq = p.Position, e.Seq
				sp.LastCommit, sp.LastAt = p.Commit, p.At
				sp.Count++
				for _, c := range p.Changes {
					if c.Op == "insert" || c.Op == "update" {
						if sp.Columns == nil {
							sp.Columns = map[string][]string{}
						}
						cols := append(slices.Clone(c.Columns), c.Unchanged...)
						slices.Sort(cols)
						sp.Columns[c.Table] = cols
					}
				}
			}
		}
		return nil
	})
	return sp, found, err
}

// Resume is where a stream resumes: after the last spooled transaction, or
// at the slot's consistent point before the first.
func (s Spooled) Resume() string {
	if s.Last != "" {
		return s.Last
	}
	return s.Started.Start
}
