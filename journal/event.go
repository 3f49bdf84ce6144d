// Package journal is the memory of a run: the event vocabulary, the
// append-only hash-chained SQLite store, the rejected rows, and State, the
// fold of events that the console, replay and report all render.
package journal

import (
	"encoding/json"
	"time"
)

// Type names an event type. The vocabulary is closed: State.Apply ignores
// types it does not know, so old readers survive new writers.
type Type string

// The event vocabulary.
const (
	RunStarted       Type = "run_started"       // RunStartedPayload; always seq 1
	RunResumed       Type = "run_resumed"       // RunResumedPayload
	StepStarted      Type = "step_started"      // StepStartedPayload
	StepFinished     Type = "step_finished"     // StepFinishedPayload
	ChecklistChecked Type = "checklist_checked" // ChecklistPayload
	Log              Type = "log"               // LogPayload
	Progress         Type = "progress"          // ProgressPayload (sampled ~1/s per table)
	RowsRejected     Type = "rows_rejected"     // RejectsPayload (counts; rows live in the rejects table)
	CastApplied      Type = "cast_applied"      // CastPayload
	TableCopied      Type = "table_copied"      // ProgressPayload, final numbers of one table
	VerifyResult     Type = "verify_result"     // VerifyPayload
	SnapshotTaken    Type = "snapshot_taken"    // SnapshotPayload
	RestoreFinished  Type = "restore_finished"  // RestorePayload
	TriggerFired     Type = "trigger"           // TriggerPayload
	Awaiting         Type = "awaiting"          // AwaitingPayload: the run waits for a person
	Decision         Type = "decision"          // DecisionPayload
	Refused          Type = "refused"           // RefusedPayload: someone tried to decide and may not
	Note             Type = "note"              // NotePayload
	RollbackStarted  Type = "rollback_started"  // RollbackPayload
	RollbackFinished Type = "rollback_finished" // RollbackPayload
	RunFinished      Type = "run_finished"      // RunFinishedPayload
	Paused           Type = "paused"            // ControlPayload
	Unpaused         Type = "unpaused"          // ControlPayload
	StepSkipped      Type = "step_skipped"      // ControlPayload (Reason): the step will not run / be retried
	Aborted          Type = "aborted"           // ControlPayload
	Notified         Type = "notified"          // NotifiedPayload: a notifier ran (or failed)
	Warning          Type = "warning"           // WarningPayload: not a trigger, but the room should know
	Approval         Type = "approval"          // ApprovalPayload: a reviewer approved a runbook text (approvals journal)
)

// Modes a run is recorded in.
const (
	ModeLive  = "live"
	ModeDrill = "drill"
	// ModeApprovals is the approvals journal beside a runbook (tightrope
	// plan --approve): RunStarted, then one Approval per sign-off.
	ModeApprovals = "approvals"
)

// ApprovalPayload is one reviewer's sign-off of the runbook text whose
// sha256 it names; editing the runbook voids it.
type ApprovalPayload struct {
	Name          string `json:"name"`
	RunbookSHA256 string `json:"runbook_sha256"`
}

// Step statuses as folded into State.
const (
	StatusPending = "pending"
	StatusRunning = "running"
	StatusWaiting = "waiting"
	StatusDone    = "done"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
)

// Outcomes of a run.
const (
	OutcomeFinished   = "finished"
	OutcomeRolledBack = "rolled_back"
	OutcomeFailed     = "failed"
	OutcomeAborted    = "aborted"
)

// Event is one entry of the journal. Payload is canonical JSON produced by
// the store (already redacted); Hash chains it to the previous event.
type Event struct {
	Seq      int64
	At       time.Time
	Actor    string
	StepID   string
	Type     Type
	Payload  json.RawMessage
	PrevHash string
	Hash     string
}

// RunStartedPayload binds the run to its runbook, tool and operator.
type RunStartedPayload struct {
	RunbookText   string     `json:"runbook_text"`
	RunbookSHA256 string     `json:"runbook_sha256"`
	RunbookPath   string     `json:"runbook_path"`
	ToolVersion   string     `json:"tool_version"`
	Operator      string     `json:"operator"`
	Mode          string     `json:"mode"`
	Host          string     `json:"host,omitempty"`
	Fault         string     `json:"fault,omitempty"` // drill mode: the injected fault
	Drill         *DrillPlan `json:"drill,omitempty"` // drill mode: the plan the scorecard judges against
	// Chain is the journal's chain kind (ChainHMAC for a keyed journal;
	// empty, meaning ChainSHA256, otherwise) and KeyID the key's public id
	// (KeyID). Create sets both from WithKey; the key itself is never stored.
	Chain string `json:"chain,omitempty"`
	KeyID string `json:"key_id,omitempty"`
}

