package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

// confirmRetry lets the decision-maker take up a run that ended failed (a
// full disk, a lost server: a transient reason now gone): --retry-failed,
// or yes typed at the prompt on a terminal. The conductor journals the
// choice in run_resumed, which reopens the run in the fold; copy goes on
// from its checkpoints. Any other ending cannot be resumed.
func confirmRetry(path string, state journal.State, f *runFlags, in io.Reader, out io.Writer) error {
	if state.Outcome != journal.OutcomeFailed {
		return fmt.Errorf("%s: this run already ended (%s); nothing to resume", path, state.Outcome)
	}
	where := "before its first step"
	if step := engine.FailedStep(state); step != "" {
		where = "at step " + step
	}
	fmt.Fprintf(out, "this run ended failed %s: %s\n", where, state.OutcomeErr)
	dm := state.Runbook.DecisionMaker
	if dm != "" && f.as != dm {
		return usageError{fmt.Errorf("%s: only the decision-maker (%s) may retry a failed run (this is %s)", path, dm, f.as)}
	}
	if f.retryFailed {
		return nil
	}
	if !f.plain && isTerminal(out) {
		fmt.Fprintf(out, "Type yes to run it again from there (copies go on from their checkpoints), anything else to stop: ")
		line, _ := bufio.NewReader(in).ReadString('\n')
		if answer := strings.ToLower(strings.TrimSpace(line)); answer == "yes" || answer == "y" {
			f.retryFailed = true
			return nil
		}
		fmt.Fprintln(out)
	}
	return usageError{fmt.Errorf("%s: the run ended failed %s; to run it again from there: tightrope resume --retry-failed %s", path, where, path)}
}
