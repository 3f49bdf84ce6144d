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
			out := cmd.OutOrStdout()
			if wantPlain(plain, out) {
				// The timeline streams: a journal of a million events
				// prints in the memory of one.
				streamingGC()
				printer := tui.NewPlain(out)
				var s journal.State
				err := journal.ScanDecoded(cmd.Context(), args[0], func(e journal.Event, pl any, err error) error {
					s.ApplyDecoded(e, pl, err)
					printer.Event(e, &s)
					return nil
				})
				if err != nil {
					return err
				}
				if s.LastSeq == 0 {
					return fmt.Errorf("%s holds no events", args[0])
				}
				printer.Summary(s)
				return nil
			}
			// The console replay seeks back and forth, so it holds the
			// events (tui.NewReplay).
			events, err := journal.ReadAll(args[0])
			if err != nil {
				return err
			}
			if len(events) == 0 {
				return fmt.Errorf("%s holds no events", args[0])
			}
			r := tui.NewReplay(events, speed, time.Now)
			first := journal.Fold(events[:1])
			_, err = tea.NewProgram(tui.New(r, tui.Options{Operator: first.Operator, Mode: "replay", Journal: args[0]}), tea.WithContext(cmd.Context())).Run()
			return err
		},
	}
	cmd.Flags().Float64Var(&speed, "speed", 8, "playback speed (gaps between events are also capped)")
	cmd.Flags().BoolVar(&plain, "plain", false, "print the timeline as lines")
	return cmd
}
