package main

import (
	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/demo"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

func demoCmd() *cobra.Command {
	var f runFlags
	var dir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the demo migration on embedded SQLite: snapshot, copy with rejects, a trigger, your decision",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(cmd); err != nil {
				return err
			}
			path, err := demo.Write(cmd.Context(), dir, f.as)
			if err != nil {
				return err
			}
			rb, err := runbooks.Load(path)
			if err != nil {
				return err
			}
			f.journal = defaultJournalPath(dir, rb.MigrationID)
			return execute(cmd.Context(), rb, f, journal.ModeLive, cmd.OutOrStdout())
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&dir, "dir", "tightrope-demo", "directory for the demo databases, runbook, journal and snapshots")
	return cmd
}
