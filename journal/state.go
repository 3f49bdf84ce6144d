package journal

import (
	"sort"
	"time"

	"github.com/tightrope/tightrope/runbooks"
)

// LogTail is how many log lines State keeps for the console.
const LogTail = 200

// State is the fold of a run's events: everything the console, replay and
// report show. It is a value computed only by Apply; the same events always
// give the same State.
type State struct {
	Runbook     *runbooks.Runbook // parsed from the embedded runbook text
	RunbookSHA  string
	RunID       string // hash of the first event: names this run
	Operator    string
	Mode        string
	Fault       string
	ToolVersion string
	StartedAt   time.Time
	LastAt      time.Time // time of the last event
	LastSeq     int64

	Steps   []StepState // the runbook steps, then the rollback steps
	Current string      // id of the step running or waiting, if any
	Tables  []TableState
	Pending *Pending // non-nil while the run waits for a person
	// Unanswered is the trigger question that was pending when the last
	// process stopped: a resumed run asks it again before anything else.
	Unanswered *Pending
	Triggers   []TriggerPayload
	Decisions  []DecisionRecord
	Snapshots  []SnapshotPayload
	Restores   []RestorePayload
	Verifies   []VerifyPayload
	Casts      []CastPayload
	// Assessment is the latest assessment journaled (by an assess step,
	// or by tightrope assess in a journal of its own), AssessedSeq its
	// event's seq and AssessedStep the step that made it.
	Assessment   *AssessmentPayload
	AssessedSeq  int64
	AssessedStep string
	Notes        []NoteRecord
	Log          []LogRecord
	// CDC is every change stream of the run, in the order first seen
	// (cdc_state.go).
	CDC []CDCStream

	Paused        bool // held at the next safe point until unpaused; survives a resume
	PausedBy      string
	Limits        []LimitRecord // thresholds raised by "continue", latest last (see Limit)
	Notifications []NotifiedPayload
	Warnings      []WarningPayload
	// Freezes: every freeze of the run, in force or undone (freeze_fold.go).
	Freezes []FreezeRecord
	// Switches: every switch and switch-back that ended, with its timings.
	Switches []SwitchRecord

	// Problems lists events whose payload did not decode ("seq 42: trigger
	// payload: ..."): left out of the fold, shown by the readers.
	Problems []string

	RollingBack bool
	RollbackAt  time.Time
	Rollback    *RollbackPayload // set when the rollback finished
	Outcome     string           // empty while running
	OutcomeErr  string
	FinishedAt  time.Time
}

// StepState is one step's status.
type StepState struct {
	ID         string
	Title      string
	Kind       string
	Rollback   bool // belongs to the rollback procedure
	Status     string
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time
	Expected   time.Duration
	Checked    []bool // manual: checklist items ticked
	Attempts   int

	// SkipRequest is the reason the decision-maker gave for skipping this
	// step before it started (SkipRequestedBy asked); the walk honours it.
	SkipRequest     string
	SkipRequestedBy string
	// Interrupted: the step was running or waiting when a process stopped
	// (set by run_resumed, cleared when it starts again). A step with side
	// effects is not run again without an answer to the rerun question,
	// which Rerun holds (rerun | skip) once given.
	Interrupted bool
	Rerun       string
	// Waived: the step failed and the decision-maker chose to go on without
	// it (step_failed → continue); the walk passes it, also after a resume.
	Waived bool
}

// TableState is one table's copy counters and rejects.
type TableState struct {
	ProgressPayload
	Done      bool
	Tuning    CopyTunedPayload // batch size and parallelism in force (copy_tuned)
	TunedStep string           // the step whose copy_tuned Tuning is
	Resizes   int              // batch resizes made while the copy ran
	ByReason  map[string]int64
	StartedAt time.Time
	UpdatedAt time.Time
}

// Pending is what the run is waiting for.
type Pending struct {
	AwaitingPayload
	StepID  string
	Trigger *TriggerPayload // the trigger that raised it, if any
	Since   time.Time
}

// DecisionRecord is a decision with who took it and when.
type DecisionRecord struct {
	DecisionPayload
	Actor  string
	StepID string
	At     time.Time
	Seq    int64
}

// NoteRecord is an operator note on the timeline.
type NoteRecord struct {
	Text  string
	Actor string
	At    time.Time
}

// LogRecord is one line of the log pane.
type LogRecord struct {
	At     time.Time
	StepID string
	Stream string
	Line   string
}

