package fault

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A fault that strikes "a while into its step" (kill, network-drop,
// network-blackhole) takes AFTER as a duration or as rows=N. A duration
// is a race with the step: on a fast copy the step may be over first.
// rows=N is deterministic: the fault strikes in the copy itself, right
// after the batch that brings the rows the step has committed (all its
// tables, counted by the copy after each commit) to N or more — before the
// next batch is read. The journal's progress samples are not used: they
// are taken once a second per table, so a fast copy's fold sees only its
// first batch and its end.

// trigger is when a later fault strikes into its step: after a duration,
// or once the step has committed rows rows.
type trigger struct {
	after time.Duration
	rows  int64
}

// parseTrigger reads AFTER: a duration such as 2s, or rows=N.
func parseTrigger(s string) (trigger, error) {
	if n, ok := strings.CutPrefix(s, "rows="); ok {
		rows, err := strconv.ParseInt(n, 10, 64)
		if err != nil || rows < 1 {
			return trigger{}, fmt.Errorf("AFTER %q: rows=N needs N a whole number of rows, at least 1", s)
		}
		return trigger{rows: rows}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return trigger{}, fmt.Errorf("AFTER %q is not a duration such as 2s nor rows=N", s)
	}
	return trigger{after: d}, nil
}

// String says the trigger for the journal: "20ms into" or "after 1000
// rows committed by".
func (t trigger) String() string {
	if t.rows > 0 {
		return fmt.Sprintf("after %d rows committed by", t.rows)
	}
	return t.after.String() + " into"
}

// strikeInto runs strike once step reaches t — t.after into it, or t.rows
// committed (strike gets the rows committed then; 0 for a duration) — or
// miss, with the reason to journal, when the step is over first; what is
// what the fault did not do then ("the process was not killed"). Every
// fault that strikes a while into its step arms itself here.
func (e *Env) strikeInto(ctx context.Context, step string, t trigger, what string, strike func(rows int64), miss func(why string)) {
	if t.rows > 0 {
		e.onRows(step, t.rows, strike, func() {
			miss(fmt.Sprintf("step %s was over before it committed %d rows: %s (give a smaller rows=N)", step, t.rows, what))
		})
		return
	}
	go func() {
		select {
		case <-time.After(t.after):
		case <-ctx.Done():
			return
		}
		if !e.stillRunning(step) {
			miss(fmt.Sprintf("step %s was over before %s: %s (give a shorter AFTER, or rows=N)", step, t.after, what))
			return
		}
		strike(0)
	}()
}

// rowWatch is a fault waiting for its step to commit n rows.
type rowWatch struct {
	step   string
	n      int64
	strike func(rows int64) // called once, in the copy, when n are committed
	miss   func()           // called once, when the step is over first
	done   bool
}

// onRows makes strike run once step has committed n rows, or miss run if
// the step's action returns first.
func (e *Env) onRows(step string, n int64, strike func(int64), miss func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.watches = append(e.watches, &rowWatch{step: step, n: n, strike: strike, miss: miss})
}

// committed is told the rows step has committed so far; the faults
// waiting for them strike, in the caller (outside the lock).
func (e *Env) committed(step string, rows int64) {
	for _, w := range e.take(step, func(w *rowWatch) bool { return rows >= w.n }) {
		w.strike(rows)
	}
}

// stepOver tells the faults still waiting on step that it is over.
func (e *Env) stepOver(step string) {
	for _, w := range e.take(step, func(*rowWatch) bool { return true }) {
		w.miss()
	}
}

// take marks done, and returns, the pending watches of step that due
// accepts.
func (e *Env) take(step string, due func(*rowWatch) bool) []*rowWatch {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*rowWatch
	for _, w := range e.watches {
		if !w.done && w.step == step && due(w) {
			w.done = true
			out = append(out, w)
		}
	}
	return out
}
