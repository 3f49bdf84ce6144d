package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"time"

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
			streamingGC()
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
	cmd.AddCommand(verify, journalStateCmd())
	return cmd
}

// journalStateCmd folds a journal to its final state and prints it in a
// few lines: where a run stands without opening the console.
func journalStateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "state JOURNAL",
		Short: "Fold the journal to the run's final state and print it in a few lines (the chain is not checked: see verify)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			streamingGC()
			s, err := journal.FoldFile(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			outcome := s.Outcome
			if outcome == "" {
				outcome = "interrupted (or still running)"
			}
			done := 0
			for _, st := range s.Steps {
				if st.Status == journal.StatusDone {
					done++
				}
			}
			read, written, rejected := s.Totals()
			fmt.Fprintf(out, "events:   %d, last at %s\n", s.LastSeq, s.LastAt.Format(time.RFC3339))
			fmt.Fprintf(out, "outcome:  %s\n", safetext.Line(outcome))
			fmt.Fprintf(out, "steps:    %d of %d done\n", done, len(s.Steps))
			fmt.Fprintf(out, "tables:   %d, %d rows read, %d written, %d rejected\n", len(s.Tables), read, written, rejected)
			fmt.Fprintf(out, "decided:  %d decisions, %d triggers\n", len(s.Decisions), len(s.Triggers))
			for _, c := range s.CDC {
				fmt.Fprintf(out, "stream:   %s (%s), %d txs spooled to %s, %d applied to %s, %d behind\n",
					safetext.Line(c.Stream), safetext.Line(c.Engine), c.Txs, positionOrNone(c.Spooled),
					c.AppliedTxs, positionOrNone(c.Applied), c.Behind())
			}
			if len(s.Problems) > 0 {
				fmt.Fprintf(out, "problems: %d events whose payload does not decode, first: %s\n", len(s.Problems), safetext.Line(s.Problems[0]))
			}
			return nil
		},
	}
}

// positionOrNone is a stream position for a line, "(none)" before any.
func positionOrNone(p string) string {
	if p == "" {
		return "(none)"
	}
	return safetext.Line(p)
}

// streamingGC lets the garbage collector run four times less often in a
// command that streams a journal once (verify, report, rejects, replay
// --plain): the live heap stays a few megabytes however long the journal,
// so the default setting collects every few thousand events, a quarter of
// the CPU time; at 400 the heap still stays well under 100 MB. GOGC, when
// set, wins.
func streamingGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}
