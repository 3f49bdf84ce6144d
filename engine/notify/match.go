package notify

import (
	"fmt"
	"strings"

	"github.com/tightrope/tightrope/journal"
)

// Name is a name a notify entry's `on` list may use, with the journal event
// types it stands for. Besides these names, the name of a journal event
// type matches that type, except progress, log and notified, which are
// never notified.
type Name struct {
	Name  string         // as written in the runbook
	Types []journal.Type // the event types it matches
	Doc   string         // what it matches, in words
}

// never lists the event types that are never notified, whatever the
// runbook says: progress and log come by the second, and a notified event
// would notify about its own notification.
var never = map[journal.Type]string{
	journal.Progress: "progress is sampled every second; notify on step or finished instead",
	journal.Log:      "log lines are too many to notify one by one",
	journal.Notified: "a notification about a notification would never end",
}

// notifiable is the journal vocabulary, less never: what "all" matches and
// the raw type names an entry may use.
var notifiable = []journal.Type{
	journal.RunStarted, journal.RunResumed, journal.StepStarted, journal.StepFinished,
	journal.ChecklistChecked, journal.RowsRejected, journal.CastApplied, journal.TableCopied,
	journal.VerifyResult, journal.SnapshotTaken, journal.RestoreFinished, journal.TriggerFired,
	journal.Awaiting, journal.Decision, journal.Refused, journal.Note, journal.RollbackStarted,
	journal.RollbackFinished, journal.RunFinished, journal.Paused, journal.Unpaused,
	journal.StepSkipped, journal.Aborted, journal.Warning,
	journal.Freeze, journal.WritesFrozen, journal.Unfreeze, journal.SequencesSynced, journal.SwitchCheck, journal.Switched,
}

// nameFailed is the one name that looks into the payload.
const nameFailed = "failed"

var friendly = []Name{
	{"started", []journal.Type{journal.RunStarted, journal.RunResumed}, "the run starts or resumes"},
	{"step", []journal.Type{journal.StepStarted, journal.StepFinished}, "a step starts or finishes"},
	{nameFailed, []journal.Type{journal.StepFinished}, "a step finishes with status failed"},
	{"trigger", []journal.Type{journal.TriggerFired}, "a rollback trigger fires"},
	{"decision", []journal.Type{journal.Decision}, "someone decides (go, no-go, continue, rollback, ...)"},
	{"rollback", []journal.Type{journal.RollbackStarted, journal.RollbackFinished}, "the rollback procedure starts or ends"},
	{"warning", []journal.Type{journal.Warning}, "an early warning (window closing, restore slower than the RTO, ...)"},
	{"note", []journal.Type{journal.Note}, "an operator types a note"},
	{"finished", []journal.Type{journal.RunFinished}, "the run ends, whatever the outcome"},
	{"all", notifiable, "every event except progress, log and notified"},
}

// Names lists the names a notify entry's `on` list may use besides raw
// journal event types, with what each matches, in a stable order.
func Names() []Name {
	out := make([]Name, len(friendly))
	for i, n := range friendly {
		n.Types = append([]journal.Type(nil), n.Types...)
		out[i] = n
	}
	return out
}

// Check reports whether name means something in a notify entry's `on`
// list: a name of Names, or a journal event type that may be notified. The
// error says why not, for the linter.
func Check(name string) error {
	for _, n := range friendly {
		if n.Name == name {
			return nil
		}
	}
	if why, ok := never[journal.Type(name)]; ok {
		return fmt.Errorf("%q is never notified: %s", name, why)
	}
	for _, t := range notifiable {
		if string(t) == name {
			return nil
		}
	}
	names := make([]string, len(friendly))
	for i, n := range friendly {
		names[i] = n.Name
	}
	return fmt.Errorf("%q is not an event name (want one of %s, or a journal event type)", name, strings.Join(names, ", "))
}

// matcher decides whether an event concerns one notify entry.
type matcher struct {
	types  map[journal.Type]bool
	failed bool // step_finished with status failed
}

// compile turns an `on` list into a matcher; names Check rejects match
// nothing.
func compile(on []string) matcher {
	m := matcher{types: map[journal.Type]bool{}}
	for _, name := range on {
		if Check(name) != nil {
			continue
		}
		if name == nameFailed {
			m.failed = true
			continue
		}
		found := false
		for _, n := range friendly {
			if n.Name == name {
				for _, t := range n.Types {
					m.types[t] = true
				}
				found = true
			}
		}
		if !found {
			m.types[journal.Type(name)] = true
		}
	}
	return m
}

// empty reports whether the matcher can match nothing.
func (m matcher) empty() bool { return len(m.types) == 0 && !m.failed }

// match reports whether e is to be notified.
func (m matcher) match(e journal.Event) bool {
	if _, ok := never[e.Type]; ok {
		return false
	}
	if m.types[e.Type] {
		return true
	}
	if m.failed && e.Type == journal.StepFinished {
		p, _ := journal.Decode(e)
		fin, ok := p.(journal.StepFinishedPayload)
		return ok && fin.Status == journal.StatusFailed
	}
	return false
}

// Matches reports whether a notify entry's `on` list matches event e, as
// the dispatcher decides it (dry runs and plans list the notifications).
func Matches(on []string, e journal.Event) bool { return compile(on).match(e) }
