package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

// minJustification is how long a typed justification to continue past a
// trigger must be, in characters.
const minJustification = 10

// decideReason says why this operator may not answer gates and triggers,
// or "" when they may.
func (m Model) decideReason() string {
	if r := m.readOnlyReason(); r != "" {
		return r
	}
	dm := decider(m.state)
	if (m.state.Runbook != nil && m.state.Runbook.DecisionMaker != "") || (m.state.Pending != nil && m.state.Pending.Who != "") {
		if dm != m.c.Operator {
			return fmt.Sprintf("Only %s may decide — you are %s", dm, orNobody(m.c.Operator))
		}
	}
	return ""
}

func orNobody(op string) string {
	if op == "" {
		return "not named (--as)"
	}
	return op
}

// readOnlyReason says why no command can be sent at all, or "".
func (m Model) readOnlyReason() string {
	if r := m.c.readOnly(); r != "" {
		return r
	}
	if m.closed {
		return "the run has finished"
	}
	return ""
}

// manualStep is the manual step waiting for the operator, if any.
func (m Model) manualStep() (journal.StepState, bool) {
	pd := m.state.Pending
	if pd == nil || pd.Kind != "manual" {
		return journal.StepState{}, false
	}
	return stepByID(m.state, pd.StepID), true
}

// nextTick is the first checklist item neither journaled nor sent.
func (m Model) nextTick(ss journal.StepState) (int, string, bool) {
	items := planStep(m.state, ss.ID).Checklist
	for i := range ss.Checked {
		if !ss.Checked[i] && !m.sent[ss.ID][i] {
			item := fmt.Sprintf("item %d", i+1)
			if i < len(items) {
				item = items[i]
			}
			return i, item, true
		}
	}
	return 0, "", false
}

// unticked lists the checklist items not ticked yet (sent ones count).
func (m Model) unticked(ss journal.StepState) []string {
	items := planStep(m.state, ss.ID).Checklist
	var out []string
	for i := range ss.Checked {
		if !ss.Checked[i] && !m.sent[ss.ID][i] {
			item := fmt.Sprintf("item %d", i+1)
			if i < len(items) {
				item = items[i]
			}
			out = append(out, item)
		}
	}
	return out
}

// offered is what the keys do right now: the top dialog's actions, or the
// run's. The footer shows the same list, disabled ones with their reason.
func (m Model) offered() []action {
	if d := m.top(); d != nil {
		return m.dialogActions(d)
	}
	k := m.c.Keys
	var out []action
	if m.player != nil {
		out = append(out, allow(k.PlayPause, vPlayPause), allow(k.Faster, vFaster), allow(k.Slower, vSlower),
			allow(k.NextDecision, vNextDecision), allow(k.SeekStart, vSeekStart))
	}
	if pd := m.state.Pending; pd != nil && m.player == nil && !m.closed {
		ro := m.readOnlyReason()
		switch pd.Kind {
		case "manual":
			ss := stepByID(m.state, pd.StepID)
			if len(ss.Checked) > 0 {
				reason := ro
				if _, _, ok := m.nextTick(ss); !ok && reason == "" {
					reason = "all items ticked — press enter"
				}
				out = append(out, offer(k.Tick, vTick, reason))
			}
			reason := ro
			if left := m.unticked(ss); len(left) > 0 && reason == "" {
				reason = fmt.Sprintf("tick %d more first: %s", len(left), left[0])
			}
			out = append(out, offer(k.Confirm, vConfirm, reason))
		case "gate":
			r := m.decideReason()
			out = append(out, offer(k.Go, vGo, r), offer(k.NoGo, vNoGo, r))
		case "trigger":
			out = append(out, allow(k.Decide, vDecide))
		}
	}
	out = append(out, offer(k.Note, vNote, m.readOnlyReason()), allow(k.Quit, vQuit))
	return out
}

// handleKey gives a key to the top dialog, or to the offered actions.
func (m Model) handleKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	m.flash, m.flashBad = "", false
	a, ok := pressedAction(msg, m.offered())
	if !ok {
		if d := m.top(); d != nil && d.hasInput {
			d.input.Update(msg)
			d.err = ""
		}
		return m, nil
	}
	if a.Reason != "" {
		m.flash, m.flashBad = a.Reason, true
		return m, nil
	}
	if d := m.top(); d != nil {
		return m.dialogDo(d, a.do)
	}
	return m.do(a.do)
}

