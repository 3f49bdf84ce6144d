package tui

import (
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

// answer parses line against s's pending question and applies the
// permission policy, as the plain asker does.
func answer(s journal.State, actor, line string) ([]engine.Command, string) {
	cmds, err := parseAnswer(&s, s.Pending, actor, line)
	if err != nil {
		return nil, err.Error()
	}
	for _, c := range cmds {
		if why := engine.Permit(&s, c); why != "" {
			return nil, why
		}
	}
	return cmds, ""
}

// TestPlainAnswersFollowTheConsolesRules: every answer typed in plain mode
// is held to the rules of the console and the engine's policy.
func TestPlainAnswersFollowTheConsolesRules(t *testing.T) {
	failed := triggerState()
	failed.Pending.Trigger = &journal.TriggerPayload{Trigger: "step_failed", Observed: 1, Message: "step copy failed"}
	failed.Pending.Choices = []string{"continue", "rollback", "retry"}
	ticked := manualState()
	ticked.Steps[0].Checked = []bool{true, true}
	cases := []struct {
		name, actor, line string
		s                 journal.State
		refused           string // "" when accepted
		want              engine.Command
	}{
		{"confirm before ticking", "bob", "confirm", manualState(), "checklist item 1 is not ticked", engine.Command{}},
		{"tick past the list", "bob", "tick 3", manualState(), "step freeze has no checklist item 3", engine.Command{}},
		{"tick one", "bob", "tick 2", manualState(), "", engine.Command{Kind: engine.CmdCheck, Actor: "bob", StepID: "freeze", Index: 1}},
		{"confirm once ticked", "bob", "confirm", ticked, "", engine.Command{Kind: engine.CmdConfirm, Actor: "bob", StepID: "freeze"}},
		{"gate by someone else", "bob", "go", gateState(), "Only alice may decide — you are bob", engine.Command{}},
		{"gate no-go", "alice", "no-go", gateState(), "", engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "go", Choice: "no-go"}},
		{"gate yes", "alice", "yes", gateState(), "“yes” is not an answer to this question", engine.Command{}},
		{"short justification", "alice", "continue it is ok", triggerState(), "a justification of at least 10 characters is required (8 typed)", engine.Command{}},
		{"limit below observed", "alice", "continue --limit 0.1% the rows are known junk", triggerState(), "is below the observed", engine.Command{}},
		{"limit and justification", "alice", "continue --limit 0.5% the rows are known junk", triggerState(), "",
			engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "copy", Choice: "continue", Text: "the rows are known junk", Limit: 0.005}},
		{"continue by someone else", "bob", "continue the rows are known junk", triggerState(), "Only alice may decide — you are bob", engine.Command{}},
		{"rollback without the id", "alice", "rollback", triggerState(), "type rollback MIG-2026-042", engine.Command{}},
		{"rollback with the id", "alice", "rollback MIG-2026-042", triggerState(), "",
			engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "copy", Choice: "rollback"}},
		{"retry is only for a failed step", "alice", "retry", triggerState(), "not an answer to this trigger", engine.Command{}},
		{"retry a failed step", "alice", "retry", failed, "", engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "copy", Choice: "retry"}},
		{"go on without a failed step needs the id", "alice", "continue the step is not needed", failed, "type continue MIG-2026-042", engine.Command{}},
		{"go on without a failed step", "alice", "continue MIG-2026-042 the step is not needed", failed, "",
			engine.Command{Kind: engine.CmdDecide, Actor: "alice", StepID: "copy", Choice: "continue", Text: "the step is not needed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmds, why := answer(tc.s, tc.actor, tc.line)
			if tc.refused != "" {
				if !strings.Contains(why, tc.refused) {
					t.Fatalf("%q: refused with %q, want %q", tc.line, why, tc.refused)
				}
				return
			}
			if why != "" || len(cmds) != 1 || cmds[0] != tc.want {
				t.Fatalf("%q: got %+v (%q), want %+v", tc.line, cmds, why, tc.want)
			}
		})
	}
}

// TestPlainReleasesAPauseNobodyElseCan: a run that ends paused (a resume
// of a paused journal) asks plain mode to release it, as anyone may.
func TestPlainReleasesAPauseNobodyElseCan(t *testing.T) {
	s := copyState()
	s.Paused, s.PausedBy = true, "bob"
	pd := current(&s)
	if pd == nil || pd.Kind != awaitUnpause {
		t.Fatalf("a paused run asks nothing: %+v", pd)
	}
	s.Pending = pd
	cmds, why := answer(s, "carol", "resume")
	if why != "" || len(cmds) != 1 || cmds[0].Kind != engine.CmdResume || cmds[0].Actor != "carol" {
		t.Fatalf("got %+v (%q)", cmds, why)
	}
	if _, why := answer(s, "carol", "go"); why == "" {
		t.Fatal("go accepted for a pause")
	}
	s.Pending, s.Paused = nil, false
	if pd := current(&s); pd != nil {
		t.Fatalf("a running run asks %+v", pd)
	}
}

// TestPlainTickAllTicksWhatIsLeft: "tick all" is one command per item not
// yet ticked.
func TestPlainTickAllTicksWhatIsLeft(t *testing.T) {
	s := manualState()
	s.Steps[0].Checked = []bool{true, false}
	cmds, why := answer(s, "bob", "tick all")
	if why != "" || len(cmds) != 1 || cmds[0].Kind != engine.CmdCheck || cmds[0].Index != 1 {
		t.Fatalf("got %+v (%q)", cmds, why)
	}
}

// TestPlainAnswerHelpNamesTheMigrationID: the accepted answers shown to the
// operator name what must be typed.
func TestPlainAnswerHelpNamesTheMigrationID(t *testing.T) {
	s := triggerState()
	help := strings.Join(answerHelp(&s, s.Pending), "\n")
	for _, want := range []string{"continue [--limit 0.3%] <justification, 10+ characters>", "rollback MIG-2026-042"} {
		if !strings.Contains(help, want) {
			t.Errorf("no %q in:\n%s", want, help)
		}
	}
}
