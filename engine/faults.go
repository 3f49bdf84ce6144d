package engine

import (
	"context"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// FaultActor is the actor of fault_injected events: tightrope itself.
const FaultActor = "drill"

// Faults injects a drill's faults (package engine/fault builds one). The
// conductor calls it around every step, the rollback's included, and
// journals every fault it reports through record as fault_injected. A
// fault that takes effect later (a network drop a while into the step)
// may call record from another goroutine, until the run ends.
type Faults interface {
	// BeforeStep is called before the step starts, with the state so far.
	BeforeStep(ctx context.Context, step runbooks.Step, s journal.State, record func(journal.FaultPayload))
	// AfterStep is called when the step's action has returned, before the
	// step is journaled as finished: what it made (a snapshot, copied
	// rows) exists.
	AfterStep(ctx context.Context, step runbooks.Step, s journal.State, record func(journal.FaultPayload))
	// NotifyDown, when not nil, fails every notification with it.
	NotifyDown() error
}

// injectFaults lets the drill's faults act around a step.
func (c *Conductor) injectFaults(ctx context.Context, step runbooks.Step, after bool) {
	f := c.opts.Faults
	if f == nil {
		return
	}
	record := func(p journal.FaultPayload) {
		select {
		case <-c.done: // the run is over: the journal is no longer written
			return
		default:
		}
		_, _ = c.emit(FaultActor, step.ID, journal.FaultInjected, p)
	}
	if after {
		f.AfterStep(ctx, step, c.State(), record)
	} else {
		f.BeforeStep(ctx, step, c.State(), record)
	}
}

// RowFaults is Faults whose faults may strike on a copy's progress
// (AFTER rows=N): Committed is called in the copy after every committed
// batch with the rows the step has committed so far, all its tables.
type RowFaults interface {
	Committed(ctx context.Context, step runbooks.Step, rows int64)
}

// faultsCommitted tells the drill's faults the rows a copy step has
// committed.
func (c *Conductor) faultsCommitted(ctx context.Context, step runbooks.Step, rows int64) {
	if rf, ok := c.opts.Faults.(RowFaults); ok {
		rf.Committed(ctx, step, rows)
	}
}

func (c *Conductor) notifyDown() error {
	if c.opts.Faults == nil {
		return nil
	}
	return c.opts.Faults.NotifyDown()
}
