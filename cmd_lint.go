package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/engine/notify"
	"github.com/tightrope/tightrope/runbooks"
)

// loadRunbook loads the runbook at path and checks it as run, drill, assess
// and lint do before anything else: the loader's checks, the engine's
// (engine.Check) and the communication plan's event names.
func loadRunbook(path string) (*runbooks.Runbook, error) {
	rb, err := runbooks.Load(path)
	if err == nil {
		err = engine.Check(rb)
	}
	if err == nil {
		err = checkNotify(rb)
	}
	return rb, err
}

// checkNotify checks the event names of the communication plan, which the
// runbook loader cannot know (they belong to the engine's notifier).
func checkNotify(rb *runbooks.Runbook) error {
	var problems []string
	for i, n := range rb.Notify {
		for _, name := range n.On {
			if err := notify.Check(name); err != nil {
				problems = append(problems, fmt.Sprintf("%s: notify entry %d: %v", rb.Path, i+1, err))
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

func lintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint RUNBOOK...",
		Short: "Check runbooks: every error as file:line:col, then warnings; exit 2 on an error",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("lint needs at least one runbook")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			bad := 0
			for _, path := range args {
				rb, err := loadRunbook(path)
				if err != nil {
					fmt.Fprintln(out, err)
					bad++
					continue
				}
				for _, w := range runbooks.Lint(rb) {
					fmt.Fprintln(out, w)
				}
				fmt.Fprintf(out, "%s: ok (%d steps, %d rollback steps)\n", path, len(rb.Steps), len(rb.Rollback))
			}
			if bad > 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("%d of %d runbooks have errors", bad, len(args))}
			}
			return nil
		},
	}
}
