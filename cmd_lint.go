package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/runbooks"
)

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
				rb, err := runbooks.Load(path)
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
