package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/journal"
)

func rejectsCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "rejects JOURNAL",
		Short: "List every rejected row with table, key, column, reason and the whole row",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			recs, err := journal.ReadRejects(args[0])
			if err != nil {
				return err
			}
			switch format {
			case "csv":
				return journal.WriteRejectsCSV(cmd.OutOrStdout(), recs)
			case "json":
				return journal.WriteRejectsJSON(cmd.OutOrStdout(), recs)
			}
			return usageError{fmt.Errorf("--format must be csv or json, not %q", format)}
		},
	}
	cmd.Flags().StringVar(&format, "format", "csv", "csv | json")
	return cmd
}