// RunResumedPayload marks a process picking up an interrupted run.
type RunResumedPayload struct {
	Operator    string `json:"operator"`
	ToolVersion string `json:"tool_version"`
	FromSeq     int64  `json:"from_seq"`
	// Reopened: the run had ended failed and the decision-maker (the
	// operator) chose to retry it; RetryStep is the failed step run again
	// (empty when the run failed before its first step).
	Reopened  bool   `json:"reopened,omitempty"`
	RetryStep string `json:"retry_step,omitempty"`
}

// StepStartedPayload opens a step.
type StepStartedPayload struct {
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	Rollback bool   `json:"rollback,omitempty"`
	Attempt  int    `json:"attempt,omitempty"`
}

// StepFinishedPayload closes a step.
type StepFinishedPayload struct {
	Status     string `json:"status"` // done | failed | skipped
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}

// ChecklistPayload records one checklist item ticked on a manual step.
type ChecklistPayload struct {
	Index int    `json:"index"`
	Item  string `json:"item"`
}

// LogPayload is one line of output (shell stdout/stderr, engine messages).
type LogPayload struct {
	Stream string `json:"stream"` // stdout | stderr | info | warn | error
	Line   string `json:"line"`
}

// ProgressPayload is a sample of one table's copy counters.
type ProgressPayload struct {
	Table      string `json:"table"`
	Read       int64  `json:"read"`
	Written    int64  `json:"written"`
	Rejected   int64  `json:"rejected"`
	Bytes      int64  `json:"bytes"`
	Total      int64  `json:"total"`       // rows expected in the source
	TotalExact bool   `json:"total_exact"` // false: Total is an estimate
	ElapsedMS  int64  `json:"elapsed_ms"`
}

// RejectsPayload counts rows rejected in one batch, by reason.
type RejectsPayload struct {
	Table      string           `json:"table"`
	ByReason   map[string]int64 `json:"by_reason"`
	Sample     string           `json:"sample,omitempty"`      // one human sentence, for the log pane
	RowsSHA256 string           `json:"rows_sha256,omitempty"` // digest of the rows stored in the rejects table
}

// CastPayload records a documented cast rule applied to values.
type CastPayload struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	From   string `json:"from"`
	To     string `json:"to"` // "NULL" for SQL NULL
	Count  int64  `json:"count"`
}

// TableCheck is one table's verification numbers.
type TableCheck struct {
	Table          string   `json:"table"`
	SourceRows     int64    `json:"source_rows"`
	TargetRows     int64    `json:"target_rows"`
	Rejected       int64    `json:"rejected"`
	SourceChecksum string   `json:"source_checksum"`
	TargetChecksum string   `json:"target_checksum"`
	Mismatches     int64    `json:"mismatches"`
	MismatchKeys   []string `json:"mismatch_keys,omitempty"` // first few
}

// VerifyPayload is the outcome of a verify step.
type VerifyPayload struct {
	Tables     []TableCheck `json:"tables"`
	Mismatches int64        `json:"mismatches"`
}

// TableSnapshot is one table in a snapshot manifest.
type TableSnapshot struct {
	Table    string `json:"table"`
	Rows     int64  `json:"rows"`
	Checksum string `json:"checksum"`
}

// SnapshotPayload is a snapshot manifest: the journal records it, and
// package snapshot writes it beside the artefact as <name>.manifest.json.
type SnapshotPayload struct {
	Step         string          `json:"step"`  // id of the snapshot step that took it
	Label        string          `json:"label"` // migration id + connection + capture time
	Connection   string          `json:"connection"`
	Method       string          `json:"method"`
	Artefact     string          `json:"artefact"` // file path, or in-server database name
	SHA256       string          `json:"sha256"`   // of the file; in-server: of the table checksums
	Size         int64           `json:"size"`
	Tables       []TableSnapshot `json:"tables"`
	DurationMS   int64           `json:"duration_ms"`
	CapturedAt   time.Time       `json:"captured_at"`
	EstRestoreMS int64           `json:"est_restore_ms"`

	MigrationID string `json:"migration_id,omitempty"`
	Driver      string `json:"driver,omitempty"`
	Database    string `json:"database,omitempty"` // described without secrets
	DSNEnv      string `json:"dsn_env,omitempty"`  // the variable's name, never its value
	Scope       string `json:"scope,omitempty"`    // what the artefact covers, e.g. schema "public"
	InServer    bool   `json:"in_server,omitempty"`
	Tool        string `json:"tool,omitempty"`
	ToolVersion string `json:"tool_version,omitempty"`
}

