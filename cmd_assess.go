package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/engine/assess"
	"github.com/tightrope/tightrope/journal"
)

// exitBlocked is the exit code of an assessment that found a blocker.
const exitBlocked = 4

// assessCmd predicts what a runbook's copies and snapshots will do, reading
// only, and journals the prediction.
func assessCmd() *cobra.Command {
	var sample, journalPath, as string
	var history []string
	var measureWrite bool
	cmd := &cobra.Command{
		Use:   "assess RUNBOOK",
		Short: "Predict the copies' rejects, sizes and durations before the window (read-only); exit 4 on a blocker",
		Long: `Assess a runbook before the cutover, reading only (every connection is opened
read-only at the server). For every copy step: the column mapping and every
mapping that narrows or changes meaning; the rejects the copy would produce,
exactly (the source read through the copy's own converters and cast rules),
by table, column and reason with up to 20 examples each; row counts, bytes, a
measured read rate, a write rate, and the copies' predicted duration (the
longer of reading and writing) against objectives.expected and the overrun
trigger; the target tables' state. The write rate is measured only with
--measure-write, on a scratch table created in the target and dropped again
(the only write assess ever does); without it, it is the rate of the last
copy of the table recorded in a journal of the same migration under
--history, else unknown (and said so). For every snapshot step: the data it
captures against the free disk where it goes, and the restore time against
the RTO at the rate of the last verified restore of the same connection
recorded in a journal of the same migration under --history (a restore is
not measured here: that would write).

--sample N or --sample 10% reads part of each table and says the counts are
estimates. Findings are graded blocker, warning or note; the exit code is 4
when one is a blocker (a predicted reject rate over reject_rate is one), 0
otherwise. The result is a journal of its own (mode assess) that report
renders.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := assess.ParseSample(sample)
			if err != nil {
				return usageError{err}
			}
			rb, err := loadRunbook(args[0])
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if journalPath == "" {
				journalPath = filepath.Join(filepath.Dir(args[0]), fmt.Sprintf("%s-assess-%s.journal", rb.MigrationID, time.Now().UTC().Format("20060102T150405Z")))
			}
			if len(history) == 0 {
				history = []string{filepath.Dir(args[0])}
			}
			o := assess.Options{Runbook: rb, BaseDir: filepath.Dir(rb.Path), Sample: s, History: assess.Journals(history...), MeasureWrite: measureWrite}
			return runAssess(cmd.Context(), o, journalPath, as, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&sample, "sample", "", "read only N rows, or P% of the rows, of each table (the counts are then estimates)")
	cmd.Flags().StringVar(&journalPath, "journal", "", "journal file to create (default: beside the runbook, named after the migration id and time)")
	cmd.Flags().StringSliceVar(&history, "history", nil, "directories of run and drill journals whose last restore of each snapshotted connection predicts the restore time (default: the runbook's directory)")
	cmd.Flags().StringVar(&as, "as", loginName(), "who runs the assessment")
	cmd.Flags().BoolVar(&measureWrite, "measure-write", false, "measure the target's write rate on a scratch table created and dropped in the target (the only write assess does)")
	return cmd
}

// runAssess assesses, journals the result, prints its summary and maps a
// blocker to exit 4.
func runAssess(ctx context.Context, o assess.Options, path, as string, out io.Writer) error {
	rb := o.Runbook
	res, err := assess.Run(ctx, o)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(rb.Text)
	host, _ := os.Hostname()
	abs, _ := filepath.Abs(rb.Path)
	store, err := journal.Create(path, journal.RunStartedPayload{
		RunbookText: string(rb.Text), RunbookSHA256: hex.EncodeToString(sum[:]), RunbookPath: abs,
		ToolVersion: version, Operator: as, Mode: journal.ModeAssess, Host: host,
	}, as, journal.WithSecrets(connectionSecrets(rb)...))
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Append(ctx, as, "", journal.Assessed, *res); err != nil {
		return err
	}
	outcome := journal.RunFinishedPayload{Outcome: journal.OutcomeFinished, DurationMS: res.Elapsed.Milliseconds()}
	if _, err := store.Append(ctx, as, "", journal.RunFinished, outcome); err != nil {
		return err
	}
	if err := assess.Print(out, res); err != nil {
		return err
	}
	fmt.Fprintf(out, "journal: %s\n", path)
	if res.Blocked() {
		return &exitError{code: exitBlocked}
	}
	return nil
}
