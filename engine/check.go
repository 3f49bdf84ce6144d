package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/engine/db"

	"github.com/tightrope/tightrope/runbooks"
)

// strategies are the runbook strategies this build carries out.
// cdc: cdc-start, cdc-catchup and a switch with reverse replication;
// blue-green: a replicate step and a switch naming it (native replication),
// or cdc-start, cdc-catchup and a switch of the same pair (tightrope's own
// capture, both ways: runbooks.ReplicatesBack); runbooks.Lint warns when a
// blue-green runbook has neither.
var strategies = []string{"snapshot", "cdc", "blue-green"}

// Check is the one check of a loaded runbook against what this build can
// run: every step kind (in steps and rollback) has an action, the strategy
// is one it carries out, and no trigger is watched that nothing feeds. It
// returns a runbooks.ErrorList placed like the loader's errors, or nil.
// lint, run and resume call it before anything starts; so does pre-flight.
func Check(rb *runbooks.Runbook) error {
	var errs runbooks.ErrorList
	if rb.Strategy != "" && !slices.Contains(strategies, rb.Strategy) {
		errs = append(errs, rb.KeyError("strategy", "strategy %s is not supported by this build (it carries out: %s)",
			rb.Strategy, strings.Join(strategies, ", ")))
	}
	for _, st := range slices.Concat(rb.Steps, rb.Rollback) {
		if _, ok := stepActions[st.Kind]; !ok {
			errs = append(errs, rb.StepError(st, "step %q is %s %s step, which this build cannot run (it runs: %s)",
				st.ID, article(st.Kind), st.Kind, strings.Join(RunnableKinds(), ", ")))
			continue
		}
		if msg := cdcSides(rb, st); msg != "" {
			errs = append(errs, rb.StepError(st, "%s", msg))
		}
	}
	errs.Sort()
	return errs.Err()
}

// cdcSides says why this build cannot capture from or apply to the
// connections of a change-capture step ("" when it can): the engines are
// those registered in engine/cdc.
func cdcSides(rb *runbooks.Runbook, st runbooks.Step) string {
	if rb.ReplicatesBack(st) {
		return reverseSides(rb, st)
	}
	if st.Kind != runbooks.KindCDCStart && st.Kind != runbooks.KindCDCCatchup {
		return ""
	}
	if from, ok := rb.Connection(st.From); ok && st.Kind == runbooks.KindCDCStart && from.Driver != db.SQLite && !cdc.CanCapture(from.Driver) {
		_, err := cdc.NewCapture(from.Driver, cdc.CaptureSpec{})
		return fmt.Sprintf("step %q captures connection %q: %v", st.ID, from.Name, err)
	}
	if to, ok := rb.Connection(st.To); ok && !cdc.CanApply(to.Driver) {
		_, err := cdc.NewApplier(to.Driver, cdc.ApplySpec{})
		return fmt.Sprintf("step %q applies changes to connection %q: %v", st.ID, to.Name, err)
	}
	return ""
}

// RunnableKinds lists the step kinds this build can run, in the order
// runbooks lists kinds.
func RunnableKinds() []string {
	var out []string
	for _, k := range runbooks.Kinds() {
		if _, ok := stepActions[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// article is "a" or "an" before a kind's name.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// reverseSides says why this build cannot replicate the new side of a
// switch that replicates back (runbooks.ReplicatesBack) to its old side
// ("" when it can): the new side must be captured and the old side
// applied to.
func reverseSides(rb *runbooks.Runbook, st runbooks.Step) string {
	from, ok1 := rb.Connection(st.From)
	to, ok2 := rb.Connection(st.To)
	if !ok1 || !ok2 {
		return ""
	}
	if !cdc.CanCapture(to.Driver) || !cdc.CanApply(from.Driver) {
		return fmt.Sprintf("step %q switches %s to %s with strategy %s, which replicates %s (%s) back to %s (%s): this build cannot (it captures from: %s; applies to: %s)",
			st.ID, from.Name, to.Name, rb.Strategy, to.Name, to.Driver, from.Name, from.Driver, cdc.Capturable(), cdc.Appliable())
	}
	return ""
}
