package tui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

// The answers plain mode accepts, one line each, and how a line becomes
// the commands the console would send. The rules are the console's: a
// justification or reason of minJustification characters, the migration id
// typed for whatever cannot be taken back, a new limit never below the
// observed value (limitSpec); then engine.Permit, the one policy, says
// whether this operator may give them now.

// answerHelp lists the answers accepted for pd, one per line, as they are
// typed ("continue [--limit 8%] <justification, 10+ characters>").
func answerHelp(s *journal.State, pd *journal.Pending) []string {
	id := migrationWord(s)
	just := fmt.Sprintf("<justification, %d+ characters>", minJustification)
	switch pd.Kind {
	case journal.AwaitManual:
		st, _ := s.StepOf(pd.StepID, s.RollingBack)
		if slices.Contains(st.Checked, false) {
			return []string{"tick N      (tick checklist item N)", "tick all    (tick every item left)", "confirm     (once every item is ticked)"}
		}
		return []string{"confirm"}
	case journal.AwaitGate:
		return []string{"go", "no-go       (roll back)"}
	case journal.AwaitRerun:
		return []string{"rerun", fmt.Sprintf("skip <reason, %d+ characters>", minJustification)}
	case awaitUnpause:
		return []string{"resume      (release the pause)"}
	}
	if engine.HoldsOnFailure(pd) {
		return []string{
			"retry",
			"continue " + id + " " + just + "   (go on without the failed step)",
			"rollback " + id,
		}
	}
	cont := "continue " + just
	if spec, ok := limitFor(pd.Trigger); ok {
		cont = fmt.Sprintf("continue [--limit %s] %s   (without --limit: acknowledged at the observed %s)",
			spec.suggest(), just, spec.format(spec.observed))
	}
	return []string{cont, "rollback " + id}
}

// parseAnswer turns a typed line into the commands it stands for (ticking
// every item left is one command per item), or says why it is not an
// answer to pd. The commands still go through engine.Permit.
func parseAnswer(s *journal.State, pd *journal.Pending, actor, line string) ([]engine.Command, error) {
	words := strings.Fields(line)
	if len(words) == 0 {
		return nil, fmt.Errorf("nothing typed")
	}
	verb, rest := strings.ToLower(words[0]), words[1:]
	cmd := engine.Command{Kind: engine.CmdDecide, Actor: actor, StepID: pd.StepID, Choice: verb}
	switch pd.Kind {
	case journal.AwaitManual:
		return manualAnswer(s, pd, cmd, verb, rest)
	case journal.AwaitGate:
		if verb == "nogo" {
			cmd.Choice = journal.ChoiceNoGo
		}
		if (cmd.Choice == journal.ChoiceGo || cmd.Choice == journal.ChoiceNoGo) && len(rest) == 0 {
			return []engine.Command{cmd}, nil
		}
	case journal.AwaitRerun:
		switch verb {
		case journal.ChoiceRerun:
			if len(rest) == 0 {
				return []engine.Command{cmd}, nil
			}
		case journal.ChoiceSkip:
			cmd.Text = strings.Join(rest, " ")
			if err := longEnough("a reason", cmd.Text); err != nil {
				return nil, err
			}
			return []engine.Command{cmd}, nil
		}
	case journal.AwaitTrigger:
		return triggerAnswer(s, pd, cmd, verb, rest)
	case awaitUnpause:
		if (verb == "resume" || verb == "unpause") && len(rest) == 0 {
			return []engine.Command{{Kind: engine.CmdResume, Actor: actor}}, nil
		}
	}
	return nil, fmt.Errorf("“%s” is not an answer to this question", strings.TrimSpace(line))
}

