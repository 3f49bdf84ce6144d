// Package plan turns a runbook into a document for the stakeholder review
// before the window: the objectives, the strategy, who decides and how to
// reach them, every trigger in words, each step with its owner, expected
// duration, commands and checklist, the rollback procedure, the latest
// assessment's findings when given, the drills rehearsed so far, and who
// has approved this exact runbook text.
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/engine/drill/scorecard"
	"github.com/tightrope/tightrope/human"
	"github.com/tightrope/tightrope/runbooks"
)

// Document is the review document of one runbook. Every text in it comes
// from the runbook or is built from it; renderers escape it.
type Document struct {
	Name          string
	MigrationID   string
	Path          string
	SHA256        string
	DecisionMaker string
	Objectives    []string // sentences
	Strategy      string
	StrategyWhy   string
	Connections   []string
	Notify        []string // the communication plan, one sentence per entry
	Triggers      []string // one sentence per watched trigger
	Steps         []Step
	Rollback      []Step
	PlannedTotal  string // the sum of the steps' expected durations, "" when none is set
	Drills        []scorecard.History
	RestoreTime   string      // the rollback's expected restore time against the RTO, from the latest drill that rolled back
	DryRun        string      // the exact commands, as tightrope run --dry-run prints them; "" when not asked for
	Required      []string    // runbook approvals: names that must approve
	Approvals     []Approval  // approvals recorded for this runbook text
	Missing       []string    // required names without an approval
	Assessment    *Assessment // the latest assessment, when given (LoadAssessment)
}

// Step is one step in words.
type Step struct {
	N            int
	ID           string
	Title        string
	Kind         string
	Owner        string
	Expected     string
	What         string   // what the step does, in words
	Commands     []string // exact commands or statements
	Instructions string
	Checklist    []string
	OnFailure    string
}

// Approval is one recorded sign-off.
type Approval struct {
	Name string
	At   time.Time
}

// Build makes the document of rb; drills and approvals are optional.
func Build(rb *runbooks.Runbook, drills []scorecard.History, approvals []Approval) Document {
	sum := sha256.Sum256(rb.Text)
	d := Document{
		Name: rb.Name, MigrationID: rb.MigrationID, Path: rb.Path, SHA256: hex.EncodeToString(sum[:]),
		DecisionMaker: rb.DecisionMaker, Strategy: rb.Strategy, StrategyWhy: strategyWhy[rb.Strategy],
		Objectives: objectives(rb.Objectives), Triggers: triggers(rb), Notify: notifyPlan(rb),
		Drills: drills, Required: rb.Approvals, Approvals: approvals,
	}
	for _, c := range rb.Connections {
		where := "environment variable " + c.DSNEnv
		if c.Path != "" {
			where = "file " + c.Path
		}
		d.Connections = append(d.Connections, fmt.Sprintf("%s: %s database, from %s", c.Name, c.Driver, where))
	}
	var total time.Duration
	for i, s := range rb.Steps {
		d.Steps = append(d.Steps, step(rb, i+1, s))
		total += s.Expected
	}
	if total > 0 {
		d.PlannedTotal = human.Objective(total)
	}
	for i, s := range rb.Rollback {
		d.Rollback = append(d.Rollback, step(rb, i+1, s))
	}
	d.RestoreTime = restoreTime(rb, drills)
	have := map[string]bool{}
	for _, a := range approvals {
		have[a.Name] = true
	}
	for _, n := range rb.Approvals {
		if !have[n] {
			d.Missing = append(d.Missing, n)
		}
	}
	return d
}

// strategyWhy explains each rollback strategy, after DESIGN.md's table.
var strategyWhy = map[string]string{
	"snapshot":   "A snapshot is taken and verified before the copy; rolling back restores it. The rollback takes time in proportion to the data.",
	"cdc":        "Every change made during the window is captured; it is applied forward to keep the target in sync and in reverse to undo. The rollback takes minutes, in proportion to the changes.",
	"blue-green": "The old side stays live and in sync; traffic is switched with a hook and switched back on rollback. The rollback takes seconds.",
}

