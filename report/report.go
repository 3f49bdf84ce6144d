// Package report turns a run's journal into its post-mortem: what the team
// reads the morning after a cutover. Build reads the journal alone (events,
// rejects and the hash chain) into a Report value; Markdown, HTML and JSON
// render that one value, so the three formats always say the same thing.
//
// Every free text in a Report went through journal.RedactText: the journal
// is redacted when written, and the report scrubs DSN-shaped passwords once
// more as a last guard.
package report

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/tightrope/tightrope/engine/drill/scorecard"
	"github.com/tightrope/tightrope/journal"
)

// Report is the post-mortem of one run. Its JSON field names are stable:
// durations are integer milliseconds (fields ending in _ms), times are
// RFC 3339, offsets are milliseconds since the run started.
type Report struct {
	Journal   string    `json:"journal"` // base name of the journal file
	Summary   Summary   `json:"summary"`
	Integrity Integrity `json:"integrity"`
	Problems  []Problem `json:"journal_problems"` // events whose payload could not be read
	Timeline  []Entry   `json:"timeline"`
	Planned   *Planned  `json:"planned_vs_actual,omitempty"` // nil when the runbook plans no time
	Decisions Decisions `json:"decisions"`
	Data      Data      `json:"data"`
	// ChangeCapture is the run's change streams (section 4), empty when
	// it captured none.
	ChangeCapture []Stream      `json:"change_capture,omitempty"`
	SafetyNet     SafetyNet     `json:"safety_net"`
	Communication Communication `json:"communication"`
	Lessons       []string      `json:"lessons"`
	// Drill is the drill's scorecard (mode drill only).
	Drill *scorecard.Card `json:"drill,omitempty"`
	// Assessment is the run's latest assessment (tightrope assess, or an
	// assess step).
	Assessment *journal.AssessmentPayload `json:"assessment,omitempty"`
}

// Summary is the run at a glance.
type Summary struct {
	Name          string    `json:"name"`
	MigrationID   string    `json:"migration_id"`
	Strategy      string    `json:"strategy,omitempty"`
	Mode          string    `json:"mode"`            // live | drill
	Fault         string    `json:"fault,omitempty"` // drill: the injected fault
	Operators     []string  `json:"operators"`       // who started and resumed the run
	DecisionMaker string    `json:"decision_maker"`
	DecidedBy     []string  `json:"decided_by"` // who actually answered questions
	Outcome       string    `json:"outcome"`    // finished | rolled_back | failed | aborted | "" (interrupted)
	OutcomeText   string    `json:"outcome_text"`
	Error         string    `json:"error,omitempty"`
	StartedAt     time.Time `json:"started_at"`
	EndedAt       time.Time `json:"ended_at"` // run_finished, or the last event when interrupted
	Finished      bool      `json:"finished"`
	DurationMS    int64     `json:"duration_ms"`
	ExpectedMS    int64     `json:"expected_ms"`
	WindowMS      int64     `json:"window_ms"`
	RTOMS         int64     `json:"rto_ms"`
	RPOMS         int64     `json:"rpo_ms"`
	RunID         string    `json:"run_id"`
	RunbookSHA256 string    `json:"runbook_sha256"`
	ToolVersion   string    `json:"tool_version"`
	LastSeq       int64     `json:"last_seq"`
}

// Integrity is what journal.Verify found. Untrusted means the chain or the
// reject rows do not hold: the report still renders, with a banner.
type Integrity struct {
	OK            bool   `json:"ok"`
	Untrusted     bool   `json:"untrusted"`
	Events        int64  `json:"events"`
	Head          string `json:"head"`
	Chain         string `json:"chain"`                 // sha256 | hmac-sha256, as the journal declares
	KeyID         string `json:"key_id,omitempty"`      // hmac-sha256: the key's public id
	KeyChecked    bool   `json:"key_checked"`           // every hash checked under the journal key
	KeyProblem    string `json:"key_problem,omitempty"` // keyed journal without its key, wrong key, key for an unkeyed journal
	Truncated     string `json:"truncated,omitempty"`   // keyed journal whose head seal names a later end
	BrokenSeq     int64  `json:"broken_seq,omitempty"`
	Reason        string `json:"reason,omitempty"`
	Rejects       int64  `json:"rejects"`
	RejectsReason string `json:"rejects_reason,omitempty"`
	Verdict       string `json:"verdict"` // the line `tightrope journal verify` prints
}

// Problem is an event the report could not read: its payload does not
// decode into its type's struct (journal.Decode). The chain may still
// verify. The event is left out of what the report builds from events
// (timeline, decisions, communication, verifies); what it builds from the
// fold (journal.State) shows what the fold made of it.
type Problem struct {
	Seq    int64  `json:"seq"`
	Type   string `json:"type"`
	StepID string `json:"step_id,omitempty"`
	Error  string `json:"error"`
}

