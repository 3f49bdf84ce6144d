package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/engine/drill/scorecard"
	"github.com/tightrope/tightrope/engine/dryrun"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/plan"
	"github.com/tightrope/tightrope/runbooks"
)

// planCmd renders a runbook as the stakeholder review document, and
// records a reviewer's approval of it.
func planCmd() *cobra.Command {
	var format, output, drills, as, assessment string
	var approve, commands bool
	cmd := &cobra.Command{
		Use:   "plan RUNBOOK",
		Short: "The runbook as a review document (md or html), with --assessment JOURNAL's findings; --approve --as NAME signs it off",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "md" && format != "html" {
				return usageError{fmt.Errorf("--format must be md or html, not %q", format)}
			}
			rb, err := runbooks.Load(args[0])
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if approve {
				return approveRunbook(cmd, rb, as)
			}
			if drills == "" {
				drills = filepath.Join(filepath.Dir(args[0]), "tightrope-drills")
			}
			hs, err := drillHistory(drills, rb.MigrationID)
			if err != nil {
				return err
			}
			approvals, err := plan.Approvals(rb)
			if err != nil {
				return err
			}
			doc := plan.Build(rb, hs, approvals)
			if assessment != "" {
				if doc.Assessment, err = plan.LoadAssessment(assessment, rb); err != nil {
					return &exitError{code: exitUsage, err: err}
				}
			}
			if commands {
				var buf bytes.Buffer
				err := dryRun(cmd.Context(), rb, defaultJournalPath(filepath.Dir(args[0]), rb.MigrationID), &buf)
				if err != nil && !errors.Is(err, dryrun.ErrIncomplete) {
					return err
				}
				doc.DryRun = buf.String()
				if err != nil {
					doc.DryRun += "\n" + err.Error() + "\n"
				}
			}
			out := cmd.OutOrStdout()
			if output != "" {
				f, err := os.Create(output)
				if err != nil {
					return err
				}
				defer f.Close()
				out = f
			}
			if format == "html" {
				err = doc.HTML(out)
			} else {
				err = doc.Markdown(out)
			}
			if err != nil {
				return err
			}
			if f, ok := out.(*os.File); ok && output != "" {
				return f.Close()
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "md", "md | html")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of standard output")
	cmd.Flags().StringVar(&drills, "drills", "", "where the drill journals are (default: tightrope-drills beside the runbook)")
	cmd.Flags().StringVar(&assessment, "assessment", "", "include the latest assessment journaled in JOURNAL (tightrope assess's journal)")
	cmd.Flags().BoolVar(&commands, "commands", false, "include the exact commands (connects read-only, as run --dry-run does)")
	cmd.Flags().BoolVar(&approve, "approve", false, "record that --as NAME approves this exact runbook text")
	cmd.Flags().StringVar(&as, "as", "", "with --approve: who approves")
	return cmd
}

// approveRunbook journals as's approval of the runbook's current text.
func approveRunbook(cmd *cobra.Command, rb *runbooks.Runbook, as string) error {
	if strings.TrimSpace(as) == "" {
		return usageError{fmt.Errorf("--approve needs --as NAME: say who approves")}
	}
	if _, err := plan.Approve(cmd.Context(), rb, as, version); err != nil {
		return err
	}
	missing, err := plan.MissingApprovals(rb)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%s approved %s (sha256 %s), journaled in %s\n", safetext.Line(as), safetext.Line(rb.Path), plan.SHA256(rb)[:12], safetext.Line(plan.ApprovalsPath(rb.Path)))
	if len(missing) > 0 {
		fmt.Fprintf(w, "still missing before run may start: %s\n", safetext.Line(strings.Join(missing, ", ")))
	}
	return nil
}

// drillHistory is the drill history of one migration under dir; none when
// dir does not exist.
func drillHistory(dir, migrationID string) ([]scorecard.History, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	entries, err := findDrills(dir)
	if err != nil {
		return nil, err
	}
	var out []scorecard.History
	for _, h := range scorecard.Histories(entries, 5) {
		if h.MigrationID == migrationID {
			out = append(out, h)
		}
	}
	return out, nil
}

// checkApprovals refuses to start a run of a runbook that requires
// approvals its current text does not have (exit 2, naming who is missing).
func checkApprovals(rb *runbooks.Runbook, w io.Writer) error {
	if len(rb.Approvals) == 0 {
		return nil
	}
	missing, err := plan.MissingApprovals(rb)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if len(missing) > 0 {
		return &exitError{code: exitUsage, err: fmt.Errorf("the runbook requires the approval of %s before it runs; missing for this text (sha256 %s): %s (tightrope plan %s --approve --as NAME)",
			strings.Join(rb.Approvals, ", "), plan.SHA256(rb)[:12], strings.Join(missing, ", "), rb.Path)}
	}
	fmt.Fprintf(w, "approved by %s\n", safetext.Line(strings.Join(rb.Approvals, ", ")))
	return nil
}
