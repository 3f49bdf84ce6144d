package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/journal"
)

func journalCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "journal", Short: "Inspect a run's journal"}
	cmd.AddCommand(&cobra.Command{
		Use:   "verify JOURNAL",
		Short: "Recompute the hash chain; print OK and the event count, or the first broken seq (exit 1)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := journal.Verify(args[0])
			if err != nil {
				return err
			}
			if !res.OK() {
				fmt.Fprintln(cmd.OutOrStdout(), res)
				return &exitError{code: exitFailure}
			}
			fmt.Fprintln(cmd.OutOrStdout(), res)
			return nil
		},
	})
	return cmd
}