// manualAnswer ticks checklist items (tick N, tick all) or confirms the
// step.
func manualAnswer(s *journal.State, pd *journal.Pending, cmd engine.Command, verb string, rest []string) ([]engine.Command, error) {
	switch verb {
	case journal.ChoiceConfirm:
		if len(rest) > 0 {
			return nil, fmt.Errorf("confirm takes nothing after it")
		}
		cmd.Kind, cmd.Choice = engine.CmdConfirm, ""
		return []engine.Command{cmd}, nil
	case "tick", "check":
		st, _ := s.StepOf(pd.StepID, s.RollingBack)
		if len(rest) == 1 && strings.EqualFold(rest[0], "all") {
			var cmds []engine.Command
			for i, done := range st.Checked {
				if !done {
					cmds = append(cmds, engine.Command{Kind: engine.CmdCheck, Actor: cmd.Actor, StepID: pd.StepID, Index: i})
				}
			}
			if len(cmds) == 0 {
				return nil, fmt.Errorf("every checklist item is already ticked: confirm")
			}
			return cmds, nil
		}
		if len(rest) == 1 {
			if n, err := strconv.Atoi(rest[0]); err == nil {
				return []engine.Command{{Kind: engine.CmdCheck, Actor: cmd.Actor, StepID: pd.StepID, Index: n - 1}}, nil
			}
		}
		return nil, fmt.Errorf("tick takes an item number (1 to %d) or all", len(st.Checked))
	}
	return nil, fmt.Errorf("“%s” is not an answer to a manual step: tick N, tick all or confirm", verb)
}

// triggerAnswer reads continue, rollback and retry past a trigger.
func triggerAnswer(s *journal.State, pd *journal.Pending, cmd engine.Command, verb string, rest []string) ([]engine.Command, error) {
	id := migrationWord(s)
	failed := engine.HoldsOnFailure(pd)
	switch verb {
	case journal.ChoiceRetry:
		if failed && len(rest) == 0 {
			return []engine.Command{cmd}, nil
		}
	case journal.ChoiceRollback:
		if len(rest) != 1 || rest[0] != id {
			return nil, fmt.Errorf("to roll back, type rollback %s — the migration id, exactly", id)
		}
		return []engine.Command{cmd}, nil
	case journal.ChoiceContinue:
		if failed { // going on without a step cannot be taken back: the id first
			if len(rest) == 0 || rest[0] != id {
				return nil, fmt.Errorf("to go on without step %s, type continue %s and your justification", pd.StepID, id)
			}
			rest = rest[1:]
		} else if len(rest) > 0 && (rest[0] == "--limit" || strings.HasPrefix(rest[0], "--limit=")) {
			spec, ok := limitFor(pd.Trigger)
			if !ok {
				return nil, fmt.Errorf("this trigger takes no limit")
			}
			value, n := strings.TrimPrefix(rest[0], "--limit="), 1
			if rest[0] == "--limit" {
				if len(rest) < 2 {
					return nil, fmt.Errorf("--limit needs a value (e.g. --limit %s)", spec.suggest())
				}
				value, n = rest[1], 2
			}
			v, err := spec.parse(value)
			if err != nil {
				return nil, err
			}
			cmd.Limit, rest = v, rest[n:]
		}
		cmd.Text = strings.Join(rest, " ")
		if err := longEnough("a justification", cmd.Text); err != nil {
			return nil, err
		}
		return []engine.Command{cmd}, nil
	}
	return nil, fmt.Errorf("“%s” is not an answer to this trigger", verb)
}

// longEnough is the console's rule for typed reasons and justifications.
func longEnough(what, text string) error {
	if n := len([]rune(strings.TrimSpace(text))); n < minJustification {
		return fmt.Errorf("%s of at least %d characters is required (%d typed)", what, minJustification, n)
	}
	return nil
}

// migrationWord is what must be typed to confirm what cannot be taken
// back (a rollback, an abort), in the console and in plain mode alike: the
// migration id, or ROLLBACK for a runbook without one.
func migrationWord(s *journal.State) string {
	if rb := s.Runbook; rb != nil && rb.MigrationID != "" {
		return rb.MigrationID
	}
	return "ROLLBACK"
}
