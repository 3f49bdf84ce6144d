package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/internal/safetext"
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
				if !isTerminal(cmd.OutOrStdout()) { // a file keeps the rows exact
					return journal.WriteRejectsCSV(cmd.OutOrStdout(), recs)
				}
				// On a terminal, row data never reaches it raw: control
				// characters are shown as escapes (JSON escapes them itself).
				var b strings.Builder
				if err := journal.WriteRejectsCSV(&b, recs); err != nil {
					return err
				}
				_, err := io.WriteString(cmd.OutOrStdout(), safetext.Text(b.String()))
				return err
			case "json":
				return journal.WriteRejectsJSON(cmd.OutOrStdout(), recs)
			}
			return usageError{fmt.Errorf("--format must be csv or json, not %q", format)}
		},
	}
	cmd.Flags().StringVar(&format, "format", "csv", "csv | json")
	return cmd
}