// Entry is one line of the timeline. Kind is step or rollback_step (Step
// is set), or the event: run_started, note, trigger, decision, refused,
// warning, paused, unpaused, skipped, aborted, resumed, rollback_started,
// rollback_finished, run_finished.
type Entry struct {
	Seq      int64     `json:"seq"` // 0: a step that never started
	At       time.Time `json:"at,omitzero"`
	OffsetMS int64     `json:"offset_ms"`
	Kind     string    `json:"kind"`
	StepID   string    `json:"step_id,omitempty"`
	Actor    string    `json:"actor,omitempty"`
	Text     string    `json:"text,omitempty"`
	Step     *Step     `json:"step,omitempty"`
}

// Step is one step of the runbook or of its rollback procedure.
type Step struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Kind       string `json:"kind"`
	Rollback   bool   `json:"rollback"`
	Owner      string `json:"owner,omitempty"`
	Status     string `json:"status"` // pending (never ran) | running | waiting | done | failed | skipped
	Attempts   int    `json:"attempts"`
	DurationMS int64  `json:"duration_ms"` // of the last attempt
	ExpectedMS int64  `json:"expected_ms,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Decisions holds the triggers with their evidence, every decision and
// every refused attempt to decide.
type Decisions struct {
	Triggers  []Trigger  `json:"triggers"`
	Decisions []Decision `json:"decisions"`
	Refusals  []Refusal  `json:"refusals"`
}

// Trigger is a rollback trigger that fired, its evidence frozen as it was
// recorded, and the decision that answered it (nil if none did).
type Trigger struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	OffsetMS  int64     `json:"offset_ms"`
	StepID    string    `json:"step_id,omitempty"`
	Trigger   string    `json:"trigger"`
	Table     string    `json:"table,omitempty"`
	Observed  float64   `json:"observed"`
	Threshold float64   `json:"threshold"`
	Message   string    `json:"message"`
	Evidence  []Field   `json:"evidence"`
	Decision  *Decision `json:"decision,omitempty"`
}

// Field is one named value of a trigger's evidence, as text.
type Field struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Decision is an answer to a question the run asked a person.
type Decision struct {
	Seq           int64     `json:"seq"`
	At            time.Time `json:"at"`
	OffsetMS      int64     `json:"offset_ms"`
	StepID        string    `json:"step_id,omitempty"`
	Kind          string    `json:"kind"` // manual | gate | trigger | rerun
	Question      string    `json:"question,omitempty"`
	Who           string    `json:"who,omitempty"` // who was asked
	Actor         string    `json:"actor"`         // who answered
	Choice        string    `json:"choice"`
	Justification string    `json:"justification,omitempty"`
	Limit         float64   `json:"limit,omitempty"`
	Trigger       string    `json:"trigger,omitempty"`
	Auto          bool      `json:"auto"`
	WaitedMS      int64     `json:"waited_ms"` // from the question to the answer
}

// Refusal is someone trying to decide who may not, or a decision refused
// for its form (a justification too short, an unticked checklist).
type Refusal struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	OffsetMS int64     `json:"offset_ms"`
	StepID   string    `json:"step_id,omitempty"`
	Actor    string    `json:"actor"`
	Choice   string    `json:"choice"`
	Reason   string    `json:"reason"`
}

// Data is what happened to the rows.
type Data struct {
	Tables   []Table  `json:"tables"`
	Casts    []Cast   `json:"casts"`
	Verifies []Verify `json:"verifies"`
}

// Table is one copied table's counters, checked against the copy invariant
// read = written + rejected. Read, Written and Rejected are the copy's last
// sample; Counted and Stored are the rejects as events counted them and as
// the rejects table holds them, which agree unless rows were lost or added.
type Table struct {
	Table      string   `json:"table"`
	Read       int64    `json:"read"`
	Written    int64    `json:"written"`
	Rejected   int64    `json:"rejected"`
	Total      int64    `json:"total"` // rows in the source (an estimate unless total_exact)
	TotalExact bool     `json:"total_exact"`
	Done       bool     `json:"done"` // table_copied was recorded
	Balanced   bool     `json:"balanced"`
	Check      string   `json:"check"`   // OK | MISMATCH
	Counted    int64    `json:"counted"` // rejects counted by the rows_rejected events
	Stored     int64    `json:"stored"`  // rows of this table in the rejects table
	Reasons    []Reason `json:"reasons"`
}

// Reason is one reject reason of a table, with one example row.
type Reason struct {
	Reason  string  `json:"reason"`
	Count   int64   `json:"count"`  // as counted by the rows_rejected events
	Stored  int64   `json:"stored"` // rows with this reason in the rejects table
	Column  string  `json:"column,omitempty"`
	Key     string  `json:"example_key,omitempty"`
	Value   string  `json:"example_value,omitempty"` // the example's value in Column, as JSON
	Detail  string  `json:"example_detail,omitempty"`
	Columns []Tally `json:"columns,omitempty"` // stored rows per column
}

// Tally is a count of stored reject rows in one column, with the first
// value seen there.
type Tally struct {
	Column string `json:"column"`
	Count  int64  `json:"count"`
	Value  string `json:"example_value,omitempty"`
}

// Cast is a documented cast rule, with the values it changed over the run.
type Cast struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	From   string `json:"from"`
	To     string `json:"to"`
	Count  int64  `json:"count"`
}

// Verify is one verify step's result.
type Verify struct {
	Seq        int64                `json:"seq"`
	OffsetMS   int64                `json:"offset_ms"`
	StepID     string               `json:"step_id"`
	Mismatches int64                `json:"mismatches"`
	Tables     []journal.TableCheck `json:"tables"`
}

// SafetyNet is the snapshots, the restores and the rollback.
type SafetyNet struct {
	Snapshots []Snapshot `json:"snapshots"`
	Restores  []Restore  `json:"restores"`
	Rollback  *Rollback  `json:"rollback,omitempty"`
}

// Snapshot is one snapshot's manifest.
type Snapshot struct {
	StepID       string    `json:"step_id"`
	Label        string    `json:"label"`
	Connection   string    `json:"connection"`
	Method       string    `json:"method"`
	Tables       []string  `json:"tables"`
	Rows         int64     `json:"rows"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256"`
	Verified     bool      `json:"verified"` // every table has a checksum
	CapturedAt   time.Time `json:"captured_at"`
	DurationMS   int64     `json:"duration_ms"`
	EstRestoreMS int64     `json:"est_restore_ms"`
}

