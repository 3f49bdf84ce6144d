package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/tui"
)

func watchCmd() *cobra.Command {
	var plain bool
	cmd := &cobra.Command{
		Use:   "watch JOURNAL",
		Short: "Follow a live run read-only from its journal, in the same console (or as lines with --plain)",
		Long: "Follow a run that another terminal is conducting, read-only: the console shows what the room sees " +
			"and sends nothing. With --plain (or when stdout is not a terminal) every event is printed as it is " +
			"journaled until the run ends; the exit code is then the run's (0 finished, 3 rolled back, 1 otherwise).",
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := cmd.OutOrStdout()
			if _, err := os.Stat(args[0]); errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(cmd.ErrOrStderr(), "waiting for %s to be created…\n", args[0])
			}
			if wantPlain(plain, out) {
				s, err := tui.WatchPlain(ctx, args[0], 0, tui.NewPlain(out))
				if err != nil {
					return err
				}
				return watchOutcome(s)
			}
			w := tui.NewWatch(ctx, args[0], 0)
			defer w.Close()
			if err := w.Err(); err != nil {
				return err
			}
			_, err := tea.NewProgram(tui.New(w, tui.Options{Mode: tui.ModeWatch}), tea.WithContext(ctx)).Run()
			if err != nil && ctx.Err() == nil {
				return err
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&plain, "plain", false, "print each event as a line as it is journaled, until the run ends")
	return cmd
}

// watchOutcome maps the outcome of a watched run to the exit code of
// DESIGN.md; a watch stopped before the run ended exits 0 (the watcher
// left, nothing failed).
func watchOutcome(s journal.State) error {
	switch s.Outcome {
	case "", journal.OutcomeFinished:
		return nil
	case journal.OutcomeRolledBack:
		return &exitError{code: exitRolledBack, err: fmt.Errorf("the run was rolled back")}
	}
	msg := "the run ended: " + s.Outcome
	if s.OutcomeErr != "" {
		msg += ": " + s.OutcomeErr
	}
	return &exitError{code: exitFailure, err: fmt.Errorf("%s", msg)}
}
