package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/snapshot"
	"github.com/tightrope/tightrope/human"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// snapshotsCmd is `tightrope snapshots list|verify|prune`, over a catalog
// directory (the conductor writes snapshots/ beside the journal). In-server
// snapshots (MySQL's schema method) are reached through their connection:
// the runbook given with --runbook, or else the dsn_env variable the
// manifest recorded.
func snapshotsCmd() *cobra.Command {
	var dir, runbook string
	cmd := &cobra.Command{Use: "snapshots", Short: "List, verify and prune snapshots (each a manifest beside its artefact)"}
	cmd.PersistentFlags().StringVar(&dir, "dir", "snapshots", "snapshot directory")
	cmd.PersistentFlags().StringVar(&runbook, "runbook", "", "runbook whose connections reach in-server snapshots (default: each manifest's dsn_env)")

	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "Table of snapshots: label, connection, method, tables, rows, size, age, verified",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			entries, err := snapshot.List(dir)
			if err != nil {
				return err
			}
			return withConnector(runbook, func(conns *connector) error {
				printSnapshots(cmd.OutOrStdout(), entries, time.Now(), func(e snapshot.Entry) error {
					return snapshot.Present(cmd.Context(), e, conns.connect)
				})
				return nil
			})
		},
	})

	cmd.AddCommand(&cobra.Command{
		Use:   "verify [LABEL|NAME...]",
		Short: "Re-prove artefacts against their manifests (all, or the named ones); exit 1 if any is damaged or cannot be checked",
		RunE: func(cmd *cobra.Command, args []string) error {
			entries, err := snapshot.List(dir)
			if err != nil {
				return err
			}
			if entries, err = selectSnapshots(entries, args, dir); err != nil {
				return err
			}
			return withConnector(runbook, func(conns *connector) error {
				return verifySnapshots(cmd.Context(), cmd.OutOrStdout(), entries, conns)
			})
		},
	})

	var keep int
	var dryRun bool
	prune := &cobra.Command{
		Use:   "prune --keep N",
		Short: "Delete all but the newest N snapshots of every migration and connection (N ≥ 2)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keep < snapshot.MinKeep {
				return usageError{fmt.Errorf("--keep %d: at least %d snapshots of every migration and connection are always kept", keep, snapshot.MinKeep)}
			}
			return withConnector(runbook, func(conns *connector) error {
				rep, err := snapshot.Prune(cmd.Context(), dir, keep, dryRun, conns.connect)
				if err != nil {
					return err
				}
				return printPrune(cmd.OutOrStdout(), rep, dryRun)
			})
		},
	}
	prune.Flags().IntVar(&keep, "keep", 0, "snapshots to keep of every migration and connection (at least 2)")
	prune.Flags().BoolVar(&dryRun, "dry-run", false, "only say what would be deleted")
	cmd.AddCommand(prune)
	return cmd
}

// printSnapshots prints the catalog as a table. "verified" means the
// manifest holds every table's checksum from the capture and the artefact
// is still there (present says so: the file beside its manifest with its
// recorded size, or the in-server snapshot database); verify re-reads it.
// An artefact whose presence could not be checked is listed as such, with
// the reason below the table.
func printSnapshots(w io.Writer, entries []snapshot.Entry, now time.Time, present func(snapshot.Entry) error) {
	if len(entries) == 0 {
		fmt.Fprintln(w, "no snapshots")
		return
	}
	var notes []string
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LABEL\tCONNECTION\tMETHOD\tTABLES\tROWS\tSIZE\tAGE\tVERIFIED")
	for _, e := range entries {
		if e.Err != nil {
			fmt.Fprintf(tw, "%s\t\t\t\t\t\t\tunreadable: %v\n", e.Name, e.Err)
			continue
		}
		var rows int64
		for _, t := range e.Tables {
			rows += t.Rows
		}
		verdict, note := listVerified(e, present(e))
		if note != "" {
			notes = append(notes, fmt.Sprintf("%s: %s", e.Label, note))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", e.Label, e.Connection, e.Method, len(e.Tables), rows,
			human.Bytes(e.Size), humanAge(now.Sub(e.CapturedAt)), verdict)
	}
	tw.Flush()
	for _, n := range notes {
		fmt.Fprintln(w, "not checked:", n)
	}
}

// listVerified is the list's cheap verdict, given whether the artefact is
// present; verify reads the artefacts. note says why it was not checked.
func listVerified(e snapshot.Entry, present error) (verdict, note string) {
	where := ""
	if e.InServer {
		where = " (in-server)"
	}
	switch {
	case len(e.Tables) == 0 || slices.ContainsFunc(e.Tables, func(t journal.TableSnapshot) bool { return t.Checksum == "" }):
		return "no", ""
	case errors.Is(present, snapshot.ErrDamaged):
		return "MISSING" + where, ""
	case present != nil:
		return "not checked" + where, present.Error()
	case e.InServer:
		return "yes" + where, ""
	}
	if fi, err := os.Stat(e.Artefact); err != nil || fi.Size() != e.Size {
		return "SIZE CHANGED", ""
	}
	return "yes", ""
}

