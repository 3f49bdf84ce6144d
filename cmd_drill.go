package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/demo"
	"github.com/tightrope/tightrope/engine/drill"
	"github.com/tightrope/tightrope/engine/drill/scorecard"
	"github.com/tightrope/tightrope/engine/fault"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// drillFlags are drill's own flags, beside the run flags.
type drillFlags struct {
	scenario string
	faults   []string
	expect   string
	clone    bool
	keep     bool
	demo     bool
	list     bool
	dir      string
	jsonOut  string // write the scorecard as JSON here
}

func drillCmd() *cobra.Command {
	var f runFlags
	var d drillFlags
	cmd := &cobra.Command{
		Use:   "drill RUNBOOK | --demo  (--scenario NAME | --fault SPEC...)",
		Short: "Practise the rollback against real faults, on drill connections only, and score it",
		Long: `Run a runbook as a drill: against its drill connections only (the runbook's
drill: section, or throw-away clones with --clone), with faults injected by
tightrope itself, journaled in mode drill, and scored at the end: when the
fault was injected, detected and decided, how long the rollback took against
the RTO, and whether the restored data is proven equal to the snapshot.

The drill exits 0 when its scorecard passes and 1 when it fails.
tightrope drill --list describes every fault and scenario.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if d.list {
				return listDrill(out)
			}
			if d.demo && len(args) != 0 || !d.demo && len(args) != 1 {
				return usageError{fmt.Errorf("give a RUNBOOK or --demo (not both)")}
			}
			if err := f.validate(cmd); err != nil {
				return err
			}
			plan, faults, err := drillPlan(d)
			if err != nil {
				return usageError{err}
			}
			return runDrill(cmd.Context(), args, f, d, plan, faults, out)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&d.scenario, "scenario", "", "a named bundle of faults with its expected outcome (see --list)")
	fl.StringArrayVar(&d.faults, "fault", nil, "a fault to inject, e.g. bad-rows:products.rating:100:not-integer (repeatable; see --list)")
	fl.StringVar(&d.expect, "expect", "", "the outcome a good drill reaches: continue | rollback (default: the scenario's)")
	fl.BoolVar(&d.clone, "clone", false, "run against throw-away copies of every connection, dropped at the end")
	fl.BoolVar(&d.keep, "keep", false, "keep the clones after the drill")
	fl.BoolVar(&d.demo, "demo", false, "drill on the demo's shop (embedded SQLite, no server)")
	fl.BoolVar(&d.list, "list", false, "describe every fault and scenario")
	fl.StringVar(&d.jsonOut, "scorecard-json", "", "also write the scorecard as JSON to this file")
	fl.StringVar(&d.dir, "dir", "", "directory of the drills (default: tightrope-drills with --demo, else drills beside the runbook)")
	return cmd
}

// drillPlan resolves the scenario and the fault specs.
func drillPlan(d drillFlags) (journal.DrillPlan, []fault.Fault, error) {
	plan := journal.DrillPlan{Scenario: d.scenario, Expect: d.expect, Clone: d.clone || d.demo, Demo: d.demo}
	specs := slices.Clone(d.faults)
	if d.scenario != "" {
		sc, err := drill.LookupScenario(d.scenario)
		if err != nil {
			return plan, nil, err
		}
		specs = append(slices.Clone(sc.Faults), specs...)
		if plan.Expect == "" {
			plan.Expect = sc.Expect
		}
	}
	if len(specs) == 0 {
		return plan, nil, fmt.Errorf("a drill needs --scenario NAME or at least one --fault SPEC (see tightrope drill --list)")
	}
	switch plan.Expect {
	case "", journal.ChoiceContinue, journal.ChoiceRollback:
	default:
		return plan, nil, fmt.Errorf("--expect must be continue or rollback, not %q", plan.Expect)
	}
	var faults []fault.Fault
	for _, s := range specs {
		ft, err := fault.Parse(s)
		if err != nil {
			return plan, nil, err
		}
		faults = append(faults, ft)
		plan.Faults = append(plan.Faults, ft.Spec())
	}
	return plan, faults, nil
}

// runDrill prepares the drill connections, runs the drill's runbook with
// the faults, prints the scorecard and cleans up.
func runDrill(ctx context.Context, args []string, f runFlags, d drillFlags, plan journal.DrillPlan, faults []fault.Fault, out io.Writer) error {
	live, dir, err := drillRunbook(ctx, args, f, d)
	if err != nil {
		return err
	}
	plan.ID = drill.NewID()
	if plan.LiveDir, err = filepath.Abs(filepath.Dir(live.Path)); err != nil {
		return err
	}
	// the drills of a migration share their snapshots: an earlier drill's
	// snapshot is what a damaged one falls back to
	f.snapshotDir = filepath.Join(dir, "snapshots")
	dir = filepath.Join(dir, fmt.Sprintf("%s-%s-%s", live.MigrationID, time.Now().UTC().Format("20060102T150405Z"), plan.ID))
	before, err := fileSums(live)
	if err != nil {
		return err
	}
	if hasKill(faults) && slices.ContainsFunc(faults, func(ft fault.Fault) bool { _, ok := ft.(fault.RelayUser); return ok }) {
		return usageError{fmt.Errorf("kill cannot be combined with network or latency faults in one drill yet (the relay lives in the drill's own process)")}
	}
	var relays []string
	for _, ft := range faults {
		if ru, ok := ft.(fault.RelayUser); ok {
			relays = append(relays, ru.RelayConn())
		}
	}
	prep, err := drill.Prepare(ctx, drill.Options{Runbook: live, Dir: dir, ID: plan.ID, Clone: plan.Clone, Keep: d.keep, Relays: relays})
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	cleaned := false
	defer func() {
		if !cleaned {
			_ = prep.Cleanup(context.WithoutCancel(ctx))
		}
	}()
	plan.Connections = prep.Connections
	for _, n := range prep.Notes {
		fmt.Fprintf(out, "drill: %s\n", safetext.Line(n))
	}
	rb, err := loadRunbook(prep.RunbookPath)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	f.journal = defaultJournalPath(dir, rb.MigrationID)
	inj := fault.NewInjector(&fault.Env{Runbook: rb, BaseDir: filepath.Dir(rb.Path), Relays: prep.Relays}, faults, nil)
	defer inj.Close()
	f.faults = inj
	f.onEvent = drillPrinter(out)
	runErr := startDrill(ctx, rb, f, plan, out, hasKill(faults))
	_ = inj.Close()
	if !d.keep {
		dropDrillStreams(context.WithoutCancel(ctx), f.journal, rb, prep.Direct, out)
	}

	card, err := scorecard.FromJournal(f.journal)
	if err != nil {
		return err
	}
	fmt.Fprintln(out)
	if err := card.Print(out); err != nil {
		return err
	}
	if d.jsonOut != "" {
		if err := writeScorecard(d.jsonOut, card); err != nil {
			return err
		}
	}
	cleaned = true
	if err := prep.Cleanup(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintf(out, "drill: %s\n", safetext.Line(err.Error()))
		card.Pass = false
	} else if d.keep {
		fmt.Fprintf(out, "drill: kept the clones: %s\n", safetext.Line(strings.Join(prep.Clones(), ", ")))
	}
	after, err := fileSums(live)
	if err != nil {
		return err
	}
	if !maps.Equal(before, after) {
		fmt.Fprintln(out, "drill: THE LIVE FILES CHANGED during the drill")
		card.Pass = false
	} else if len(before) > 0 {
		fmt.Fprintf(out, "drill: live files untouched (%d, sha256 equal before and after)\n", len(before))
	}
	fmt.Fprintf(out, "drill journal: %s\n", f.journal)
	if !card.Pass {
		msg := "the drill failed its scorecard"
		if len(card.Reasons) > 0 {
			msg += ": " + strings.Join(card.Reasons, "; ")
		}
		if runErr != nil && card.Outcome == "" {
			msg += " (" + runErr.Error() + ")"
		}
		return &exitError{code: exitFailure, err: fmt.Errorf("%s", msg)}
	}
	return nil
}

// drillRunbook loads the live runbook (for --demo: the demo's shop,
// written once into the drills directory and never run against) and the
// directory the drills go in.
func drillRunbook(ctx context.Context, args []string, f runFlags, d drillFlags) (*runbooks.Runbook, string, error) {
	if d.demo {
		dir := d.dir
		if dir == "" {
			dir = "tightrope-drills"
		}
		liveDir := filepath.Join(dir, "live")
		path := filepath.Join(liveDir, demo.RunbookFile)
		if _, err := os.Stat(filepath.Join(liveDir, demo.SourceFile)); os.IsNotExist(err) {
			if path, err = demo.Write(ctx, liveDir, f.as); err != nil {
				return nil, "", err
			}
		} else if err := os.WriteFile(path, demo.Runbook(f.as), 0o644); err != nil { // whoever drills decides
			return nil, "", err
		}
		rb, err := runbooks.Load(path)
		if err != nil {
			return nil, "", err
		}
		return rb, dir, nil
	}
	rb, err := loadRunbook(args[0])
	if err != nil {
		return nil, "", &exitError{code: exitUsage, err: err}
	}
	dir := d.dir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(args[0]), "drills")
	}
	return rb, dir, nil
}

// startDrill creates the drill's journal (mode drill, the plan bound to
// its first event) and runs it.
func startDrill(ctx context.Context, rb *runbooks.Runbook, f runFlags, plan journal.DrillPlan, out io.Writer, child bool) error {
	sum := sha256.Sum256(rb.Text)
	host, _ := os.Hostname()
	abs, _ := filepath.Abs(rb.Path)
	lease, err := takeLease(f.journal, f.as, false)
	if err != nil {
		return err
	}
	defer lease.Release()
	store, err := journal.Create(f.journal, journal.RunStartedPayload{
		RunbookText: string(rb.Text), RunbookSHA256: hex.EncodeToString(sum[:]), RunbookPath: abs,
		ToolVersion: version, Operator: f.as, Mode: journal.ModeDrill, Host: host,
		Fault: strings.Join(plan.Faults, " "), Drill: &plan,
	}, f.as, journal.WithSecrets(connectionSecrets(rb)...), journal.WithSecrets(string(f.key)), journal.WithKey(f.key))
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Fprintf(out, "DRILL %s · journal: %s\n", plan.ID, f.journal)
	if child { // the run goes on in a child process that a fault kills
		if err := store.Close(); err != nil {
			return err
		}
		lease.Release()
		return runDrillChild(ctx, f, out)
	}
	return conduct(ctx, rb, store, journal.Fold([]journal.Event{store.First()}), f, out)
}

// workDir is where a run's shell steps and notify commands run: the
// runbook's directory, or for a drill the live runbook's (its plan says),
// so a runbook's ./script.sh is found while the connections are the
// drill's.
func workDir(rb *runbooks.Runbook, first journal.Event) string {
	if p, err := journal.Decode(first); err == nil {
		if rs, ok := p.(journal.RunStartedPayload); ok && rs.Drill != nil && rs.Drill.LiveDir != "" {
			return rs.Drill.LiveDir
		}
	}
	return filepath.Dir(rb.Path)
}

// drillPrinter prints the injected faults in plain mode.
func drillPrinter(out io.Writer) func(journal.Event, *journal.State) {
	return func(e journal.Event, _ *journal.State) {
		if e.Type != journal.FaultInjected {
			return
		}
		p, err := journal.Decode(e)
		if err != nil {
			return
		}
		fp := p.(journal.FaultPayload)
		if fp.Error != "" {
			fmt.Fprintf(out, "%s  DRILL fault %s NOT injected: %s\n", e.At.Format("15:04:05"), safetext.Line(fp.Spec), safetext.Line(fp.Error))
			return
		}
		if fp.Ended {
			fmt.Fprintf(out, "%s  DRILL fault over: %s — %s\n", e.At.Format("15:04:05"), safetext.Line(fp.Spec), safetext.Line(fp.Detail))
			return
		}
		fmt.Fprintf(out, "%s  DRILL fault injected: %s — %s\n", e.At.Format("15:04:05"), safetext.Line(fp.Spec), safetext.Line(fp.Detail))
	}
}

// fileSums are the sha256 of the runbook's live SQLite files.
func fileSums(rb *runbooks.Runbook) (map[string]string, error) {
	out := map[string]string{}
	for _, c := range rb.Connections {
		if c.Path == "" {
			continue
		}
		p := c.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(rb.Path), p)
		}
		sum, err := fileSHA256(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[p] = sum
	}
	return out, nil
}

// listDrill describes every fault and scenario.
func listDrill(out io.Writer) error {
	fmt.Fprintln(out, "Faults (tightrope drill --fault SPEC):")
	for _, k := range fault.Kinds() {
		fmt.Fprintf(out, "  %s\n      engines: %s\n      %s\n", k.Syntax, strings.Join(k.Engines, ", "), k.Doc)
	}
	fmt.Fprintln(out, "\nScenarios (tightrope drill --scenario NAME; they name the demo's tables and steps):")
	for _, s := range drill.Scenarios() {
		fmt.Fprintf(out, "  %s  (expect %s; faults: %s)\n      %s\n", s.Name, s.Expect, strings.Join(s.Faults, " "), s.Doc)
	}
	return nil
}

// writeScorecard writes the scorecard as JSON.
func writeScorecard(path string, c scorecard.Card) error {
	var b bytes.Buffer
	if err := c.JSON(&b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// fileSHA256 is the hex sha256 of a file, read as a stream.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