// Fold applies events in order to a zero State. FoldFile folds a journal
// file without holding its events.
func Fold(events []Event) State {
	var s State
	for _, e := range events {
		s.Apply(e)
	}
	return s
}

// Apply folds one event into the state. The payload is decoded once
// (Decode); an event whose payload does not decode is recorded in
// Problems and otherwise left out, never half-applied.
func (s *State) Apply(e Event) {
	pl, err := Decode(e)
	s.ApplyDecoded(e, pl, err)
}

// ApplyDecoded is Apply for an event whose payload was already decoded:
// pl and err are what Decode(e) returned (ScanDecoded hands them over), so
// a reader that needs the payload too decodes it once.
func (s *State) ApplyDecoded(e Event, pl any, err error) {
	s.LastSeq, s.LastAt = e.Seq, e.At
	if err != nil {
		s.Problems = append(s.Problems, err.Error())
		return
	}
	switch e.Type {
	case RunStarted:
		p := pl.(RunStartedPayload)
		s.RunbookSHA, s.Operator, s.Mode, s.Fault, s.ToolVersion = p.RunbookSHA256, p.Operator, p.Mode, p.Fault, p.ToolVersion
		s.StartedAt, s.RunID = e.At, e.Hash
		if rb, err := runbooks.Parse(p.RunbookPath, []byte(p.RunbookText)); err == nil {
			s.Runbook = rb
			s.Steps = nil
			for _, st := range rb.Steps {
				s.Steps = append(s.Steps, newStepState(st, false))
			}
			for _, st := range rb.Rollback {
				s.Steps = append(s.Steps, newStepState(st, true))
			}
		}
	case RunResumed:
		if s.Pending != nil && s.Pending.Kind == AwaitTrigger {
			s.Unanswered = s.Pending
		}
		s.Pending = nil
		for i := range s.Steps {
			st := &s.Steps[i]
			switch {
			case st.Rollback:
			case st.Status == StatusRunning, st.Status == StatusWaiting, st.Status == StatusFailed && !st.Waived:
				st.Interrupted = true
			}
		}
		if p := pl.(RunResumedPayload); p.Reopened { // a failed run retried: it runs again
			s.Outcome, s.OutcomeErr, s.FinishedAt = "", "", time.Time{}
			if p.RetryStep != "" {
				s.step(p.RetryStep, "", "", false).Rerun = ChoiceRerun
			}
		}
	case StepStarted:
		p := pl.(StepStartedPayload)
		st := s.step(e.StepID, p.Kind, p.Title, p.Rollback)
		st.Status, st.Error, st.StartedAt, st.FinishedAt = StatusRunning, "", e.At, time.Time{}
		st.Interrupted, st.Rerun, st.Waived = false, "", false
		st.Attempts++
		s.Current = e.StepID
	case StepFinished:
		p := pl.(StepFinishedPayload)
		st := s.step(e.StepID, "", "", false)
		st.Status, st.Error, st.FinishedAt = p.Status, p.Error, e.At
		if s.Current == e.StepID {
			s.Current = ""
		}
		if s.Pending != nil && s.Pending.StepID == e.StepID && s.Pending.Kind != AwaitTrigger {
			s.Pending = nil
		}
	case ChecklistChecked:
		p := pl.(ChecklistPayload)
		st := s.step(e.StepID, "", "", false)
		if p.Index >= 0 && p.Index < len(st.Checked) {
			st.Checked[p.Index] = true
		}
	case Log:
		p := pl.(LogPayload)
		s.appendLog(LogRecord{At: e.At, StepID: e.StepID, Stream: p.Stream, Line: p.Line})
	case Progress, TableCopied:
		p := pl.(ProgressPayload)
		t := s.table(p.Table, e.At)
		t.ProgressPayload, t.UpdatedAt = p, e.At
		if e.Type == TableCopied {
			t.Done = true
		}
	case RowsRejected:
		p := pl.(RejectsPayload)
		t := s.table(p.Table, e.At)
		for reason, n := range p.ByReason {
			t.ByReason[reason] += n
		}
	case CopyTuned:
		s.applyTuned(e, pl.(CopyTunedPayload))
	case CastApplied:
		p := pl.(CastPayload)
		s.Casts = append(s.Casts, p)
	case VerifyResult:
		p := pl.(VerifyPayload)
		s.Verifies = append(s.Verifies, p)
	case SnapshotTaken:
		p := pl.(SnapshotPayload)
		s.Snapshots = append(s.Snapshots, p)
	case RestoreFinished:
		p := pl.(RestorePayload)
		s.Restores = append(s.Restores, p)
	case Assessed:
		p := pl.(AssessmentPayload)
		s.Assessment, s.AssessedSeq, s.AssessedStep = &p, e.Seq, e.StepID
	case TriggerFired:
		p := pl.(TriggerPayload)
		s.Triggers = append(s.Triggers, p)
	case Awaiting:
		p := pl.(AwaitingPayload)
		pd := &Pending{AwaitingPayload: p, StepID: e.StepID, Since: e.At}
		if p.Kind == AwaitTrigger && len(s.Triggers) > 0 {
			t := s.Triggers[len(s.Triggers)-1]
			pd.Trigger = &t
		}
		s.Pending = pd
		if e.StepID != "" {
			s.step(e.StepID, "", "", false).Status = StatusWaiting
		}
	case Decision:
		p := pl.(DecisionPayload)
		s.Decisions = append(s.Decisions, DecisionRecord{DecisionPayload: p, Actor: e.Actor, StepID: e.StepID, At: e.At, Seq: e.Seq})
		s.Pending, s.Unanswered = nil, nil
		s.setLimit(e, p)
		if e.StepID != "" {
			switch st := s.step(e.StepID, "", "", false); {
			case p.Kind == AwaitRerun:
				st.Rerun = p.Choice
			case p.Kind == AwaitTrigger && p.Trigger == runbooks.TriggerStepFailed:
				// The failed step stays failed: retried (asked for, so no
				// rerun question) or waived (the walk goes on without it).
				st.Status, st.Rerun, st.Waived = StatusFailed, "", p.Choice == ChoiceContinue
				if p.Choice == ChoiceRetry {
					st.Rerun = ChoiceRerun
				}
			}
		}
		if e.StepID != "" {
			if st := s.step(e.StepID, "", "", false); st.Status == StatusWaiting {
				st.Status = StatusRunning
			}
		}
	case Note:
		p := pl.(NotePayload)
		s.Notes = append(s.Notes, NoteRecord{Text: p.Text, Actor: e.Actor, At: e.At})
	case RollbackStarted:
		s.RollingBack, s.RollbackAt, s.Pending = true, e.At, nil
	case RollbackFinished:
		p := pl.(RollbackPayload)
		s.Rollback = &p
	case Paused:
		s.Paused, s.PausedBy = true, e.Actor
	case Unpaused:
		s.Paused, s.PausedBy = false, ""
	case SkipRequested:
		p := pl.(ControlPayload)
		st := s.step(e.StepID, "", "", false)
		st.SkipRequest, st.SkipRequestedBy = p.Reason, e.Actor
	case StepSkipped:
		st := s.step(e.StepID, "", "", false)
		st.Status, st.SkipRequest, st.SkipRequestedBy, st.Interrupted = StatusSkipped, "", "", false
		if s.Pending != nil && s.Pending.StepID == e.StepID {
			s.Pending = nil
		}
	case CDCStreamStarted, CDCChanges, CDCApplied, CDCLagSample, CDCCopyLive:
		s.applyCDC(e, pl)
	case Notified:
		p := pl.(NotifiedPayload)
		s.Notifications = append(s.Notifications, p)
	case Warning:
		p := pl.(WarningPayload)
		s.Warnings = append(s.Warnings, p)
	case Freeze, WritesFrozen, Unfreeze, Switched:
		s.applyFreeze(e, pl)
	case RunFinished:
		p := pl.(RunFinishedPayload)
		s.Outcome, s.OutcomeErr, s.FinishedAt, s.Pending, s.Current = p.Outcome, p.Error, e.At, nil, ""
	}
}

