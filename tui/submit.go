package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

// minJustification is how long a typed justification or reason must be,
// in characters: to continue past a trigger, to skip a step, to abort, or
// not to run a step again on resume.
const minJustification = 10

// dialogDo performs an action of the top dialog.
func (m Model) dialogDo(d *dialog, v verb) (Model, tea.Cmd) {
	switch v {
	case vCancel, vHide:
		m.pop()
		if d.kind == dlgTrigger || d.kind == dlgRerun {
			m.dismissed = d.since
		}
		return m, nil
	case vQuit:
		if d.kind == dlgQuit {
			return m, tea.Quit
		}
		return m.do(vQuit)
	case vNextField, vPrevField:
		if d.limit != nil {
			d.focus = 1 - d.focus
		}
	case vRollback:
		m.push(m.answering(&dialog{kind: dlgTypeID, purpose: forRollback, hasInput: true,
			cmd:   engine.Command{Kind: engine.CmdDecide, StepID: d.stepID, Choice: journal.ChoiceRollback},
			input: newLineInput("type "+m.rollbackWord(), 80)}))
	case vContinue:
		m.push(m.continueDialog())
	case vRetryStep:
		m.push(m.answering(&dialog{kind: dlgConfirm, purpose: forRetry,
			cmd: engine.Command{Kind: engine.CmdDecide, StepID: d.stepID, Choice: journal.ChoiceRetry}}))
	case vRerun:
		m.send(engine.Command{Kind: engine.CmdDecide, StepID: d.stepID, Choice: journal.ChoiceRerun})
		m.finishChain(d)
		m.flash = "sent: RUN step " + d.stepID + " AGAIN"
	case vSkip: // the rerun dialog: do not run it again
		m.push(m.answering(&dialog{kind: dlgReason, purpose: forRerunSkip, hasInput: true,
			cmd:   engine.Command{Kind: engine.CmdDecide, StepID: d.stepID, Choice: journal.ChoiceSkip},
			input: newLineInput("why it need not run again (it had finished, it was checked)…", 500)}))
	case vYes:
		switch d.kind {
		case dlgQuit:
			return m, tea.Quit
		case dlgGate:
			m.send(engine.Command{Kind: engine.CmdDecide, StepID: d.stepID, Choice: d.choice})
			m.dropDecisionDialogs()
			m.flash = "sent: " + strings.ToUpper(d.choice) + " for gate " + d.stepID
		case dlgConfirm:
			m.sendChain(d, d.cmd)
		}
	case vSubmit:
		return m.submit(d)
	default:
		return m.do(v)
	}
	return m, nil
}

// continueDialog asks why it is safe to continue and, past a measured
// trigger, the new limit the decision-maker accepts (prefilled).
func (m Model) continueDialog() *dialog {
	d := m.answering(&dialog{kind: dlgReason, purpose: forContinue, hasInput: true,
		cmd:   engine.Command{Kind: engine.CmdDecide, Choice: journal.ChoiceContinue},
		input: newLineInput("why it is safe to continue…", 500)})
	d.cmd.StepID = d.stepID
	if pd := m.state.Pending; pd != nil && !m.failedPending() {
		if spec, ok := limitFor(pd.Trigger); ok {
			in := newLineInput("empty: acknowledge at the observed value", 20)
			in.ti.SetValue(spec.suggest())
			d.limit = &limitField{spec: spec, input: in}
		}
	}
	return d
}

// submit checks and sends (or passes on) what a text dialog holds. A
// refusal keeps the dialog open with the reason and sends nothing.
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
	case dlgTypeID:
		if text != m.rollbackWord() {
			d.err = fmt.Sprintf("“%s” is not %s — nothing sent", text, m.rollbackWord())
			return m, nil
		}
		m.sendChain(d, d.cmd)
	case dlgReason:
		if n := len([]rune(text)); n < minJustification {
			what := "a reason"
			if d.purpose == forContinue {
				what = "a justification"
			}
			d.err = fmt.Sprintf("%s of at least %d characters is required (%d typed) — nothing sent", what, minJustification, n)
			d.focus = 0
			return m, nil
		}
		cmd := d.cmd
		cmd.Text = text
		if d.limit != nil {
			v, err := d.limit.spec.parse(d.limit.input.Value())
			if err != nil {
				d.err, d.focus = err.Error()+" — nothing sent", 1
				return m, nil
			}
			cmd.Limit = v
		}
		if d.needsID(m) {
			m.push(&dialog{kind: dlgTypeID, purpose: d.purpose, cmd: cmd, stepID: d.stepID, since: d.since, pending: d.pending,
				hasInput: true, input: newLineInput("type "+m.rollbackWord(), 80)})
			return m, nil
		}
		m.sendChain(d, cmd)
	}
	return m, nil
}

// sendChain sends the command a chain of dialogs built, closes the chain
// and says what was sent.
func (m *Model) sendChain(d *dialog, cmd engine.Command) {
	m.send(cmd)
	m.finishChain(d)
	switch d.purpose {
	case forRollback:
		m.flash = "sent: ROLL BACK " + m.rollbackWord()
	case forContinue:
		switch {
		case m.failedPending():
			m.flash = "sent: CONTINUE without step " + cmd.StepID + ", with your justification"
		case d.limit != nil && cmd.Limit > 0:
			m.flash = "sent: CONTINUE, with your justification and the new limit " + d.limit.spec.format(cmd.Limit)
		case d.limit != nil:
			m.flash = "sent: CONTINUE, with your justification (acknowledged at the observed value)"
		default:
			m.flash = "sent: CONTINUE, with your justification"
		}
	case forSkip:
		m.flash = "sent: SKIP step " + cmd.StepID
	case forAbort:
		m.flash = "sent: ABORT " + m.rollbackWord()
	case forRerunSkip:
		m.flash = "sent: do not run step " + cmd.StepID + " again"
	case forRetry:
		m.flash = "sent: RETRY step " + cmd.StepID
	}
}

// rollbackWord is what must be typed to confirm a destructive command
// (migrationWord, shared with plain mode).
func (m Model) rollbackWord() string { return migrationWord(&m.state) }
