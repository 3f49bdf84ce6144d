package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

func resumeCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "resume JOURNAL",
		Short: "Continue an interrupted run from its journal alone (the runbook is embedded in it)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(cmd); err != nil {
				return err
			}
			lease, err := takeLease(args[0], f.as, true) // before the fold, so it cannot be stale
			if err != nil {
				return err
			}
			defer lease.Release()
			events, err := journal.ReadAll(args[0])
			if err != nil {
				return err
			}
			state := journal.Fold(events)
			if state.Runbook == nil {
				return fmt.Errorf("%s: the embedded runbook does not parse with this version", args[0])
			}
			if err := checkRunbookSHA(args[0], state); err != nil {
				return err
			}
			if err := engine.Check(state.Runbook); err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("%s: this build cannot run the embedded runbook:\n%w", args[0], err)}
			}
			if state.Outcome != "" {
				if err := confirmRetry(args[0], state, &f, f.in, cmd.OutOrStdout()); err != nil {
					return err
				}
			}
			rb := state.Runbook
			if f.observer, err = checkRole(rb, f, f.in, cmd.OutOrStdout()); err != nil {
				return err
			}
			store, err := journal.OpenWriter(args[0], journal.WithSecrets(connectionSecrets(rb)...), journal.WithSecrets(string(f.key)), journal.WithKey(f.key))
			if err != nil {
				return err
			}
			defer store.Close()
			f.journal = args[0]
			fmt.Fprintf(cmd.OutOrStdout(), "journal: %s (resuming after event %d)\n", args[0], state.LastSeq)
			return conduct(cmd.Context(), rb, store, state, f, cmd.OutOrStdout())
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&f.retryFailed, "retry-failed", false, "the run ended failed: run its failed step again (the decision-maker only)")
	return cmd
}

// checkRunbookSHA refuses to resume a run whose embedded runbook text is not
// the one it started with (its sha256 is in the same run_started event):
// resume executes that text, byte for byte, or nothing.
func checkRunbookSHA(path string, state journal.State) error {
	sum := sha256.Sum256(state.Runbook.Text)
	if got := hex.EncodeToString(sum[:]); got != state.RunbookSHA {
		return fmt.Errorf("%s: the embedded runbook's sha256 is %s, not the %s the run started with (a journal written by an older build that redacted it, or altered): refusing to resume with a different runbook", path, got, state.RunbookSHA)
	}
	return nil
}