func objectives(o runbooks.Objectives) []string {
	var out []string
	if o.RTO > 0 {
		out = append(out, fmt.Sprintf("Recovery time objective (RTO): the service may be down for at most %s.", human.Objective(o.RTO)))
	}
	if o.RPO > 0 {
		out = append(out, fmt.Sprintf("Recovery point objective (RPO): at most %s of data may be lost.", human.Objective(o.RPO)))
	} else {
		out = append(out, "Recovery point objective (RPO): no data may be lost.")
	}
	if o.Expected > 0 {
		out = append(out, fmt.Sprintf("The run is expected to take %s.", human.Objective(o.Expected)))
	}
	if o.Window > 0 {
		out = append(out, fmt.Sprintf("The maintenance window is %s long.", human.Objective(o.Window)))
	}
	return out
}

// spelling is how the plan words the durations a trigger's sentence quotes.
var spelling = runbooks.Spelling{Objective: human.Objective, Lag: human.Dur}

// triggers says what each watched trigger at its threshold means: its
// registry sentence (runbooks.TriggerSpecs), or its registry description
// for a trigger without one; a trigger whose sentence is "" cannot fire
// in rb (the always-watched change-stream ones without a cdc-start step).
func triggers(rb *runbooks.Runbook) []string {
	var out []string
	for _, spec := range runbooks.TriggerSpecs() {
		v, ok := rb.Triggers.Threshold(spec.Name)
		if !ok {
			continue
		}
		s := fmt.Sprintf("%s: %s", spec.Name, spec.Doc)
		if spec.Sentence != nil {
			if s = spec.Sentence(rb, v, spelling); s == "" {
				continue // a trigger that cannot fire in rb
			}
		}
		out = append(out, s+" The decision-maker decides; nobody else may.")
	}
	return out
}

func notifyPlan(rb *runbooks.Runbook) []string {
	var out []string
	for _, n := range rb.Notify {
		how := "the command " + n.Exec + " receives the event as JSON on its standard input"
		if n.URL != "" {
			how = "the webhook " + n.URL + " receives the event as a JSON POST"
		}
		out = append(out, fmt.Sprintf("On %s: %s.", strings.Join(n.On, ", "), how))
	}
	return out
}

