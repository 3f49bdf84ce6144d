package copy

import (
	"sync"
	"time"
)

// Holder is a Sink that can hold the copy — a trigger waiting for a
// decision — and must then know exactly what the target has committed. A
// batch's rejects, write and commit happen between Hold and its release:
// a holder that stops new sections and waits for those in flight knows no
// batch is half-done. Committed is handed, once the copy is planned, the
// function that returns every table's counters as committed in the target
// (its checkpoints), whether or not Progress has seen them yet.
type Holder interface {
	Hold() (release func())
	Committed(func() []Counters)
}

// hold enters a batch's section when the sink is a Holder.
func hold(sink Sink) func() {
	if h, ok := sink.(Holder); ok {
		return h.Hold()
	}
	return func() {}
}

// committed is what the target holds of one table, per unit: the counters
// of its last committed checkpoint. It has a lock of its own, because the
// table's report lock is held while the sink blocks.
type committed struct {
	mu    sync.Mutex
	units []Counters
}

func (c *committed) set(i int, k Counters) {
	c.mu.Lock()
	c.units[i] = k
	c.mu.Unlock()
}

// sum is the table's committed counters.
func (tr *tableRun) committedSum() Counters {
	tr.committed.mu.Lock()
	defer tr.committed.mu.Unlock()
	k := Counters{Table: tr.name, Total: tr.total, TotalExact: true, Elapsed: time.Since(tr.start)}
	for _, u := range tr.committed.units {
		k.Read += u.Read
		k.Written += u.Written
		k.Rejected += u.Rejected
		k.Bytes += u.Bytes
		k.Resumed = k.Resumed || u.Resumed
	}
	return k
}

// tallyOf is the Holder's view of runs.
func tallyOf(runs []*tableRun) func() []Counters {
	return func() []Counters {
		out := make([]Counters, 0, len(runs))
		for _, tr := range runs {
			if tr != nil {
				out = append(out, tr.committedSum())
			}
		}
		return out
	}
}