func newStepState(st runbooks.Step, rollback bool) StepState {
	return StepState{
		ID: st.ID, Title: st.DisplayTitle(), Kind: st.Kind, Rollback: rollback,
		Status: StatusPending, Expected: st.Expected, Checked: make([]bool, len(st.Checklist)),
	}
}

// step returns the state of a step, adding it when the runbook did not
// list it (so a journal with an unparsable runbook still folds).
func (s *State) step(id, kind, title string, rollback bool) *StepState {
	for i := range s.Steps {
		if s.Steps[i].ID == id && (kind == "" || s.Steps[i].Rollback == rollback) {
			return &s.Steps[i]
		}
	}
	s.Steps = append(s.Steps, StepState{ID: id, Title: title, Kind: kind, Rollback: rollback, Status: StatusPending})
	return &s.Steps[len(s.Steps)-1]
}

func (s *State) table(name string, at time.Time) *TableState {
	for i := range s.Tables {
		if s.Tables[i].Table == name {
			return &s.Tables[i]
		}
	}
	s.Tables = append(s.Tables, TableState{ProgressPayload: ProgressPayload{Table: name}, ByReason: map[string]int64{}, StartedAt: at})
	return &s.Tables[len(s.Tables)-1]
}

func (s *State) appendLog(r LogRecord) {
	s.Log = append(s.Log, r)
	if n := len(s.Log); n > LogTail {
		s.Log = append([]LogRecord(nil), s.Log[n-LogTail:]...)
	}
}