// selectSnapshots keeps the entries named by label or manifest name; no
// names: all.
func selectSnapshots(entries []snapshot.Entry, names []string, dir string) ([]snapshot.Entry, error) {
	if len(names) == 0 {
		return entries, nil
	}
	var out []snapshot.Entry
	for _, n := range names {
		i := slices.IndexFunc(entries, func(e snapshot.Entry) bool { return e.Label == n || e.Name == n })
		if i < 0 {
			return nil, usageError{fmt.Errorf("no snapshot labelled or named %q in %s", n, dir)}
		}
		out = append(out, entries[i])
	}
	return out, nil
}

// verifySnapshots checks each entry and prints one line per snapshot.
func verifySnapshots(ctx context.Context, w io.Writer, entries []snapshot.Entry, conns *connector) error {
	var damaged, unchecked int
	for _, e := range entries {
		if e.Err != nil {
			fmt.Fprintf(w, "DAMAGED    %s: %v\n", e.Name, e.Err)
			damaged++
			continue
		}
		err := snapshot.Verify(ctx, e.SnapshotPayload, conns.connect)
		switch {
		case err == nil:
			fmt.Fprintf(w, "ok         %s (%s, %d tables, sha256 %.12s…, %s)\n", e.Label, e.Method, len(e.Tables), e.SHA256, e.Artefact)
		case errors.Is(err, snapshot.ErrDamaged):
			fmt.Fprintf(w, "DAMAGED    %s: %v\n", e.Label, err)
			damaged++
		default:
			fmt.Fprintf(w, "UNCHECKED  %s: %v\n", e.Label, err)
			unchecked++
		}
	}
	if damaged+unchecked > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("%d of %d snapshots damaged, %d could not be checked", damaged, len(entries), unchecked)}
	}
	fmt.Fprintf(w, "%d snapshots ok\n", len(entries))
	return nil
}

// printPrune reports what prune did, or with dryRun what it would do: the
// same plan (snapshot.PlanPrune), so the same lines and the same exit
// code. A snapshot due for deletion that is kept is exit 1.
func printPrune(w io.Writer, rep snapshot.PruneReport, dryRun bool) error {
	verb, keptVerb := "deleted", "kept"
	if dryRun {
		verb, keptVerb = "would delete", "would keep"
	}
	for _, e := range rep.Deleted {
		what := e.Artefact
		if e.InServer {
			what = "snapshot database " + e.Artefact
		}
		fmt.Fprintf(w, "%s  %s (%s and %s)\n", verb, e.Label, what, e.Manifest)
	}
	for _, s := range rep.Skipped {
		label := s.Label
		if label == "" {
			label = s.Name
		}
		fmt.Fprintf(w, "%s    %s: %v\n", keptVerb, label, s.Reason)
	}
	fmt.Fprintf(w, "%d kept, %d %s\n", len(rep.Kept)+len(rep.Skipped), len(rep.Deleted), verb)
	if len(rep.Skipped) > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("%d snapshots due for deletion cannot be pruned", len(rep.Skipped))}
	}
	return nil
}

// connector opens (once each) the connections in-server snapshots live on.
type connector struct {
	rb   *runbooks.Runbook
	open map[string]db.DB
}

// withConnector runs f with the connections of runbook ("" for each
// manifest's dsn_env) and closes those it opened.
func withConnector(runbook string, f func(*connector) error) error {
	conns, err := newConnector(runbook)
	if err != nil {
		return err
	}
	defer conns.close()
	return f(conns)
}

func newConnector(runbook string) (*connector, error) {
	c := &connector{open: map[string]db.DB{}}
	if runbook != "" {
		rb, err := runbooks.Load(runbook)
		if err != nil {
			return nil, &exitError{code: exitUsage, err: err}
		}
		c.rb = rb
	}
	return c, nil
}

// connect opens the manifest's connection: from the runbook, or from the
// dsn_env the manifest recorded. The database it reaches must be the one
// the snapshot was taken of.
func (c *connector) connect(ctx context.Context, m journal.SnapshotPayload) (db.DB, error) {
	conn := runbooks.Connection{Name: m.Connection, Driver: m.Driver, DSNEnv: m.DSNEnv}
	baseDir := ""
	if c.rb != nil {
		var ok bool
		if conn, ok = c.rb.Connection(m.Connection); !ok {
			return nil, fmt.Errorf("runbook %s has no connection %q", c.rb.Path, m.Connection)
		}
		baseDir = filepath.Dir(c.rb.Path)
	} else if m.DSNEnv == "" {
		return nil, fmt.Errorf("%w: the manifest names no dsn_env; pass --runbook", snapshot.ErrNeedsConnection)
	}
	key := conn.Name + "\x00" + conn.DSNEnv + "\x00" + conn.Path
	d, ok := c.open[key]
	if !ok {
		var err error
		if d, err = db.Open(ctx, conn, baseDir); err != nil {
			return nil, err
		}
		c.open[key] = d
	}
	if m.Driver != "" && d.Driver() != m.Driver || m.Database != "" && d.Describe() != m.Database {
		return nil, fmt.Errorf("connection %s now reaches %s, but the snapshot was taken of %s", m.Connection, d.Describe(), m.Database)
	}
	return d, nil
}

func (c *connector) close() {
	for _, d := range c.open {
		d.Close()
	}
}

// humanAge renders a duration coarsely: 45s, 12m, 3h05m, 2d04h.
func humanAge(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}