// Restore is one restore, timed against the RTO and the estimate its
// snapshot made.
type Restore struct {
	StepID       string `json:"step_id"`
	Snapshot     string `json:"snapshot"`
	Connection   string `json:"connection"`
	DurationMS   int64  `json:"duration_ms"`
	RTOMS        int64  `json:"rto_ms"`
	WithinRTO    bool   `json:"within_rto"`
	Verified     bool   `json:"verified"`
	Rows         int64  `json:"rows"`
	EstRestoreMS int64  `json:"est_restore_ms"` // 0: no snapshot of that label in the journal
}

// Rollback is the rollback procedure, if it started.
type Rollback struct {
	Reason     string `json:"reason"`
	OffsetMS   int64  `json:"offset_ms"`
	Finished   bool   `json:"finished"`
	DurationMS int64  `json:"duration_ms"`
	RTOMS      int64  `json:"rto_ms"`
	WithinRTO  bool   `json:"within_rto"`
	OK         bool   `json:"ok"`
}

// Communication is the notifications and warnings of the run.
type Communication struct {
	Sent          int            `json:"sent"`
	Failed        int            `json:"failed"`
	Notifications []Notification `json:"notifications"`
	Warnings      []Warning      `json:"warnings"`
}

// Notification is one run of a notifier.
type Notification struct {
	OffsetMS   int64  `json:"offset_ms"`
	Event      string `json:"event"`
	Seq        int64  `json:"seq"` // the event notified
	Target     string `json:"target"`
	OK         bool   `json:"ok"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}

// Warning is an early warning raised during the run.
type Warning struct {
	OffsetMS int64  `json:"offset_ms"`
	Kind     string `json:"kind"`
	Message  string `json:"message"`
}

// Build reads the journal at path (events, rejects, hash chain) and returns
// its post-mortem. A broken chain does not stop it: the report is marked
// untrusted. opts (journal.WithKey) verify a keyed journal with its key.
// The error is for a file that cannot be read as a journal.
func Build(path string, opts ...journal.Option) (*Report, error) {
	// One read of the file: the chain is checked while the events are
	// folded into the report and the reject rows tallied.
	b := newBuilder(filepath.Base(path))
	vr, err := journal.VerifyScan(context.Background(), path, b.apply, b.reject, opts...)
	switch {
	case err != nil && vr.BrokenSeq != 0:
		return nil, fmt.Errorf("%w (journal verify: %s)", err, vr)
	case err != nil:
		// the walk stopped at the error: what it read says nothing of the
		// rest, so it is not reported as a verdict ("OK: 0 events")
		return nil, fmt.Errorf("%w (the journal could not be read through: it is not verified)", err)
	}
	r := b.done(vr)
	r.Drill = b.drillCard()
	finish(r)
	return r, nil
}

// ms turns a duration into whole milliseconds, the report's unit.
func ms(d time.Duration) int64 { return d.Milliseconds() }

// dur turns milliseconds back into a duration.
func dur(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
