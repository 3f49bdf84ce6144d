package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/report"
)

// reportCmd writes the post-mortem of a run from its journal alone.
func reportCmd() *cobra.Command {
	var format, out, keyFile string
	cmd := &cobra.Command{
		Use:   "report JOURNAL",
		Short: "Write the post-mortem of a run: summary, timeline, decisions, data, safety net, lessons",
		Long: `Write the post-mortem of a run from its journal alone: summary and journal
integrity, timeline, triggers and decisions, rows and rejects, snapshots,
restores and rollback, notifications, and generated lessons.

A journal whose hash chain is broken still gets its report, marked UNTRUSTED
at the top; the command then exits 1 after writing it. A journal written
with a key is verified with it ($TIGHTROPE_JOURNAL_KEY,
$TIGHTROPE_JOURNAL_KEY_FILE or --key-file); without it the report is marked
UNTRUSTED too.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(report.Formats, format) {
				return usageError{fmt.Errorf("--format must be md, html or json, not %q", format)}
			}
			key, err := journalKey(keyFile)
			if err != nil {
				return err
			}
			streamingGC()
			r, err := report.Build(args[0], journal.WithKey(key))
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := report.Render(&buf, r, format); err != nil {
				return err
			}
			if out == "" {
				if _, err := cmd.OutOrStdout().Write(buf.Bytes()); err != nil {
					return err
				}
			} else if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("report: %w", err)
			}
			if r.Integrity.Untrusted {
				return &exitError{code: exitFailure, err: fmt.Errorf("the journal does not verify (%s): the report is marked UNTRUSTED", r.Integrity.Verdict)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "md", "md | html | json")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the report to this file instead of stdout")
	keyFileFlag(cmd, &keyFile)
	return cmd
}
