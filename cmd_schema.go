package main

import (
	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/runbooks"
)

// schemaCmd is `tightrope schema`: the JSON Schema (draft 2020-12) of the
// runbook format, generated from the loader's registries. Editors use it
// through a `# yaml-language-server: $schema=runbook.schema.json` line.
func schemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the runbook format (for editors; docs/RUNBOOK.md explains every key)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := cmd.OutOrStdout().Write(runbooks.SchemaJSON())
			return err
		},
	}
}
