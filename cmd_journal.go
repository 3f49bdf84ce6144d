package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
)

func journalCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "journal", Short: "Inspect a run's journal"}
	var keyFile string
	verify := &cobra.Command{
		Use:   "verify JOURNAL",
		Short: "Recompute the hash chain; print OK, the event count and the head hash, or what does not hold (exit 1)",
		Long: `Recompute the journal's hash chain and print OK with the event count and the
head hash, or the first broken seq (exit 1).

An unkeyed journal (sha256 chain) catches changes that were not re-chained;
anyone can recompute it, and a cut tail is still a valid chain: compare the
head and count with a copy kept elsewhere (every notification carries the
head hash and seq). A journal written with a key ($` + envJournalKey + `,
$` + envJournalKeyFile + ` or --key-file) is an HMAC-SHA256 chain: it verifies
only with its key, which catches a rewritten or re-chained history, and its
head seal catches events cut from its end (TRUNCATED). A copy of the whole
file (or of its seal) from an earlier moment put back still verifies: only a
head recorded outside the machine catches that.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := journalKey(keyFile)
			if err != nil {
				return err
			}
			res, err := journal.Verify(args[0], journal.WithKey(key))
			if err != nil {
				return err
			}
			// The verdict quotes the file (a declared key id or chain
			// kind): shown escaped, never raw.
			fmt.Fprintln(cmd.OutOrStdout(), safetext.Line(res.String()))
			if !res.OK() {
				return &exitError{code: exitFailure}
			}
			return nil
		},
	}
	keyFileFlag(verify, &keyFile)
	cmd.AddCommand(verify)
	return cmd
}
