package tui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
)

// TestPlainSaysTheGapAndTheEnd: a plain replay of a run that stopped and
// was resumed says how long it was not running, and ends on its end state
// in capitals — never as if it were still live.
func TestPlainSaysTheGapAndTheEnd(t *testing.T) {
	var out bytes.Buffer
	p := NewPlain(&out)
	var s journal.State
	for _, e := range gapEvents() {
		s.Apply(e)
		p.Event(e, &s)
	}
	p.Summary(s)
	for _, want := range []string{
		"[03:10.0] run resumed by alice from event 5 after 3m00s not running\n",
		"[04:00.0] run finished: FINISHED in 4m00s\n",
		"outcome: FINISHED in 4m00s\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
	for outcome, word := range map[string]string{journal.OutcomeRolledBack: "ROLLED BACK", journal.OutcomeFailed: "FAILED",
		journal.OutcomeAborted: "ABORTED", journal.OutcomeFinished: "FINISHED"} {
		if got := endWord(outcome); got != word {
			t.Errorf("%s: %q, want %q", outcome, got, word)
		}
	}
	var unfinished bytes.Buffer
	NewPlain(&unfinished).Summary(journal.Fold(gapEvents()[:5]))
	if !strings.Contains(unfinished.String(), "outcome: STOPPED, unfinished after") {
		t.Errorf("unfinished: %s", unfinished.String())
	}
}
