package main

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/tui"
)

func replayCmd() *cobra.Command {
	var speed float64
	var plain bool
	cmd := &cobra.Command{
		Use:   "replay JOURNAL",
		Short: "Play a run back from its journal alone, in the same console (or as a timeline with --plain)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if speed <= 0 {
				return usageError{fmt.Errorf("--speed must be positive")}
			}
			events, err := journal.ReadAll(args[0])
			if err != nil {
				return err
			}
			if len(events) == 0 {
				return fmt.Errorf("%s holds no events", args[0])
			}
			out := cmd.OutOrStdout()
			if wantPlain(plain, out) {
				printer := tui.NewPlain(out)
				var s journal.State
				for _, e := range events {
					s.Apply(e)
					printer.Event(e, &s)
				}
				printer.Summary(s)
				return nil
			}
			r := tui.NewReplay(events, speed, time.Now)
			first := journal.Fold(events[:1])
			_, err = tea.NewProgram(tui.New(r, tui.Options{Operator: first.Operator, Mode: "replay"}), tea.WithContext(cmd.Context())).Run()
			return err
		},
	}
	cmd.Flags().Float64Var(&speed, "speed", 8, "playback speed (gaps between events are also capped)")
	cmd.Flags().BoolVar(&plain, "plain", false, "print the timeline as lines")
	return cmd
}