// do performs a run action.
func (m Model) do(v verb) (Model, tea.Cmd) {
	pd := m.state.Pending
	switch v {
	case vQuit:
		if m.closed || m.c.Mode == ModeReplay || m.c.Mode == ModeWatch {
			return m, tea.Quit
		}
		m.push(&dialog{kind: dlgQuit})
	case vNote:
		m.push(&dialog{kind: dlgNote, hasInput: true,
			input: newLineInput(m.c.Keys, "what happened, what you saw, what you decided…", 500)})
	case vTick:
		ss, _ := m.manualStep()
		if i, item, ok := m.nextTick(ss); ok {
			m.send(engine.Command{Kind: engine.CmdCheck, StepID: ss.ID, Index: i})
			if m.sent[ss.ID] == nil {
				m.sent[ss.ID] = map[int]bool{}
			}
			m.sent[ss.ID][i] = true
			m.flash = "sent: ticked “" + item + "”"
		}
	case vConfirm:
		m.send(engine.Command{Kind: engine.CmdConfirm, StepID: pd.StepID, Choice: journal.ChoiceConfirm})
		m.flash = "sent: step " + pd.StepID + " confirmed"
	case vGo, vNoGo:
		choice := journal.ChoiceGo
		if v == vNoGo {
			choice = journal.ChoiceNoGo
		}
		m.push(&dialog{kind: dlgGate, choice: choice, stepID: pd.StepID, since: pd.Since})
	case vDecide:
		m.dismissed = time.Time{}
		m.push(&dialog{kind: dlgTrigger, stepID: pd.StepID, since: pd.Since})
	case vPlayPause:
		m.player.Toggle()
	case vFaster:
		m.player.Faster()
	case vSlower:
		m.player.Slower()
	case vNextDecision:
		m.player.SkipToNextDecision()
	case vSeekStart:
		m.player.SeekStart()
	}
	m.refreshReplay()
	return m, nil
}

// dialogDo performs an action of the top dialog.
func (m Model) dialogDo(d *dialog, v verb) (Model, tea.Cmd) {
	switch v {
	case vCancel, vHide:
		m.pop()
		if d.kind == dlgTrigger {
			m.dismissed = d.since
		}
		return m, nil
	case vQuit:
		if d.kind == dlgQuit {
			return m, tea.Quit
		}
		return m.do(vQuit)
	case vRollback:
		m.push(&dialog{kind: dlgRollback, stepID: d.stepID, since: d.since, hasInput: true,
			input: newLineInput(m.c.Keys, "type "+m.rollbackWord(), 80)})
	case vContinue:
		m.push(&dialog{kind: dlgJustify, stepID: d.stepID, since: d.since, hasInput: true,
			input: newLineInput(m.c.Keys, "why it is safe to continue…", 500)})
	case vYes:
		switch d.kind {
		case dlgQuit:
			return m, tea.Quit
		case dlgGate:
			m.send(engine.Command{Kind: engine.CmdDecide, StepID: d.stepID, Choice: d.choice})
			m.dropDecisionDialogs()
			m.flash = "sent: " + strings.ToUpper(d.choice) + " for gate " + d.stepID
		}
	case vSubmit:
		return m.submit(d)
	default:
		return m.do(v)
	}
	return m, nil
}

// submit checks and sends what a text dialog holds. A refusal keeps the
// dialog open with the reason and sends nothing.
func (m Model) submit(d *dialog) (Model, tea.Cmd) {
	text := strings.TrimSpace(d.input.Value())
	switch d.kind {
	case dlgNote:
		if text == "" {
			d.err = "the note is empty — type something, or esc"
			return m, nil
		}
		m.send(engine.Command{Kind: engine.CmdNote, StepID: focusStepID(m.state), Text: text})
		m.pop()
		m.flash = "note sent"
	case dlgRollback:
		if text != m.rollbackWord() {
			d.err = fmt.Sprintf("“%s” is not %s — nothing sent", text, m.rollbackWord())
			return m, nil
		}
		m.send(engine.Command{Kind: engine.CmdDecide, StepID: d.stepID, Choice: journal.ChoiceRollback})
		m.dropDecisionDialogs()
		m.flash = "sent: ROLL BACK " + m.rollbackWord()
	case dlgJustify:
		if n := len([]rune(text)); n < minJustification {
			d.err = fmt.Sprintf("a justification of at least %d characters is required (%d typed) — nothing sent", minJustification, n)
			return m, nil
		}
		m.send(engine.Command{Kind: engine.CmdDecide, StepID: d.stepID, Choice: journal.ChoiceContinue, Text: text})
		m.dropDecisionDialogs()
		m.flash = "sent: CONTINUE, with your justification"
	}
	return m, nil
}

// rollbackWord is what must be typed to roll back: the migration id.
func (m Model) rollbackWord() string {
	if rb := m.state.Runbook; rb != nil && rb.MigrationID != "" {
		return rb.MigrationID
	}
	return "ROLLBACK"
}