// Clone returns a deep copy safe to hand to another goroutine.
func (s State) Clone() State {
	c := s
	c.Steps = append([]StepState(nil), s.Steps...)
	for i := range c.Steps {
		c.Steps[i].Checked = append([]bool(nil), s.Steps[i].Checked...)
	}
	c.Tables = append([]TableState(nil), s.Tables...)
	for i := range c.Tables {
		m := make(map[string]int64, len(s.Tables[i].ByReason))
		for k, v := range s.Tables[i].ByReason {
			m[k] = v
		}
		c.Tables[i].ByReason = m
	}
	if s.Pending != nil {
		p := *s.Pending
		c.Pending = &p
	}
	if s.Unanswered != nil {
		p := *s.Unanswered
		c.Unanswered = &p
	}
	if s.Rollback != nil {
		r := *s.Rollback
		c.Rollback = &r
	}
	c.Triggers = append([]TriggerPayload(nil), s.Triggers...)
	c.Limits = append([]LimitRecord(nil), s.Limits...)
	c.Decisions = append([]DecisionRecord(nil), s.Decisions...)
	c.Snapshots = append([]SnapshotPayload(nil), s.Snapshots...)
	c.Restores = append([]RestorePayload(nil), s.Restores...)
	c.Verifies = append([]VerifyPayload(nil), s.Verifies...)
	c.Casts = append([]CastPayload(nil), s.Casts...)
	// Assessment is shared: Apply replaces it with a new one, never
	// changes it in place.
	c.Notes = append([]NoteRecord(nil), s.Notes...)
	c.Notifications = append([]NotifiedPayload(nil), s.Notifications...)
	c.Warnings = append([]WarningPayload(nil), s.Warnings...)
	c.Switches = append([]SwitchRecord(nil), s.Switches...)
	c.Freezes = append([]FreezeRecord(nil), s.Freezes...)
	for i := range c.Freezes {
		c.Freezes[i].Tables = append([]string(nil), s.Freezes[i].Tables...)
		c.Freezes[i].Revoked = append([]Grant(nil), s.Freezes[i].Revoked...)
		c.Freezes[i].Executes = append([]Execute(nil), s.Freezes[i].Executes...)
		c.Freezes[i].Members = append([]Membership(nil), s.Freezes[i].Members...)
	}
	c.Log = append([]LogRecord(nil), s.Log...)
	c.CDC = cloneCDC(s.CDC)
	c.Problems = append([]string(nil), s.Problems...)
	return c
}

// Totals sums the copy counters over all tables.
func (s State) Totals() (read, written, rejected int64) {
	for _, t := range s.Tables {
		read += t.Read
		written += t.Written
		rejected += t.Rejected
	}
	return
}

// ReasonCount is a reject reason with its count, for display.
type ReasonCount struct {
	Table  string
	Reason string
	Count  int64
}

// RejectsByReason lists rejects per table and reason, largest first.
func (s State) RejectsByReason() []ReasonCount {
	var out []ReasonCount
	for _, t := range s.Tables {
		for r, n := range t.ByReason {
			out = append(out, ReasonCount{Table: t.Table, Reason: r, Count: n})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		if out[i].Table != out[j].Table {
			return out[i].Table < out[j].Table
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// Elapsed is the time from the start to the end (or to the last event).
func (s State) Elapsed() time.Duration {
	end := s.LastAt
	if !s.FinishedAt.IsZero() {
		end = s.FinishedAt
	}
	if s.StartedAt.IsZero() || end.Before(s.StartedAt) {
		return 0
	}
	return end.Sub(s.StartedAt)
}
