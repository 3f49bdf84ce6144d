package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/runbooks"
)

// checkRole applies the decision-maker rule before the first step: a
// scripted run (--auto-decide) answers in the operator's name, so it must
// be started by the decision-maker (exit 2 otherwise); an interactive run
// started by someone else says so and asks them to confirm they go on as an
// observer-operator (or --observer confirms it up front). It reports
// whether the operator goes on as an observer.
func checkRole(rb *runbooks.Runbook, f runFlags, in io.Reader, out io.Writer) (bool, error) {
	if err := engine.CheckAutoDecide(rb, f.as, f.autoDecide); err != nil {
		return false, usageError{err}
	}
	dm := rb.DecisionMaker
	if dm == "" || f.as == dm {
		return false, nil
	}
	fmt.Fprintf(out, "%s is not this runbook's decision-maker (%s).\n"+
		"As an observer-operator you can run the steps, tick checklists, pause\n"+
		"and add notes, but only %s can answer gates and triggers, and skip,\n"+
		"retry or abort.\n", f.as, dm, dm)
	if f.observer {
		fmt.Fprintf(out, "going on as observer-operator (--observer)\n")
		return true, nil
	}
	fmt.Fprintf(out, "Type yes to go on as observer-operator, anything else to stop: ")
	line, _ := bufio.NewReader(in).ReadString('\n')
	if answer := strings.ToLower(strings.TrimSpace(line)); answer == "yes" || answer == "y" {
		return true, nil
	}
	fmt.Fprintln(out)
	return false, usageError{fmt.Errorf("not confirmed: start as the decision-maker (--as %s), or confirm with --observer", dm)}
}
