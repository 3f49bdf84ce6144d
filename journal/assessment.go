package journal

import "time"

// ModeAssess is the mode of a journal written by `tightrope assess`: one
// Assessed event, no step, nothing moved.
const ModeAssess = "assess"

// Assessed records an assessment's result: by `tightrope assess` in a
// journal of its own, or by an assess step inside a run.
const Assessed Type = "assessment" // AssessmentPayload

// AssessmentPayload is a whole assessment: what the copies would do to
// every table, the snapshots' sizes, and the graded findings.
type AssessmentPayload struct {
	Sample    string             `json:"sample,omitempty"` // the sample as given; empty: every row read
	Tables    []AssessTable      `json:"tables,omitempty"`
	Snapshots []AssessSnapshot   `json:"snapshots,omitempty"`
	Steps     []AssessPrediction `json:"steps,omitempty"`
	Findings  []AssessFinding    `json:"findings,omitempty"`
	Counts    map[string]int     `json:"counts,omitempty"` // findings by grade
	Elapsed   time.Duration      `json:"elapsed_ns"`
}

// Blocked reports whether any finding is a blocker.
func (p AssessmentPayload) Blocked() bool { return p.Counts[GradeBlocker] > 0 }

// Grades of an assessment finding.
const (
	GradeBlocker = "blocker" // the copy cannot run as planned, or a trigger would fire
	GradeWarning = "warning" // it will run, but not as the runbook hopes
	GradeNote    = "note"    // worth knowing
)

// AssessFinding is one graded conclusion of an assessment.
type AssessFinding struct {
	Grade   string `json:"grade"`
	Step    string `json:"step,omitempty"`
	Table   string `json:"table,omitempty"`
	Column  string `json:"column,omitempty"`
	Trigger string `json:"trigger,omitempty"` // the runbook trigger the prediction crosses
	Message string `json:"message"`
}

// AssessPrediction is a copy step's predicted duration: the longer of
// reading its rows (at the measured read rate) and writing them (at the
// write rate, when one is known), since the copy reads and writes at once.
type AssessPrediction struct {
	Step      string        `json:"step"`
	Rows      int64         `json:"rows"`
	Predicted time.Duration `json:"predicted_ns"`
	ReadTime  time.Duration `json:"read_time_ns,omitempty"`  // the rows over the read rate
	WriteTime time.Duration `json:"write_time_ns,omitempty"` // the rows over the write rate; zero when unknown
	// WriteKnown: every table of the step has a write rate, so Predicted
	// is not merely the read time (a floor).
	WriteKnown bool `json:"write_known,omitempty"`
}

// AssessTable is the assessment of one table of one copy step.
type AssessTable struct {
	Step  string   `json:"step"`
	Table string   `json:"table"`
	Key   []string `json:"key,omitempty"`
	Rows  int64    `json:"rows"` // rows in the source
	Read  int64    `json:"read"` // rows read through the converters
	// Estimate: a sample was read and the counts are scaled to the whole
	// table; Sampling says how the sample was taken.
	Estimate bool   `json:"estimate,omitempty"`
	Sampling string `json:"sampling,omitempty"`
	Bytes    int64  `json:"bytes"` // source bytes (scaled from the sample when sampled)
	// Rejected is the rows the copy would reject (of Rows; scaled when
	// Estimate), RejectedRead those found among the rows read.
	Rejected     int64          `json:"rejected"`
	RejectedRead int64          `json:"rejected_read"`
	Rejects      []AssessReject `json:"rejects,omitempty"`
	Mapping      []AssessColumn `json:"mapping,omitempty"`
	// ReadTime is how long reading Read rows took; ReadRate is rows a second.
	ReadTime time.Duration `json:"read_ns"`
	ReadRate float64       `json:"read_rate"`
	// WriteRate is rows a second written into the target (zero: unknown);
	// WriteFrom says where it comes from: WriteMeasured (a scratch table
	// in the target, assess --measure-write) or the journal of the last
	// recorded copy of the table.
	WriteRate float64 `json:"write_rate,omitempty"`
	WriteFrom string  `json:"write_from,omitempty"`
	// The target as the assessment found it.
	TargetMissing bool     `json:"target_missing,omitempty"` // the copy creates it (create: true) or fails
	TargetRows    int64    `json:"target_rows,omitempty"`
	TargetExtra   []string `json:"target_extra,omitempty"` // target columns with no source column
}

// RejectRate is the share of the rows read that the copy would reject.
func (t AssessTable) RejectRate() float64 {
	if t.Read == 0 {
		return 0
	}
	return float64(t.RejectedRead) / float64(t.Read)
}

// WriteMeasured is AssessTable.WriteFrom for a write rate measured on a
// scratch table in the target.
const WriteMeasured = "measured"

// AssessReject is the predicted rejects of one column for one reason.
type AssessReject struct {
	Column    string          `json:"column"`
	Reason    string          `json:"reason"`
	Found     int64           `json:"found"`     // among the rows read
	Predicted int64           `json:"predicted"` // over the whole table (Found unless sampled)
	Examples  []AssessExample `json:"examples,omitempty"`
}

// AssessExample is one rejected row: its key, the value that did not fit
// and why.
type AssessExample struct {
	Key    map[string]any `json:"key"`
	Value  any            `json:"value"`
	Detail string         `json:"detail"`
}

// AssessColumn is how one source column lands in the target.
type AssessColumn struct {
	Column string `json:"column"`
	Source string `json:"source"` // the source declaration
	Target string `json:"target"` // the target declaration (as it is, or as create: true would make it)
	Note   string `json:"note,omitempty"`
}

// AssessSnapshot is the assessment of one snapshot step.
type AssessSnapshot struct {
	Step string `json:"step"`
	Of   string `json:"of"`
	// Size is the data the snapshot captures, in bytes: the artefact's
	// predicted size (a dump is usually smaller).
	Size int64 `json:"size"`
	// InServer: the snapshot stays on the database server (no file).
	// Otherwise Dir is where the artefact goes and Free the free disk
	// there (FreeKnown false: not measurable).
	InServer  bool   `json:"in_server,omitempty"`
	Dir       string `json:"dir,omitempty"`
	Free      int64  `json:"free,omitempty"`
	FreeKnown bool   `json:"free_known,omitempty"`
	// RTO is the runbook's recovery time objective the restore is
	// weighed against (zero: none set).
	RTO time.Duration `json:"rto_ns,omitempty"`
	// Rows is the rows the connection holds, Restore the predicted restore
	// time at the rate of the last recorded restore (journal RestoreFrom);
	// zero when none was recorded.
	Rows        int64         `json:"rows,omitempty"`
	Restore     time.Duration `json:"restore_ns,omitempty"`
	RestoreFrom string        `json:"restore_from,omitempty"`
}
