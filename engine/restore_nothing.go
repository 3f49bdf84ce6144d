package engine

import (
	"fmt"

	"github.com/tightrope/tightrope/runbooks"
)

// nothingToRestore tells whether a restore step without a snapshot has
// nothing to undo, and says why: its snapshot step never started in this
// run, and no step (of the run or of the rollback) that may write to the
// snapshot's connection ever started either — the rollback was decided
// before the cutover touched that side. Any such writer that started, even
// if it failed or was skipped later, leaves the missing snapshot an error.
func (c *Conductor) nothingToRestore(restore runbooks.Step) (string, bool) {
	rb := c.opts.Runbook
	snap, ok := rb.StepByID(restore.Snapshot)
	if !ok || snap.Kind != runbooks.KindSnapshot {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, _ := c.state.StepOf(snap.ID, false); st.Attempts > 0 {
		return "", false // it started: what it left behind is not known here
	}
	for _, list := range []struct {
		steps    []runbooks.Step
		rollback bool
	}{{rb.Steps, false}, {rb.Rollback, true}} {
		for _, s := range list.steps {
			if s.ID == restore.ID { // a restore without a snapshot wrote nothing
				continue
			}
			if st, _ := c.state.StepOf(s.ID, list.rollback); st.Attempts > 0 && rb.MayWrite(s, snap.Of) {
				return "", false
			}
		}
	}
	return fmt.Sprintf("nothing to restore: snapshot step %s never ran, and no step wrote to this connection since", snap.ID), true
}
