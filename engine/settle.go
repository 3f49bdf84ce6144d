package engine

import (
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/journal"
)

// What is shown and frozen at a decision is what the target has committed
// then. Progress is sampled into the journal about once a second per table,
// so the fold lags the copies by up to a second of batches; when a trigger
// holds the copies, the conductor waits for the batches in flight to commit
// (the copier writes each inside a section of c.hold, see copySink.Hold),
// then journals the committed progress of every table that moved since its
// last sample, and only then freezes the evidence.

// tally is the committed counters of the copy running (or last run), and
// the step it belongs to.
type tally struct {
	stepID string
	sum    func() []copyengine.Counters
}

func (c *Conductor) setTally(t tally) {
	c.tallyMu.Lock()
	c.tally = t
	c.tallyMu.Unlock()
}

// settleProgress journals, with the copies held, the committed progress of
// every table whose last journaled numbers are behind it.
func (c *Conductor) settleProgress() {
	c.tallyMu.Lock()
	t := c.tally
	c.tallyMu.Unlock()
	if t.sum == nil {
		return
	}
	for _, k := range t.sum() {
		behind := false
		c.withState(func(s *journal.State) {
			for _, ts := range s.Tables {
				if ts.Table == k.Table {
					behind = !ts.Done && ts.Read < k.Read
					return
				}
			}
			behind = k.Read > 0
		})
		if !behind {
			continue
		}
		_, _ = c.emit(c.opts.Operator, t.stepID, journal.Progress, journal.ProgressPayload{
			Table: k.Table, Read: k.Read, Written: k.Written, Rejected: k.Rejected, Bytes: k.Bytes,
			Total: k.Total, TotalExact: k.TotalExact, ElapsedMS: k.Elapsed.Milliseconds(),
		})
	}
}

// tableProgress is the fold's progress of table, if any.
func tableProgress(s *journal.State, table string) (journal.ProgressPayload, bool) {
	for _, ts := range s.Tables {
		if ts.Table == table {
			return ts.ProgressPayload, true
		}
	}
	return journal.ProgressPayload{}, false
}