func step(rb *runbooks.Runbook, n int, s runbooks.Step) Step {
	out := Step{N: n, ID: s.ID, Title: s.DisplayTitle(), Kind: s.Kind, Owner: s.Owner, Instructions: s.Instructions, Checklist: s.Checklist}
	if s.Expected > 0 {
		out.Expected = human.Objective(s.Expected)
	}
	if s.OnFailure != "" && s.OnFailure != runbooks.OnFailureStop {
		out.OnFailure = "on failure: " + s.OnFailure
	}
	switch s.Kind {
	case runbooks.KindManual:
		who := s.Owner
		if who == "" {
			who = "the operator"
		}
		out.What = "Done by hand; " + who + " confirms it in tightrope."
	case runbooks.KindGate:
		out.What = fmt.Sprintf("Go / no-go decided by %s: %q No-go rolls back.", rb.DecisionMaker, s.Question)
	case runbooks.KindShell:
		out.What = "Runs a command through sh in the runbook's directory."
		out.Commands = []string{"sh -c " + shellQuote(s.Run)}
		if s.Undo != "" {
			out.Commands = append(out.Commands, "undo: sh -c "+shellQuote(s.Undo))
		}
	case runbooks.KindSQL:
		out.What = "Runs these statements on " + s.On + ", one by one."
		for _, st := range engine.SplitStatements(s.Run) {
			out.Commands = append(out.Commands, st+";")
		}
	case runbooks.KindCopy:
		tables := strings.Join(s.Tables, ", ")
		if s.All {
			tables = "every table"
		}
		out.What = fmt.Sprintf("Copies %s from %s to %s in batches of %d rows, %d table(s) at once; a row that does not fit is kept as a reject, never dropped.", tables, s.From, s.To, s.Batch, s.Parallel)
		if s.Create {
			out.What += " Missing target tables are created from the source's shape (tightrope run --dry-run prints their CREATE TABLE)."
		}
		for _, c := range s.Casts {
			for from, to := range c.Map {
				v := "NULL"
				if to != nil {
					v = strconv.Quote(*to)
				}
				out.Commands = append(out.Commands, fmt.Sprintf("cast %s.%s: %q becomes %s", c.Table, c.Column, from, v))
			}
		}
	case runbooks.KindVerify:
		out.What = fmt.Sprintf("Compares row counts and every row's values between %s and %s.", s.From, s.To)
	case runbooks.KindSnapshot:
		method := s.Method
		if method == "" {
			method = "the engine's default method"
		}
		out.What = fmt.Sprintf("Takes a labelled snapshot of %s with %s and verifies it (row counts and checksums); tightrope run --dry-run prints the exact commands.", s.Of, method)
	case runbooks.KindRestore:
		out.What = fmt.Sprintf("Restores the snapshot taken by step %s, checked against its manifest first and verified after; timed against the RTO. tightrope run --dry-run prints the exact commands.", s.Snapshot)
	case runbooks.KindWait:
		out.What = "Waits " + human.Objective(s.Duration) + "."
	case runbooks.KindFreeze:
		tables := "every table the copies touch there"
		if s.All {
			tables = "every table"
		} else if len(s.Tables) > 0 {
			tables = strings.Join(s.Tables, ", ")
		}
		out.What = fmt.Sprintf("Stops every other writer on %s (%s): on PostgreSQL the other roles' write privileges are revoked and their writing sessions ended, on MySQL read_only is set; what it changes is journaled first and given back exactly by an unfreeze, a failed switch or a rollback.", s.On, tables)
	case runbooks.KindUnfreeze:
		out.What = fmt.Sprintf("Gives back exactly what the freeze of %s took.", s.On)
	case runbooks.KindSwitch:
		out.What = fmt.Sprintf("Switches %s → %s only after: writes frozen on %s, change capture drained, sequences synced on %s, the tables verified equal, and a go from %s. Any failure unfreezes %s and aborts the switch; a rollback runs the undo to switch back.", s.From, s.To, s.From, s.To, rb.DecisionMaker, s.From)
		out.Commands = []string{"hook: sh -c " + shellQuote(s.Run)}
		if s.Undo != "" {
			out.Commands = append(out.Commands, "switch back: sh -c "+shellQuote(s.Undo))
		}
	default:
		out.What = "A " + s.Kind + " step."
	}
	return out
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// restoreTime says how long the rollback's restore is expected to take
// against the RTO: the restore measured in the latest drill that rolled
// back, or that nothing has measured it.
func restoreTime(rb *runbooks.Runbook, drills []scorecard.History) string {
	var last *scorecard.Entry
	for _, h := range drills {
		for i := range h.Drills {
			e := &h.Drills[i]
			if e.RolledBack && e.RestoreMS != nil && (last == nil || e.StartedAt.After(last.StartedAt)) {
				last = e
			}
		}
	}
	rto := rb.Objectives.RTO
	if last == nil {
		if rto > 0 {
			return fmt.Sprintf("No drill has measured the restore yet: whether the rollback meets the RTO of %s is unknown (tightrope drill RUNBOOK --scenario NAME).", human.Objective(rto))
		}
		return "No drill has measured the restore yet."
	}
	took := time.Duration(*last.RestoreMS) * time.Millisecond
	s := fmt.Sprintf("The restore took %s in the latest drill that rolled back (%s)", human.Dur(took), last.StartedAt.UTC().Format("2006-01-02 15:04Z"))
	switch {
	case rto <= 0:
		return s + "; the runbook sets no RTO."
	case took <= rto:
		return s + fmt.Sprintf(", within the RTO of %s.", human.Objective(rto))
	default:
		return s + fmt.Sprintf(", OVER the RTO of %s.", human.Objective(rto))
	}
}
