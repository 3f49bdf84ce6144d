// Package scorecard judges a drill from its journal alone: when the fault
// was injected, when it was detected and by what, who decided what and how
// fast, how long the rollback took against the RTO, whether the restored
// data is proven equal to the snapshot manifests, and pass or fail against
// the runbook's objectives and the drill's expected outcome. It is a fold
// over the events, so the live drill, its report and the drill history
// all show the same scorecard.
package scorecard

import (
	"time"

	"github.com/tightrope/tightrope/journal"
)

// Card is the scorecard of one drill. Durations are milliseconds.
type Card struct {
	Drill       bool      `json:"drill"` // the journal is a drill's (mode drill)
	ID          string    `json:"id,omitempty"`
	Scenario    string    `json:"scenario,omitempty"`
	Faults      []string  `json:"faults"`
	Expect      string    `json:"expect,omitempty"`
	MigrationID string    `json:"migration_id,omitempty"`
	StartedAt   time.Time `json:"started_at"`

	Injected   []Injection `json:"injected"`
	InjectedAt time.Time   `json:"injected_at,omitzero"` // the first fault's moment
	Detected   *Detection  `json:"detected,omitempty"`
	Decided    *Decision   `json:"decided,omitempty"`
	Rollback   *Rollback   `json:"rollback,omitempty"`
	Restores   []Restore   `json:"restores"`
	// DataProven: every restore's checksums equal its snapshot manifest
	// (false when there was no restore).
	DataProven bool `json:"data_proven"`
	// Exact: the run went on and its last verify found no mismatch.
	Exact bool `json:"exact"`
	// Retries after the fault: operations the engine retried (a lost
	// connection, a stalled batch), and when the first was.
	Retries      int       `json:"retries"`
	FirstRetryAt time.Time `json:"first_retry_at,omitzero"`
	// Resumes after the fault: the run process stopped and was resumed
	// from the journal, the first at FirstResumeAt.
	Resumes       int       `json:"resumes"`
	FirstResumeAt time.Time `json:"first_resume_at,omitzero"`

	Followed []string `json:"steps_followed"`
	Skipped  []string `json:"steps_skipped"`
	Failed   []string `json:"steps_failed"`

	Outcome string   `json:"outcome"` // the run's outcome; "" when it never finished
	RTOMS   int64    `json:"rto_ms"`
	Pass    bool     `json:"pass"`
	Reasons []string `json:"reasons"` // why it failed, one per failed check
}

// Injection is one fault as journaled.
type Injection struct {
	Spec   string    `json:"spec"`
	At     time.Time `json:"at"`
	Step   string    `json:"step,omitempty"`
	Target string    `json:"target,omitempty"`
	Rows   int64     `json:"rows,omitempty"`
	Detail string    `json:"detail,omitempty"`
	Error  string    `json:"error,omitempty"`
	// HealedAt: a fault with a duration (a network drop) was over then.
	HealedAt time.Time `json:"healed_at,omitzero"`
}

// Detection is the first thing the fault caused that the room could see:
// a trigger, a failed step, a warning.
type Detection struct {
	At      time.Time `json:"at"`
	Seq     int64     `json:"seq"`
	By      string    `json:"by"`                // trigger | step_failed | warning
	Trigger string    `json:"trigger,omitempty"` // by a trigger: its name (cdc_position_lost)
	What    string    `json:"what"`              // the trigger's or warning's message, the step's error
	AfterMS int64     `json:"time_to_detect_ms"`
}

// Decision is the first decision taken after the detection.
type Decision struct {
	At      time.Time `json:"at"`
	By      string    `json:"by"`
	Choice  string    `json:"choice"`
	Auto    bool      `json:"auto"`
	AfterMS int64     `json:"time_to_decide_ms"`
}

// Rollback is the rollback procedure, timed against the RTO.
type Rollback struct {
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	DurationMS int64     `json:"time_to_restore_ms"`
	RTOMS      int64     `json:"rto_ms"`
	WithinRTO  bool      `json:"within_rto"`
	OK         bool      `json:"ok"`
}

// Restore is one restore of the rollback and whether it is proven.
type Restore struct {
	Step       string `json:"step"`
	Snapshot   string `json:"snapshot,omitempty"`
	Connection string `json:"connection,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	Proven     bool   `json:"proven"` // the restored checksums equal the snapshot manifest
	// FallbackFrom: the snapshot to restore was damaged; Snapshot, an
	// earlier one, was restored instead.
	FallbackFrom string `json:"fallback_from,omitempty"`
	Problem      string `json:"problem,omitempty"`
}

// FromJournal reads a journal and scores it.
func FromJournal(path string) (Card, error) {
	events, err := journal.ReadAll(path)
	if err != nil {
		return Card{}, err
	}
	return Score(events), nil
}
