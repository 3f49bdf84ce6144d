// Package dryrun prints, in order, what a run of a runbook would do —
// every SQL statement, every DDL a create: true copy would issue, every
// shell command, every snapshot and restore command with its arguments
// and every notification — and changes nothing: it writes no journal,
// opens no write transaction, takes no snapshot. It reads the catalogs
// (the copy's DDL is planned from the source table, as the copy plans it)
// and looks up the snapshot programs on PATH.
package dryrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/notify"
	"github.com/tightrope/tightrope/engine/snapshot"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// Options say where the run would write and what to redact.
type Options struct {
	Runbook     *runbooks.Runbook
	Journal     string   // the journal the run would create
	SnapshotDir string   // where snapshots would go
	Secrets     []string // exact secret values (the DSNs) shown as [redacted]
	Now         func() time.Time
}

// printer writes the dry run's lines, every untrusted text escaped and
// every secret redacted.
type printer struct {
	w       io.Writer
	secrets []string
	err     error
}

func (p *printer) line(indent int, format string, args ...any) {
	if p.err != nil {
		return
	}
	s := journal.RedactText(fmt.Sprintf(format, args...), p.secrets)
	pad := strings.Repeat("  ", indent)
	for _, l := range strings.Split(safetext.Text(s), "\n") {
		if _, err := fmt.Fprintln(p.w, pad+l); err != nil {
			p.err = err
			return
		}
	}
}

// run is the state of one dry run: the open databases and the snapshots
// the snapshot steps would take, for the restores that name them.
type run struct {
	opts     Options
	problems int // parts that could not be planned
	p        *printer
	dbs      map[string]db.DB
	snaps    map[string]plannedSnap // by snapshot step id
}

type plannedSnap struct {
	conn     string
	method   string
	artefact string
}

// Print writes the dry run of opts.Runbook to w.
func Print(ctx context.Context, w io.Writer, opts Options) error {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	rb := opts.Runbook
	r := &run{opts: opts, p: &printer{w: w, secrets: opts.Secrets}, dbs: map[string]db.DB{}, snaps: map[string]plannedSnap{}}
	defer func() {
		for _, d := range r.dbs {
			d.Close()
		}
	}()
	p := r.p
	p.line(0, "DRY RUN of %s (%s): nothing below is done; no journal, table or snapshot is created.", rb.Name, rb.MigrationID)
	p.line(0, "The run would journal to %s and keep snapshots in %s.", opts.Journal, opts.SnapshotDir)
	if len(rb.Notify) > 0 {
		p.line(0, "Whenever one of these happens, whatever the step:")
		for _, t := range []journal.Type{journal.TriggerFired, journal.Awaiting, journal.Decision, journal.Warning, journal.Note, journal.RowsRejected} {
			r.notifications(t, "")
		}
	}
	r.notifications(journal.RunStarted, "")
	for i, st := range rb.Steps {
		r.step(ctx, i+1, len(rb.Steps), st)
	}
	r.notifications(journal.RunFinished, "")
	if len(rb.Rollback) > 0 {
		p.line(0, "")
		p.line(0, "ROLLBACK procedure (only if the decision-maker %s decides to roll back):", rb.DecisionMaker)
		r.notifications(journal.RollbackStarted, "")
		for i, st := range rb.Rollback {
			r.step(ctx, i+1, len(rb.Rollback), st)
		}
		r.notifications(journal.RollbackFinished, "")
	}
	if p.err != nil {
		return p.err
	}
	if r.problems > 0 {
		return fmt.Errorf("%w: %d part(s) above could not be planned", ErrIncomplete, r.problems)
	}
	return nil
}

// ErrIncomplete is returned when part of the run could not be planned (a
// connection that cannot be opened, a table missing from the source): the
// dry run printed what it could, and says so on the line of each part.
var ErrIncomplete = errors.New("dry run incomplete")

