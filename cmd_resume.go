package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

func resumeCmd() *cobra.Command {
	var f runFlags
	var runbookFile string
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
			state, err := journal.FoldFile(cmd.Context(), args[0]) // streamed: a long journal is not held
			if err != nil {
				return err
			}
			if state.Runbook, err = resumeRunbook(args[0], state, runbookFile); err != nil {
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
	cmd.Flags().StringVar(&runbookFile, "runbook", "", "the runbook file the run started with, for a journal whose embedded copy is not verbatim (older builds stored it redacted); its sha256 must be the recorded one")
	return cmd
}

// resumeRunbook is the runbook a resume runs: the one embedded in the
// journal, or with --runbook the file given, each only when its sha256 is
// the one the run started with (recorded in the same run_started event):
// resume executes that text, byte for byte, or nothing. A file keeps the
// embedded runbook's path, so relative paths mean what they meant.
func resumeRunbook(path string, state journal.State, file string) (*runbooks.Runbook, error) {
	if file == "" {
		if state.Runbook == nil {
			return nil, fmt.Errorf("%s: the embedded runbook does not parse with this version", path)
		}
		return state.Runbook, checkRunbookSHA(path, state)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, usageError{fmt.Errorf("--runbook: %w", err)}
	}
	sum := sha256.Sum256(text)
	if got := hex.EncodeToString(sum[:]); got != state.RunbookSHA {
		return nil, usageError{fmt.Errorf("--runbook %s: its sha256 is %s, not the %s the run in %s started with: not the runbook of this run", file, got, state.RunbookSHA, path)}
	}
	at := file
	if state.Runbook != nil {
		at = state.Runbook.Path
	}
	rb, err := runbooks.Parse(at, text)
	if err != nil {
		return nil, fmt.Errorf("--runbook %s: %w", file, err)
	}
	return rb, nil
}

// checkRunbookSHA refuses to resume a run whose embedded runbook text is not
// the one it started with, and says what to do: a journal written before
// runbooks were stored verbatim holds a redacted copy, and resumes with the
// original file (--runbook), which is checked against the recorded sha256.
func checkRunbookSHA(path string, state journal.State) error {
	sum := sha256.Sum256(state.Runbook.Text)
	got := hex.EncodeToString(sum[:])
	if got == state.RunbookSHA {
		return nil
	}
	why := "the embedded runbook was altered, or written by an older build that redacted it"
	if bytes.Contains(state.Runbook.Text, []byte(journal.Redacted)) {
		why = "this journal was written by an older build that stored the runbook redacted (" + journal.Redacted +
			" in place of secrets), so the embedded copy is not the runbook that ran"
	}
	return fmt.Errorf("%s: %s: its sha256 is %s, not the %s the run started with; refusing to resume with a different runbook. "+
		"To resume, give the original runbook file, which must have sha256 %s: tightrope resume %s --runbook FILE",
		path, why, got, state.RunbookSHA, state.RunbookSHA, path)
}
