package engine

import "github.com/tightrope/tightrope/journal"

// CommandKind names an operator command.
type CommandKind string

// Operator commands. They only flip state in the conductor, which acts on
// them at its next safe point and journals them with the actor.
const (
	CmdCheck   CommandKind = "check"   // tick checklist item Index of StepID
	CmdConfirm CommandKind = "confirm" // a manual step is done
	CmdDecide  CommandKind = "decide"  // answer a gate or trigger: Choice (+ Text as justification)
	CmdNote    CommandKind = "note"    // add Text to the timeline
	CmdAbort   CommandKind = "abort"   // stop the run (journaled, no rollback); Text: reason
	CmdPause   CommandKind = "pause"   // hold at the next safe point (between batches and steps)
	CmdResume  CommandKind = "resume"  // release a pause
	CmdSkip    CommandKind = "skip"    // skip StepID (pending or failed), Text: reason (required)
	CmdRetry   CommandKind = "retry"   // run the failed StepID again
)

// Command is one operator action sent from the console.
type Command struct {
	Kind   CommandKind
	Actor  string // who pressed the key (--as)
	StepID string
	Index  int
	Choice string // journal.ChoiceGo, ChoiceNoGo, ChoiceContinue, ChoiceRollback, ChoiceConfirm, ChoiceRetry, ChoiceRerun, ChoiceSkip
	Text   string // note text, justification or reason
	// Limit, with ChoiceContinue on a trigger, is the new threshold the
	// decision-maker accepts, in the trigger's own unit (a fraction for
	// reject_rate and overrun, rows for verify_mismatch, milliseconds for
	// cdc_lag). Zero: the trigger is acknowledged at its observed value and
	// raises again if that value doubles.
	Limit float64
}

// Session is a run as the console sees it: a stream of state snapshots and
// a way to send commands. A live run, a followed journal and a replay all
// implement it.
type Session interface {
	// Updates delivers state snapshots (throttled); it is closed when the
	// run ends and the final state has been delivered.
	Updates() <-chan journal.State
	// Send delivers a command; it never blocks the caller for long. Read-only
	// sessions (replay, watch) ignore commands.
	Send(Command)
}