// notifications prints the notify entries an event of type t would reach.
func (r *run) notifications(t journal.Type, stepID string) {
	for _, n := range r.opts.Runbook.Notify {
		e := journal.Event{Type: t, StepID: stepID}
		if !notify.Matches(n.On, e) {
			continue
		}
		if n.Exec != "" {
			r.p.line(1, "notify (%s): $ sh -c %s  (the event as JSON on stdin)", t, quote(n.Exec))
		}
		if n.URL != "" {
			r.p.line(1, "notify (%s): POST %s  (the event as JSON)", t, n.URL)
		}
	}
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// step prints one step.
func (r *run) step(ctx context.Context, i, n int, st runbooks.Step) {
	p := r.p
	p.line(0, "")
	head := fmt.Sprintf("step %d/%d %s [%s]", i, n, st.ID, st.Kind)
	if st.Title != "" {
		head += ": " + st.Title
	}
	if st.Owner != "" {
		head += " (owner " + st.Owner + ")"
	}
	if st.Expected > 0 {
		head += fmt.Sprintf(" expected %s", st.Expected)
	}
	p.line(0, "%s", head)
	r.notifications(journal.StepStarted, st.ID)
	switch st.Kind {
	case runbooks.KindManual:
		who := st.Owner
		if who == "" {
			who = "the operator"
		}
		p.line(1, "waits for %s to confirm: %s", who, firstNonEmpty(st.Instructions, st.DisplayTitle()))
		for _, c := range st.Checklist {
			p.line(2, "[ ] %s", c)
		}
	case runbooks.KindGate:
		p.line(1, "waits for the decision-maker %s: %s (go / no-go; no-go rolls back)", r.opts.Runbook.DecisionMaker, st.Question)
	case runbooks.KindShell:
		p.line(1, "in %s:", r.baseDir())
		p.line(1, "$ sh -c %s", quote(st.Run))
		if st.Undo != "" {
			p.line(1, "undo, if rolled back: $ sh -c %s", quote(st.Undo))
		}
	case runbooks.KindSQL:
		p.line(1, "on %s, one by one:", st.On)
		for _, s := range engine.SplitStatements(st.Run) {
			p.line(2, "%s;", s)
		}
	case runbooks.KindWait:
		p.line(1, "waits %s", st.Duration)
	case runbooks.KindCopy:
		r.copyStep(ctx, st)
	case runbooks.KindVerify:
		r.verifyStep(ctx, st)
	case runbooks.KindSnapshot:
		r.snapshotStep(ctx, st)
	case runbooks.KindRestore:
		r.restoreStep(ctx, st)
	case runbooks.KindCDCStart:
		tables := strings.Join(st.Tables, ", ")
		if st.All {
			tables = "every table of " + st.From
		}
		name := engine.StreamName(r.opts.Runbook.MigrationID, st.ID)
		if from, _ := r.opts.Runbook.Connection(st.From); from.Driver == db.MySQL {
			p.line(1, "on %s: checks the binlog settings and grants, opens a consistent snapshot of %s and reads the binlog from its GTID position as replica %d (stream %s)",
				st.From, tables, cdc.MyServerID(name), name)
		} else {
			p.line(1, "on %s: creates publication and logical slot %s for %s, holding the slot's exported snapshot", st.From, name, tables)
		}
		p.line(1, "copy steps from %s read those tables in that snapshot; capture runs into the journal until the run ends", st.From)
	case runbooks.KindCDCCatchup:
		limit := "no timeout"
		if st.Timeout > 0 {
			limit = "timeout " + st.Timeout.String()
		} else if st.Expected > 0 {
			limit = "timeout " + st.Expected.String() + " (expected)"
		}
		p.line(1, "applies the stream of %s to %s until the lag is under %s (%s); apply goes on until the run ends", st.From, st.To, st.Lag, limit)
	case runbooks.KindFreeze:
		r.freezeStep(ctx, st)
	case runbooks.KindUnfreeze:
		p.line(1, "gives back exactly what the freeze of %s took", st.On)
	case runbooks.KindReplicate:
		how := "PostgreSQL logical replication"
		if c, _ := r.opts.Runbook.Connection(st.From); c.Driver == "mysql" {
			how = "MariaDB GTID replication"
		}
		p.line(1, "starts %s %s → %s of %s (copy: %t), freezing %s as a replica; then proves %s → %s can replicate back",
			how, st.From, st.To, dryTables(st), st.CopyRows, st.To, st.To, st.From)
	case runbooks.KindSwitch:
		if st.Replication != "" {
			p.line(1, "blue-green, turning %s's replication around: proves %s → %s again, asks the decision-maker %s go, then freezes %s, waits until %s has every change, compares every table, starts %s → %s, syncs %s's sequences and runs, in %s: $ sh -c %s; then unfreezes %s",
				st.Replication, st.To, st.From, r.opts.Runbook.DecisionMaker, st.From, st.To, st.To, st.From, st.To, r.baseDir(), quote(st.Run), st.To)
			p.line(1, "switch back, if rolled back: the mirror image, with $ sh -c %s", quote(st.Undo))
			break
		}
		if r.opts.Runbook.CaptureBlueGreen(st) {
			p.line(1, "blue-green through change capture: proves %s → %s can work (%s can be captured, %s applied to) and asks the decision-maker %s go while %s takes writes; then freezes %s, drains the stream, syncs %s's sequences, compares the tables, creates reverse stream %s from %s back to %s and proves it ready",
				st.To, st.From, st.To, st.From, r.opts.Runbook.DecisionMaker, st.From, st.From, st.To,
				engine.ReverseStreamName(r.opts.Runbook.MigrationID, st.ID), st.To, st.From)
			p.line(1, "then, in %s: $ sh -c %s; %s stays frozen and in step through the reverse stream", r.baseDir(), quote(st.Run), st.From)
			p.line(1, "switch back, if rolled back: freezes %s, drains the reverse stream into %s, $ sh -c %s, unfreezes %s, compares the tables", st.To, st.From, quote(st.Undo), st.From)
			break
		}
		p.line(1, "checks, in order: writes frozen on %s, change capture drained, sequences synced on %s, the tables verify equal, the decision-maker %s says go", st.From, st.To, r.opts.Runbook.DecisionMaker)
		if r.opts.Runbook.ReplicatesBack(st) {
			p.line(1, "strategy cdc: then a reverse stream %s from %s back to %s is created and proven ready; a rollback freezes %s and drains it",
				engine.ReverseStreamName(r.opts.Runbook.MigrationID, st.ID), st.To, st.From, st.To)
		}
		p.line(1, "then, in %s: $ sh -c %s", r.baseDir(), quote(st.Run))
		if st.Undo != "" {
			p.line(1, "switch back, if rolled back: $ sh -c %s", quote(st.Undo))
		}
	default:
		p.line(1, "a %s step (this dry run has no detail for the kind)", st.Kind)
	}
	if st.OnFailure != "" && st.OnFailure != runbooks.OnFailureStop {
		p.line(1, "on failure: %s", st.OnFailure)
	}
	r.notifications(journal.StepFinished, st.ID)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (r *run) baseDir() string {
	dir := filepath.Dir(r.opts.Runbook.Path)
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// database opens a connection once, read-only in what it is used for.
func (r *run) database(ctx context.Context, name string) (db.DB, error) {
	if d, ok := r.dbs[name]; ok {
		return d, nil
	}
	conn, ok := r.opts.Runbook.Connection(name)
	if !ok {
		return nil, fmt.Errorf("no connection named %q", name)
	}
	d, err := db.Open(ctx, conn, r.baseDir())
	if err != nil {
		return nil, err
	}
	r.dbs[name] = d
	return d, nil
}

// problem prints what keeps the dry run from showing part of a step.
func (r *run) problem(err error) {
	r.problems++
	r.p.line(1, "cannot plan this part: %v", err)
}

// snapshotStep prints the snapshot's commands and remembers its artefact.
func (r *run) snapshotStep(ctx context.Context, st runbooks.Step) {
	d, err := r.database(ctx, st.Of)
	if err != nil {
		r.problem(err)
		return
	}
	sp, ok := d.(db.SnapshotPlanner)
	if !ok {
		r.problem(fmt.Errorf("snapshots of %s databases are not supported", d.Driver()))
		return
	}
	dir, err := filepath.Abs(r.opts.SnapshotDir)
	if err != nil {
		r.problem(err)
		return
	}
	name := snapshot.ArtefactName(r.opts.Runbook.MigrationID, st.ID, r.opts.Now())
	artefact, cmds, err := sp.PlanSnapshot(ctx, st.Method, dir, name)
	if err != nil {
		r.problem(err)
		return
	}
	method := st.Method
	if sn, ok := d.(db.Snapshotter); ok {
		if m, err := db.FindSnapshotMethod(d.Driver(), sn, st.Method); err == nil {
			method = m.Name
		}
	}
	r.snaps[st.ID] = plannedSnap{conn: st.Of, method: method, artefact: artefact}
	r.p.line(1, "snapshot of %s (%s, method %s) into %s", st.Of, d.Describe(), method, artefact)
	r.commands(cmds)
	r.p.line(1, "then every table's row count and checksum is read from the snapshot into %s", filepath.Join(dir, name+snapshot.ManifestSuffix))
}

// restoreStep prints the restore's commands for the snapshot its step takes.
func (r *run) restoreStep(ctx context.Context, st runbooks.Step) {
	s, ok := r.snaps[st.Snapshot]
	if !ok {
		r.problem(fmt.Errorf("snapshot step %s is not planned before this restore", st.Snapshot))
		return
	}
	d, err := r.database(ctx, s.conn)
	if err != nil {
		r.problem(err)
		return
	}
	cmds, err := d.(db.SnapshotPlanner).PlanRestore(ctx, s.method, s.artefact)
	if err != nil {
		r.problem(err)
		return
	}
	r.p.line(1, "restore of %s into %s (%s): the artefact is checked against its manifest first", s.artefact, s.conn, d.Describe())
	r.commands(cmds)
	r.p.line(1, "then every table's row count and checksum is read again and compared with the manifest")
}

// commands prints planned commands.
func (r *run) commands(cmds []db.PlannedCommand) {
	for _, c := range cmds {
		switch {
		case c.Program != "":
			r.p.line(2, "$ %s", c.String())
		case c.SQL != "":
			r.p.line(2, "%s;", c.SQL)
		}
		if c.Note != "" {
			r.p.line(3, "(%s)", c.Note)
		}
	}
}

// tables lists a copy or verify step's tables, reading the source's list
// for "tables: all".
func (r *run) tables(ctx context.Context, st runbooks.Step, src db.DB) ([]string, error) {
	if !st.All {
		return st.Tables, nil
	}
	return src.Tables(ctx)
}

// copyStep prints the DDL a create: true copy would issue and how each
// table would be copied.
func (r *run) copyStep(ctx context.Context, st runbooks.Step) {
	p := r.p
	src, err := r.database(ctx, st.From)
	if err != nil {
		r.problem(err)
		return
	}
	dst, err := r.database(ctx, st.To)
	if err != nil {
		r.problem(err)
		return
	}
	names, err := r.tables(ctx, st, src)
	if err != nil {
		r.problem(err)
		return
	}
	p.line(1, "copy %s (%s) → %s (%s): %d table(s), batches of %d rows, %d table(s) at once", st.From, src.Describe(), st.To, dst.Describe(), len(names), st.Batch, st.Parallel)
	p.line(1, "every batch is committed in the target with its checkpoint in %s; rows that do not fit are kept as rejects", db.ProgressTable)
	if ddl := db.ProgressDDL(dst); ddl != "" {
		if _, err := dst.Table(ctx, db.ProgressTable); errors.Is(err, db.ErrNoTable) {
			p.line(1, "%s does not exist in %s: the first batch creates it:", db.ProgressTable, st.To)
			p.line(2, "%s;", ddl)
		}
	}
	for _, name := range names {
		r.copyTable(ctx, st, src, dst, name)
	}
	for _, c := range st.Casts {
		for from, to := range c.Map {
			v := "NULL"
			if to != nil {
				v = quoteSQL(*to)
			}
			p.line(1, "cast: %s.%s %s becomes %s (each application journaled)", c.Table, c.Column, quoteSQL(from), v)
		}
	}
}

func quoteSQL(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// copyTable prints one table's plan: the CREATE TABLE when the copy would
// create it, else the column mapping.
func (r *run) copyTable(ctx context.Context, st runbooks.Step, src, dst db.DB, name string) {
	p := r.p
	t, err := src.Table(ctx, name)
	if err != nil {
		r.problem(fmt.Errorf("table %s in the source: %w", name, err))
		return
	}
	if len(st.Key) > 0 {
		t.Key = st.Key
	}
	_, err = dst.Table(ctx, name)
	switch {
	case errors.Is(err, db.ErrNoTable) && st.Create:
		stmt, maps := db.CreateTableStmt(dst, t)
		p.line(1, "table %s does not exist in %s: the copy creates it:", name, st.To)
		p.line(2, "%s;", stmt)
		for _, m := range maps {
			if m.Note != "" {
				p.line(3, "%s: %s → %s: %s", m.Column, m.Source, m.Target, m.Note)
			}
		}
	case errors.Is(err, db.ErrNoTable):
		p.line(1, "table %s does not exist in %s now: an earlier step must create it (the copy does not: create is not set)", name, st.To)
	case err != nil:
		r.problem(fmt.Errorf("table %s in the target: %w", name, err))
	default:
		p.line(1, "table %s exists in %s: rows are added to it (key %s)", name, st.To, strings.Join(t.Key, ", "))
	}
}

// verifyStep prints what a verify compares.
func (r *run) verifyStep(ctx context.Context, st runbooks.Step) {
	which := strings.Join(st.Tables, ", ")
	if st.All {
		which = "every table"
	}
	r.p.line(1, "reads %s in %s and %s and compares row counts and every row's canonical values (read-only)", which, st.From, st.To)
}

// dryTables names a step's tables.
func dryTables(st runbooks.Step) string {
	if st.All {
		return "every table"
	}
	return strings.Join(st.Tables, ", ")
}
