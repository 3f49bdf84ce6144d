package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/snapshot"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// cleanupCmd is `tightrope cleanup JOURNAL`: it removes what a run that
// has ended left on the servers — its copy checkpoints (the target's
// _tightrope_progress table, dropped when no other run's checkpoints are
// in it), MySQL restore staging databases, its change streams' slots,
// publications and applied positions (cmd_cleanup_cdc.go), its blue-green
// pairs' replication objects (cmd_cleanup_bluegreen.go), and with
// --drop-snapshots its in-server snapshot databases — after listing them
// and asking. It holds
// the journal's writer lease throughout, so it refuses while the run is
// live and no resume can start under it.
func cleanupCmd() *cobra.Command {
	var yes, dropSnapshots, abandon bool
	cmd := &cobra.Command{
		Use:   "cleanup JOURNAL",
		Short: "Remove what a finished run left on the servers (checkpoints, staging and snapshot databases, change-capture slots and positions), after asking",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			lease, err := takeLease(path, loginName()+" (cleanup)", true)
			if err != nil {
				return err
			}
			defer lease.Release()
			events, err := journal.ReadAll(path)
			if err != nil {
				return err
			}
			state := journal.Fold(events)
			if state.Runbook == nil {
				return fmt.Errorf("%s: the embedded runbook does not parse with this version", path)
			}
			switch state.Outcome {
			case journal.OutcomeFinished, journal.OutcomeRolledBack:
			case "":
				return &exitError{code: exitFailure, err: fmt.Errorf("%s: the run has not ended: resume it (tightrope resume %s) before cleaning up; its checkpoints are what a resume goes on from", path, path)}
			default:
				if !abandon {
					return &exitError{code: exitFailure, err: fmt.Errorf("%s: the run ended %s and can still be taken up again (tightrope resume --retry-failed), which needs its checkpoints: pass --abandon to clean up anyway", path, state.Outcome)}
				}
			}
			out := cmd.OutOrStdout()
			p := planCleanup(cmd.Context(), path, state, events, dropSnapshots)
			defer p.close()
			p.print(out)
			if len(p.todo()) == 0 {
				fmt.Fprintln(out, "nothing to remove")
				return p.exit()
			}
			if !yes {
				fmt.Fprintf(out, "Type yes to remove the %d items above, anything else to stop: ", len(p.todo()))
				line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "yes" && a != "y" {
					fmt.Fprintln(out, "\nnothing was removed")
					return &exitError{code: exitFailure, err: errors.New("cleanup not confirmed (pass --yes in scripts)")}
				}
			}
			return p.carryOut(cmd.Context(), out)
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask (for scripts)")
	cmd.Flags().BoolVar(&dropSnapshots, "drop-snapshots", false, "also drop in-server snapshot databases that a restore could still need")
	cmd.Flags().BoolVar(&abandon, "abandon", false, "clean up a run that ended failed or aborted, giving up taking it up again")
	return cmd
}

// cleanupItem is one thing cleanup removes, or keeps and says why.
type cleanupItem struct {
	what string                                // a sentence
	keep string                                // non-empty: kept, because of this
	do   func(context.Context) (string, error) // removes it; says what was done
}

// cleanupPlan is everything cleanup found, listed before anything is done.
type cleanupPlan struct {
	items    []cleanupItem
	problems []string // connections that could not be reached: exit 1
	conns    map[string]db.DB
}

// planCleanup finds what the run left: checkpoints of its copy steps in
// their targets, restore staging databases beside every MySQL connection
// it used, and its in-server snapshots. A snapshot is no longer needed
// when the run was rolled back by a verified restore of it; any other is
// kept unless dropSnapshots.
func planCleanup(ctx context.Context, path string, state journal.State, events []journal.Event, dropSnapshots bool) *cleanupPlan {
	rb := state.Runbook
	p := &cleanupPlan{conns: map[string]db.DB{}}
	open := p.opener(ctx, rb)

	// Copy checkpoints, per target connection.
	ids := map[string][]string{}
	var targets []string
	for _, s := range rb.Steps {
		if s.Kind != runbooks.KindCopy {
			continue
		}
		if _, ok := ids[s.To]; !ok {
			targets = append(targets, s.To)
		}
		ids[s.To] = append(ids[s.To], copyID(rb, state, s))
	}
	for _, name := range targets {
		d := open(name)
		if d == nil {
			continue
		}
		all, mine, exists, err := db.ProgressRows(ctx, d, ids[name])
		switch {
		case err != nil:
			p.problems = append(p.problems, fmt.Sprintf("connection %s: %v", name, err))
			continue
		case !exists || mine == 0:
			continue
		}
		what := fmt.Sprintf("table %s on %s (%s): %d checkpoints of this run", db.ProgressTable, name, d.Describe(), mine)
		if all != mine {
			what = fmt.Sprintf("%d checkpoints of this run in %s on %s (%s); the table stays, with %d checkpoints of other runs", mine, db.ProgressTable, name, d.Describe(), all-mine)
		}
		copyIDs := ids[name]
		p.items = append(p.items, cleanupItem{what: what, do: func(ctx context.Context) (string, error) {
			dropped, err := db.DropProgress(ctx, d, copyIDs)
			if err == nil && !dropped {
				return fmt.Sprintf("deleted this run's checkpoints from %s on %s (other runs' checkpoints remain)", db.ProgressTable, name), nil
			}
			return fmt.Sprintf("dropped %s on %s", db.ProgressTable, name), err
		}})
	}

	// Restore staging databases beside every MySQL connection in use.
	for _, c := range rb.Connections {
		if c.Driver != db.MySQL || !usesConnection(rb, c.Name) {
			continue
		}
		d := open(c.Name)
		lo, ok := d.(db.RestoreLeftovers)
		if d == nil || !ok {
			continue
		}
		ours, maybe, err := lo.RestoreLeftovers(ctx)
		if err != nil {
			p.problems = append(p.problems, fmt.Sprintf("connection %s: %v", c.Name, err))
			continue
		}
		for _, n := range ours {
			p.items = append(p.items, cleanupItem{
				what: fmt.Sprintf("database %s on %s: staging left by a restore that was stopped", n, c.Name),
				do: func(ctx context.Context) (string, error) {
					return "dropped database " + n, lo.DropRestoreLeftover(ctx, n)
				},
			})
		}
		for _, n := range maybe {
			p.items = append(p.items, cleanupItem{
				what: fmt.Sprintf("database %s on %s: staging left by a restore", n, c.Name),
				keep: "its name is cut and hashed, so it may belong to another database whose name starts the same way: drop it by hand if it is this one's",
			})
		}
	}

	// In-server snapshots the run took.
	restored := map[string]bool{}
	for _, r := range state.Restores {
		if r.Verified {
			restored[r.Snapshot] = true
		}
	}
	catalog := filepath.Join(filepath.Dir(path), "snapshots")
	for _, m := range state.Snapshots {
		if !m.InServer {
			continue
		}
		d := open(m.Connection)
		if d == nil {
			continue
		}
		e := snapshot.Entry{SnapshotPayload: m}
		err := snapshot.Present(ctx, e, func(context.Context, journal.SnapshotPayload) (db.DB, error) { return d, nil })
		if errors.Is(err, snapshot.ErrDamaged) {
			continue // gone already
		} else if err != nil {
			p.problems = append(p.problems, fmt.Sprintf("snapshot %s: %v", m.Label, err))
			continue
		}
		item := cleanupItem{what: fmt.Sprintf("in-server snapshot database %s on %s (step %s, %s)", m.Artefact, m.Connection, m.Step, m.Label)}
		if !dropSnapshots && !(state.Outcome == journal.OutcomeRolledBack && restored[m.Label]) {
			item.keep = "a restore could still need it (pass --drop-snapshots to drop it)"
		}
		item.do = func(ctx context.Context) (string, error) {
			rep, err := dropInServer(ctx, d, m, catalog)
			return rep, err
		}
		p.items = append(p.items, item)
	}

	// Change streams: slots, publications and applied positions.
	p.planCDC(ctx, rb, events, open)
	p.planBlueGreen(ctx, rb, events, open)
	return p
}

// dropInServer drops an in-server snapshot database and its manifest in
// the catalog beside the journal, if one is there.
func dropInServer(ctx context.Context, d db.DB, m journal.SnapshotPayload, catalog string) (string, error) {
	sn, ok := d.(db.Snapshotter)
	if !ok {
		return "", fmt.Errorf("%s databases have no in-server snapshots", d.Driver())
	}
	if err := sn.DropSnapshot(ctx, m.Method, m.Artefact); err != nil {
		return "", err
	}
	entries, err := snapshot.List(catalog)
	if err != nil {
		return "dropped database " + m.Artefact, err
	}
	for _, e := range entries {
		if e.Err == nil && e.InServer && e.Artefact == m.Artefact && e.Label == m.Label {
			return fmt.Sprintf("dropped database %s and its manifest %s", m.Artefact, e.Manifest), os.Remove(e.Manifest)
		}
	}
	return "dropped database " + m.Artefact, nil
}

// copyID is the conductor's name for a copy step's checkpoints in this
// run (engine's copyID: migration id / step / the run id's first 12).
func copyID(rb *runbooks.Runbook, state journal.State, s runbooks.Step) string {
	id := rb.MigrationID + "/" + s.ID
	if len(state.RunID) >= 12 {
		id += "/" + state.RunID[:12]
	}
	return id
}

// usesConnection tells whether a step of the runbook names the connection.
func usesConnection(rb *runbooks.Runbook, name string) bool {
	for _, list := range [][]runbooks.Step{rb.Steps, rb.Rollback} {
		for _, s := range list {
			if s.On == name || s.Of == name || s.From == name || s.To == name {
				return true
			}
		}
	}
	return false
}

func (p *cleanupPlan) todo() []cleanupItem {
	var out []cleanupItem
	for _, it := range p.items {
		if it.keep == "" {
			out = append(out, it)
		}
	}
	return out
}

// opener opens (once) the runbook's connections for the plan; one that
// cannot be opened is a problem, and nil.
func (p *cleanupPlan) opener(ctx context.Context, rb *runbooks.Runbook) func(string) db.DB {
	baseDir := filepath.Dir(rb.Path)
	return func(name string) db.DB {
		if d, ok := p.conns[name]; ok {
			return d
		}
		conn, ok := rb.Connection(name)
		if !ok {
			p.problems = append(p.problems, fmt.Sprintf("the runbook has no connection %q", name))
			p.conns[name] = nil
			return nil
		}
		d, err := db.Open(ctx, conn, baseDir)
		if err != nil {
			p.problems = append(p.problems, fmt.Sprintf("connection %s: %v", name, err))
		}
		p.conns[name] = d
		return d
	}
}

// print lists the plan: what will be removed, what is kept and why, and
// what could not be checked.
func (p *cleanupPlan) print(w io.Writer) {
	for _, it := range p.items {
		if it.keep == "" {
			fmt.Fprintf(w, "remove  %s\n", safetext.Line(it.what))
		}
	}
	for _, it := range p.items {
		if it.keep != "" {
			fmt.Fprintf(w, "keep    %s: %s\n", safetext.Line(it.what), it.keep)
		}
	}
	for _, pr := range p.problems {
		fmt.Fprintf(w, "cannot check  %s\n", safetext.Line(pr))
	}
}

// carryOut removes what the plan removes, reporting each; any failure, or
// a connection that could not be checked, is exit 1.
func (p *cleanupPlan) carryOut(ctx context.Context, w io.Writer) error {
	failed := 0
	for _, it := range p.todo() {
		done, err := it.do(ctx)
		if err != nil {
			failed++
			fmt.Fprintf(w, "FAILED  %s: %s\n", safetext.Line(it.what), safetext.Line(err.Error()))
			continue
		}
		fmt.Fprintf(w, "done    %s\n", safetext.Line(done))
	}
	if failed > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("%d of %d removals failed", failed, len(p.todo()))}
	}
	return p.exit()
}

func (p *cleanupPlan) exit() error {
	if len(p.problems) > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("%d connections or snapshots could not be checked", len(p.problems))}
	}
	return nil
}

func (p *cleanupPlan) close() {
	for _, d := range p.conns {
		if d != nil {
			d.Close()
		}
	}
}