// RestorePayload is the outcome of a restore, timed against the RTO.
type RestorePayload struct {
	Snapshot   string          `json:"snapshot"`
	Connection string          `json:"connection"`
	DurationMS int64           `json:"duration_ms"`
	RTOMS      int64           `json:"rto_ms"`
	Verified   bool            `json:"verified"`
	Tables     []TableSnapshot `json:"tables"`
	// FallbackFrom names the snapshot the step was to restore, found
	// damaged: Snapshot, an earlier one, was restored instead, and
	// Manifest holds its tables as captured.
	FallbackFrom string          `json:"fallback_from,omitempty"`
	Manifest     []TableSnapshot `json:"manifest,omitempty"`
}

// TriggerPayload is a rollback trigger met, with the evidence frozen.
type TriggerPayload struct {
	Trigger   string         `json:"trigger"` // reject_rate | overrun | verify_mismatch | cdc_lag | step_failed
	Table     string         `json:"table,omitempty"`
	Observed  float64        `json:"observed"`
	Threshold float64        `json:"threshold"`
	Message   string         `json:"message"`
	Evidence  map[string]any `json:"evidence,omitempty"`
}

// AwaitingPayload says the run holds until a person answers.
type AwaitingPayload struct {
	Kind     string   `json:"kind"` // manual | gate | trigger | rerun
	Question string   `json:"question"`
	Choices  []string `json:"choices"`
	Who      string   `json:"who"` // who may answer
}

// What the run can wait for (AwaitingPayload.Kind, DecisionPayload.Kind).
const (
	AwaitManual  = "manual"  // a manual step's checklist and confirmation
	AwaitGate    = "gate"    // go / no-go
	AwaitTrigger = "trigger" // a rollback trigger met: continue or roll back
	AwaitRerun   = "rerun"   // resume: run again a step that may have had side effects?
)

// Choices a person can make.
const (
	ChoiceConfirm  = "confirm"  // manual step done
	ChoiceGo       = "go"       // gate
	ChoiceNoGo     = "no-go"    // gate: treated as rollback
	ChoiceContinue = "continue" // trigger: needs a justification
	ChoiceRollback = "rollback" // trigger
	ChoiceRetry    = "retry"    // step_failed trigger: run the failed step again
	ChoiceSkip     = "skip"     // rerun question (resume): do not run the step again
	ChoiceRerun    = "rerun"    // rerun question (resume): run a step that may have had side effects again
)

// DecisionPayload is an answer to an Awaiting, with its justification.
type DecisionPayload struct {
	// Limit, on a "continue" past a trigger, is the threshold in force from
	// now on for the trigger's scope (Trigger, the event's step, Table): the
	// one the decision-maker typed, or the default (twice the observed
	// value) with LimitDefault set. The fold keeps it in State.Limits.
	Limit         float64 `json:"limit,omitempty"`
	LimitDefault  bool    `json:"limit_default,omitempty"`
	Table         string  `json:"table,omitempty"` // the trigger's table, for table-scoped limits
	Kind          string  `json:"kind"`            // manual | gate | trigger | rerun
	Choice        string  `json:"choice"`
	Justification string  `json:"justification,omitempty"`
	Trigger       string  `json:"trigger,omitempty"`
	Auto          bool    `json:"auto,omitempty"` // answered by --auto-decide
}

// RefusedPayload records an attempt to decide by someone who may not.
type RefusedPayload struct {
	Choice string `json:"choice"`
	Reason string `json:"reason"`
}

// ControlPayload records an operator control (pause, skip, abort).
type ControlPayload struct {
	Reason string `json:"reason,omitempty"`
}

// NotifiedPayload records one run of a notifier for one event.
type NotifiedPayload struct {
	Event      Type   `json:"event"`  // the event type notified
	Seq        int64  `json:"seq"`    // the event notified
	Target     string `json:"target"` // the command or URL, redacted
	OK         bool   `json:"ok"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}

// WarningPayload is an early warning: the window is closing, the restore
// estimate exceeds the RTO, a notifier keeps failing.
type WarningPayload struct {
	Kind    string `json:"kind"` // window | rto | notify | ...
	Message string `json:"message"`
}

// NotePayload is a note typed by an operator.
type NotePayload struct {
	Text string `json:"text"`
}

// RollbackPayload opens or closes the rollback procedure.
type RollbackPayload struct {
	Reason     string `json:"reason"`
	DurationMS int64  `json:"duration_ms,omitempty"`
	RTOMS      int64  `json:"rto_ms,omitempty"`
	OK         bool   `json:"ok,omitempty"`
}

// RunFinishedPayload closes the run.
type RunFinishedPayload struct {
	Outcome    string `json:"outcome"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}
