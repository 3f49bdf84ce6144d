package notify

import (
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
)

func TestMatch(t *testing.T) {
	failed := ev(t, 1, journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusFailed})
	done := ev(t, 2, journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusDone})
	typed := func(typ journal.Type) journal.Event { return journal.Event{Type: typ, Payload: []byte("{}")} }
	cases := []struct {
		on   []string
		e    journal.Event
		want bool
	}{
		{[]string{"trigger"}, typed(journal.TriggerFired), true},
		{[]string{"trigger"}, typed(journal.Decision), false},
		{[]string{"decision"}, typed(journal.Decision), true},
		{[]string{"rollback"}, typed(journal.RollbackStarted), true},
		{[]string{"rollback"}, typed(journal.RollbackFinished), true},
		{[]string{"finished"}, typed(journal.RunFinished), true},
		{[]string{"finished"}, done, false},
		{[]string{"started"}, typed(journal.RunStarted), true},
		{[]string{"started"}, typed(journal.RunResumed), true},
		{[]string{"step"}, typed(journal.StepStarted), true},
		{[]string{"step"}, done, true},
		{[]string{"failed"}, failed, true},
		{[]string{"failed"}, done, false},
		{[]string{"failed"}, typed(journal.StepStarted), false},
		{[]string{"warning"}, typed(journal.Warning), true},
		{[]string{"note"}, typed(journal.Note), true},
		{[]string{"awaiting"}, typed(journal.Awaiting), true}, // a raw type matches itself
		{[]string{"step_skipped", "note"}, typed(journal.StepSkipped), true},
		{[]string{"all"}, typed(journal.RowsRejected), true},
		{[]string{"all"}, typed(journal.Progress), false},
		{[]string{"all"}, typed(journal.Log), false},
		{[]string{"all"}, typed(journal.Notified), false}, // would loop
		{[]string{"progress", "log", "notified"}, typed(journal.Progress), false},
		{[]string{"bogus"}, typed(journal.TriggerFired), false},
	}
	for _, c := range cases {
		if got := compile(c.on).match(c.e); got != c.want {
			t.Errorf("on %v, event %s: match = %v, want %v", c.on, c.e.Type, got, c.want)
		}
	}
}

func TestNamesAndCheck(t *testing.T) {
	var names []string
	for _, n := range Names() {
		names = append(names, n.Name)
		if n.Doc == "" || len(n.Types) == 0 {
			t.Errorf("%s: no doc or no types", n.Name)
		}
		if err := Check(n.Name); err != nil {
			t.Errorf("Check(%q) = %v", n.Name, err)
		}
	}
	want := "started step failed trigger decision rollback warning note finished all"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("Names() = %s, want %s", got, want)
	}
	Names()[0].Types[0] = "mangled" // a copy: the caller cannot change the table
	if Names()[0].Types[0] != journal.RunStarted {
		t.Error("Names() shares its table")
	}
	for _, ok := range []string{"awaiting", "run_finished", "step_skipped", "verify_result"} {
		if err := Check(ok); err != nil {
			t.Errorf("Check(%q) = %v", ok, err)
		}
	}
	for name, why := range map[string]string{"progress": "never notified", "log": "never notified", "notified": "never notified", "Trigger": "not an event name", "": "not an event name"} {
		if err := Check(name); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("Check(%q) = %v, want an error saying %q", name, err, why)
		}
	}
}
