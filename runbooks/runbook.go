// Package runbooks holds the plan of a cutover: the YAML runbook format,
// its loader (errors as file:line:col with a caret) and its validation.
package runbooks

import "time"

// Failure policies a step may declare with on_failure.
const (
	OnFailureStop     = "stop"
	OnFailureRollback = "rollback"
	OnFailureContinue = "continue"
)

// Runbook is a loaded, validated runbook. Text is the exact file content,
// which the journal embeds so a run replays without the original file.
type Runbook struct {
	Path          string
	Text          []byte
	Version       int
	Name          string
	MigrationID   string
	DecisionMaker string
	Objectives    Objectives
	Strategy      string // snapshot | cdc | blue-green
	Connections   []Connection
	Drill         []Connection // drill: the connections a drill uses instead of the live ones
	Triggers      Triggers
	Notify        []Notify
	Steps         []Step
	Rollback      []Step
	Approvals     []string // who must approve this runbook text before run starts (tightrope plan --approve)

	at map[string]position // where each top-level key and "triggers.<name>" is, set by Parse; for Lint and KeyError
}

// Objectives are the numbers agreed before the window opens.
type Objectives struct {
	RTO      time.Duration // maximum downtime
	RPO      time.Duration // maximum data loss
	Expected time.Duration // expected duration of the whole run
	Window   time.Duration // the maintenance window
	// StallTimeout is how long a database may stay silent (a connect, a
	// batch, a liveness probe) before the connection counts as stalled and
	// is retried, then reported; 0 means DefaultStallTimeout.
	StallTimeout time.Duration
}

// DefaultStallTimeout is the stall timeout of a runbook that sets none.
const DefaultStallTimeout = 30 * time.Second

// Stall is the stall timeout in force: objectives.stall_timeout, or
// DefaultStallTimeout.
func (o Objectives) Stall() time.Duration {
	if o.StallTimeout > 0 {
		return o.StallTimeout
	}
	return DefaultStallTimeout
}

// Connection names a database. Secrets never live in a runbook: DSNEnv
// names the environment variable holding the DSN; Path is for SQLite files
// (relative paths are resolved against the runbook's directory).
type Connection struct {
	Name   string
	Driver string // sqlite | postgres | mysql
	DSNEnv string
	Path   string
	// ReplicationDSNEnv (postgres, mysql) names the environment variable
	// holding how the other server of a replicate step reaches this one:
	// PostgreSQL, a conninfo (a role with REPLICATION); MariaDB,
	// user:pass@tcp(host:port)/ (an account with REPLICATION SLAVE, the
	// other server's MASTER_HOST/PORT/USER/PASSWORD). Empty: the DSN of
	// DSNEnv. It carries credentials: a secret like the DSN.
	ReplicationDSNEnv string
}

// SecretEnvs are the environment variables of the connection that hold
// secrets: its DSN's and its replication conninfo's.
func (c Connection) SecretEnvs() []string {
	var out []string
	for _, e := range []string{c.DSNEnv, c.ReplicationDSNEnv} {
		if e != "" {
			out = append(out, e)
		}
	}
	return out
}

// Triggers are the rollback triggers; a nil pointer means "not watched".
type Triggers struct {
	RejectRate     *float64       // fraction: "0.1%" → 0.001
	Overrun        *float64       // fraction of objectives.expected: "150%" → 1.5
	VerifyMismatch *int64         // rows allowed to differ after verify
	CDCLag         *time.Duration // maximum change-capture lag
	StepFailed     bool           // a failed step needs a decision
	Assessment     *bool          // an assess step's blocker needs a decision; nil means watched
	// CDCPositionLost and CDCSchemaChange are always watched: the runbook
	// may write them as true, never turn them off (nil means watched).
	CDCPositionLost *bool
	CDCSchemaChange *bool
}

// Notify is one entry of the communication plan.
type Notify struct {
	On   []string // event types: trigger, decision, rollback, finished, ...
	Exec string   // command receiving the event as JSON on stdin
	URL  string   // webhook receiving the event as a JSON POST
}

// Cast is a documented conversion rule for one column, opted into by the
// runbook: source values equal to a key of Map become the mapped value
// (nil means SQL NULL). Every applied cast is journaled.
type Cast struct {
	Table  string
	Column string
	Map    map[string]*string
}

// Step is one step of the runbook or of its rollback procedure. Fields not
// used by a step's kind are zero.
type Step struct {
	ID         string
	Title      string
	Kind       string
	Owner      string
	Expected   time.Duration
	OnFailure  string // stop (default) | rollback | continue
	Idempotent bool

	Instructions string   // manual
	Checklist    []string // manual
	Question     string   // gate

	Run  string // shell: command; sql: statements
	Undo string // shell
	On   string // sql: connection name

	From     string   // copy/verify: source connection (default "source")
	To       string   // copy/verify: target connection (default "target")
	Tables   []string // copy/verify: table names; nil with AllTables
	All      bool     // copy/verify: "tables: all"
	Batch    int      // copy: rows per batch (0: sized and resized by the engine)
	Parallel int      // copy: workers (0: chosen by the engine from the cores and key ranges)
	Create   bool     // copy: create missing target tables
	Key      []string // copy, verify: unique key for a table without a primary key
	Casts    []Cast   // copy: documented cast rules

	Of       string // snapshot: connection name
	Snapshot string // restore: id of the snapshot step
	Method   string // snapshot: native method, engine default when empty

	Duration time.Duration // wait

	// CopyRows (replicate, "copy"): the subscription copies the tables'
	// rows into an empty to first; false: to already holds them.
	CopyRows bool
	// Replication (switch): the id of the replicate step whose
	// replication the switch turns around (blue-green).
	Replication string
	Lag         time.Duration // cdc-catchup: caught up once the lag is under it (default 5s)
	Timeout     time.Duration // cdc-catchup: fail when not caught up within it (default: expected, else none)

	Sample string // assess: rows or a percentage of each table to read ("" reads every row)
	// MeasureWrite (assess): measure the target's write rate on a scratch
	// table created and dropped in the target, as assess --measure-write.
	MeasureWrite bool

	Line, Col int // position of the step in the file, for messages
}

// Connection returns the named connection and whether it exists.
func (r *Runbook) Connection(name string) (Connection, bool) {
	for _, c := range r.Connections {
		if c.Name == name {
			return c, true
		}
	}
	return Connection{}, false
}

// StepByID finds a step among the steps and the rollback steps.
func (r *Runbook) StepByID(id string) (Step, bool) {
	for _, list := range [][]Step{r.Steps, r.Rollback} {
		for _, s := range list {
			if s.ID == id {
				return s, true
			}
		}
	}
	return Step{}, false
}

// DisplayTitle is the step's title, or its id when it has none.
func (s Step) DisplayTitle() string {
	if s.Title != "" {
		return s.Title
	}
	return s.ID
}
