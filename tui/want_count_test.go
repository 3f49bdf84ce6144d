package tui

import (
	"fmt"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// TestCountedWantIsTheRenderedHeight: the steps and tail panes count their
// natural height without rendering (the layout asks it on every update);
// the count must be the number of lines they render at manyLines, for
// every kind of state, width, filter, cursor and focus.
func TestCountedWantIsTheRenderedHeight(t *testing.T) {
	many := copyState()
	for i := range 1200 {
		many.Steps = append(many.Steps, journal.StepState{ID: fmt.Sprintf("s%04d", i), Kind: "sql", Status: journal.StatusPending})
		many.Log = append(many.Log, journal.LogRecord{At: at(time.Duration(i) * time.Second), StepID: "copy", Stream: "info",
			Line: fmt.Sprintf("line %d of a long log that may wrap at a narrow width", i)})
	}
	rolling := copyState()
	rolling.RollingBack = true
	states := map[string]journal.State{
		"empty": {}, "base": baseState(), "manual": manualState(), "copy": copyState(),
		"trigger": triggerState(), "gate": gateState(), "rolling back": rolling, "1200 steps and lines": many,
	}
	c := &Common{Styles: DefaultStyles(DefaultTheme()), Keys: DefaultKeyMap(), Mode: ModeLive, Now: fixedNow}
	for name, s := range states {
		for _, w := range []int{20, 44, 80, 160} {
			steps := newSteps(c)
			steps.Update(stateMsg{State: s})
			if got, want := steps.Want(w), len(steps.lines(w, manyLines)); got != want {
				t.Errorf("%s, width %d: steps counts %d lines, renders %d", name, w, got, want)
			}
			for _, filter := range []string{"", "copy", "LINE 1", "nothing matches this"} {
				for _, off := range []int{0, 3, 5000} {
					for _, focused := range []bool{false, true} {
						tail := newTail(c)
						tail.Update(stateMsg{State: s})
						tail.filter, tail.off, tail.focused = filter, off, focused
						got := tail.Want(w)
						tail.off = off
						if want := len(tail.lines(w, manyLines)); got != want {
							t.Errorf("%s, width %d, filter %q, cursor %d, focused %v: tail counts %d lines, renders %d",
								name, w, filter, off, focused, got, want)
						}
					}
				}
			}
		}
	}
}
