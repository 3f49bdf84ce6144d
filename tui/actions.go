package tui

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

// decideReason says why this operator may not answer gates and triggers,
// or "" when they may.
func (m Model) decideReason() string {
	if r := m.readOnlyReason(); r != "" {
		return r
	}
	return m.onlyDecisionMaker("decide")
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
	if pd == nil || pd.Kind != journal.AwaitManual {
		return journal.StepState{}, false
	}
	return stepByID(m.state, pd.StepID), true
}

// nextTick is the first checklist item neither journaled nor sent.
func (m Model) nextTick(ss journal.StepState) (int, string, bool) {
	if left := m.unticked(ss); len(left) > 0 {
		return left[0].index, left[0].item, true
	}
	return 0, "", false
}

// checkItem is a checklist item by position.
type checkItem struct {
	index int
	item  string
}

// unticked lists the checklist items not ticked yet (sent ones count).
func (m Model) unticked(ss journal.StepState) []checkItem {
	items := planStep(m.state, ss.ID).Checklist
	var out []checkItem
	for i := range ss.Checked {
		if !ss.Checked[i] && !m.sent[ss.ID][i] {
			item := fmt.Sprintf("item %d", i+1)
			if i < len(items) {
				item = items[i]
			}
			out = append(out, checkItem{i, item})
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
			allow(k.NextDecision, vNextDecision), allow(k.PrevDecision, vPrevDecision),
			allow(k.EventFwd, vEventFwd), allow(k.EventBack, vEventBack), allow(k.TimeFwd, vTimeFwd), allow(k.TimeBack, vTimeBack),
			allow(k.SeekStart, vSeekStart), allow(k.SeekEnd, vSeekEnd))
	}
	if pd := m.state.Pending; pd != nil && m.player == nil && !m.closed {
		ro := m.readOnlyReason()
		switch pd.Kind {
		case journal.AwaitManual:
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
				reason = fmt.Sprintf("tick %d more first: %s", len(left), left[0].item)
			}
			out = append(out, offer(k.Confirm, vConfirm, reason))
		case journal.AwaitGate:
			r := m.decideReason()
			out = append(out, offer(k.Go, vGo, r), offer(k.NoGo, vNoGo, r))
		case journal.AwaitTrigger:
			out = append(out, allow(k.Decide, vDecide))
		case journal.AwaitRerun:
			d := allow(k.Decide, vDecide)
			d.SetHelp(k.Decide.Help().Key, "answer")
			out = append(out, d)
		}
	}
	live := m.player == nil && m.readOnlyReason() == ""
	var controls []action
	if live {
		controls = m.controlActions()
		out = append(out, controls[0]) // pause first: anyone may
		controls = controls[1:]
	}
	out = append(out, allow(k.Rejects, vRejects))
	out = append(out, m.assessActions()...)
	out = append(out, offer(k.Note, vNote, m.readOnlyReason()), allow(k.Quit, vQuit))
	out = append(out, controls...) // skip, retry, abort: last, so a narrow footer cuts them first
	fa := m.focusActions()
	if m.focus == focusNone {
		return append(append(out, fa...), allow(k.Help, vHelp))
	}
	return append(append(fa, shadowed(fa, out, focusNames[m.focus])...), allow(k.Help, vHelp))
}

// handleKey gives a key to the top dialog, or to the offered actions.
func (m Model) handleKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	m.flash, m.flashBad = "", false
	a, ok := pressedAction(msg, m.offered())
	if !ok {
		if d := m.top(); d != nil && d.hasInput {
			d.field().Update(msg)
			d.err = ""
		}
		return m, nil
	}
	if a.Reason != "" {
		m.flash, m.flashBad = a.Reason, true
		return m, nil
	}
	switch a.do {
	case vRejects:
		return m.openBrowser(), nil
	case vAssess:
		return m.toggleAssessment(), nil
	case vHelp:
		m.help = true
		return m, nil
	case vFocusNext, vFocusPrev, vLeave, vScrollUp, vScrollDown, vPageUp, vPageDown, vTop, vBottom, vExpand, vFilter:
		return m.doFocus(a.do), nil
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
			input: newLineInput("what happened, what you saw, what you decided…", 500)})
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
		m.push(m.answering(&dialog{kind: dlgGate, choice: choice}))
	case vDecide:
		m.dismissed = time.Time{}
		kind := dlgTrigger
		if pd.Kind == journal.AwaitRerun {
			kind = dlgRerun
		}
		m.push(m.answering(&dialog{kind: kind}))
	case vPause:
		if m.state.Paused {
			m.send(engine.Command{Kind: engine.CmdResume})
			m.flash = "sent: resume"
		} else {
			m.send(engine.Command{Kind: engine.CmdPause})
			m.flash = "sent: pause — the run holds at its next safe point (between batches and steps)"
		}
	case vSkip:
		id, _ := m.skipTarget()
		d := &dialog{kind: dlgReason, purpose: forSkip, stepID: id, hasInput: true,
			cmd: engine.Command{Kind: engine.CmdSkip, StepID: id}, input: newLineInput("why this step can be left out…", 500)}
		if pd != nil && pd.StepID == id {
			d = m.answering(d)
		}
		m.push(d)
	case vRetry:
		id, _ := m.retryTarget()
		m.push(m.answering(&dialog{kind: dlgConfirm, purpose: forRetry, stepID: id,
			cmd: engine.Command{Kind: engine.CmdRetry, StepID: id}}))
	case vAbort:
		m.push(&dialog{kind: dlgReason, purpose: forAbort, hasInput: true, cmd: engine.Command{Kind: engine.CmdAbort},
			input: newLineInput("why the run must stop here…", 500)})
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
	case vPrevDecision:
		m.player.SkipToPrevDecision()
	case vEventFwd:
		m.player.StepEvents(1)
	case vEventBack:
		m.player.StepEvents(-1)
	case vTimeFwd:
		m.player.SeekTime(1)
	case vTimeBack:
		m.player.SeekTime(-1)
	case vSeekEnd:
		m.player.SeekEnd()
	}
	m.refreshReplay()
	return m, nil
}
