package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/engine/fault"
	"github.com/tightrope/tightrope/journal"
)

// maxKills bounds how often a drill resumes its killed run process.
const maxKills = 5

// drillRunCmd is the drill's run process when a fault kills it: the drill
// driver starts it on the drill's journal, and again, as an operator's
// resume, after each kill. Hidden: it is the drill's, not a person's.
func drillRunCmd() *cobra.Command {
	var f runFlags
	var snapshots string
	cmd := &cobra.Command{
		Use:    "drill-run JOURNAL",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(cmd); err != nil {
				return err
			}
			path := args[0]
			lease, err := takeLease(path, f.as, true)
			if err != nil {
				return err
			}
			defer lease.Release()
			events, err := journal.ReadAll(path)
			if err != nil {
				return err
			}
			state := journal.Fold(events)
			if state.Runbook == nil || state.Mode != journal.ModeDrill {
				return fmt.Errorf("%s is not a drill's journal", path)
			}
			plan, err := journal.Decode(events[0])
			if err != nil {
				return err
			}
			rs := plan.(journal.RunStartedPayload)
			if rs.Drill == nil {
				return fmt.Errorf("%s has no drill plan", path)
			}
			var faults []fault.Fault
			for _, spec := range rs.Drill.Faults {
				ft, err := fault.Parse(spec)
				if err != nil {
					return err
				}
				faults = append(faults, ft)
			}
			rb := state.Runbook
			inj := fault.NewInjector(&fault.Env{Runbook: rb, BaseDir: filepath.Dir(rb.Path), Child: true}, faults, injectedSpecs(events))
			defer inj.Close()
			store, err := journal.OpenWriter(path, journal.WithSecrets(connectionSecrets(rb)...))
			if err != nil {
				return err
			}
			defer store.Close()
			f.faults, f.onEvent, f.snapshotDir, f.plain, f.journal = inj, drillPrinter(cmd.OutOrStdout()), snapshots, true, path
			return conduct(cmd.Context(), rb, store, state, f, cmd.OutOrStdout())
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&snapshots, "snapshot-dir", "", "the drill's snapshot directory")
	return cmd
}

// injectedSpecs are the faults the journal records as injected.
func injectedSpecs(events []journal.Event) []string {
	var out []string
	for _, e := range events {
		if e.Type != journal.FaultInjected {
			continue
		}
		if p, err := journal.Decode(e); err == nil && !slices.Contains(out, p.(journal.FaultPayload).Spec) {
			out = append(out, p.(journal.FaultPayload).Spec)
		}
	}
	return out
}

// hasKill says whether a drill's faults kill its run process.
func hasKill(faults []fault.Fault) bool {
	return slices.ContainsFunc(faults, func(f fault.Fault) bool { _, ok := f.(*fault.Kill); return ok })
}

// runDrillChild runs a drill whose faults kill the run process: the run
// goes on in a child process of this binary on the drill's journal, and
// each time it is killed the driver resumes it, as an operator would
// (tightrope resume, plain, answering the rerun question with rerun).
func runDrillChild(ctx context.Context, f runFlags, out io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	for kills := 0; ; kills++ {
		args := []string{"drill-run", f.journal, "--as", f.as, "--snapshot-dir", f.snapshotDir, "--on-rerun", journal.ChoiceRerun}
		if f.autoDecide != "" {
			args = append(args, "--auto-decide", f.autoDecide)
		}
		if f.keyFile != "" {
			args = append(args, "--key-file", f.keyFile)
		}
		child := exec.CommandContext(ctx, self, args...)
		child.Stdout, child.Stderr = out, out
		err := child.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Exited() { // it ended on its own: the journal says how
			return nil
		}
		if kills == maxKills {
			return fmt.Errorf("the drill's run process was killed %d times: giving up", kills+1)
		}
		fmt.Fprintf(out, "drill: the run process was killed (%s); resuming it as an operator would: tightrope resume %s\n", ee.ProcessState, f.journal)
	}
}
