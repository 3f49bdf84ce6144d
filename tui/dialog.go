package tui

import (
	"fmt"
	"time"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

// dialogKind names a modal dialog.
type dialogKind int

const (
	dlgGate    dialogKind = iota // confirm a go / no-go
	dlgTrigger                   // a trigger fired: roll back, continue (or retry a failed step)
	dlgRerun                     // on resume: run a step that may have had side effects again?
	dlgReason                    // type a justification or reason (continuing: also the new limit)
	dlgTypeID                    // type the migration id to confirm a destructive command
	dlgConfirm                   // y sends the command (retry)
	dlgNote                      // type a note
	dlgQuit                      // quit? the run keeps its journal
)

// purpose is what a reason, type-the-id or confirm dialog is building.
type purpose int

const (
	forNone      purpose = iota
	forRollback          // trigger: roll back
	forContinue          // trigger: continue (with a new limit, or without the failed step)
	forSkip              // engine.CmdSkip
	forAbort             // engine.CmdAbort
	forRerunSkip         // rerun question: do not run the step again
	forRetry             // engine.CmdRetry, or ChoiceRetry on a step_failed trigger
)

// dialog is one modal on the stack. A chain of dialogs builds one command
// (cmd), each adding to it (a reason, a limit) until the last one sends it;
// esc goes back one dialog and sends nothing.
type dialog struct {
	kind    dialogKind
	purpose purpose
	cmd     engine.Command // sent when the chain is confirmed
	choice  string         // dlgGate: journal.ChoiceGo or ChoiceNoGo
	stepID  string         // the step the command is for
	since   time.Time      // Pending.Since of what it answers, when pending
	pending bool           // answers the run's Pending: closes when that goes away

	hasInput bool
	input    lineInput
	limit    *limitField // continuing past a measured trigger: the new threshold
	focus    int         // 0: input, 1: limit
	err      string      // why the last submit was refused
}

// limitField is the second field of the continue dialog.
type limitField struct {
	spec  limitSpec
	input lineInput
}

// field is the text field keys go to.
func (d *dialog) field() *lineInput {
	if d.focus == 1 && d.limit != nil {
		return &d.limit.input
	}
	return &d.input
}

// needsID reports whether the chain ends by typing the migration id:
// everything that cannot be taken back.
func (d *dialog) needsID(m Model) bool {
	switch d.purpose {
	case forSkip, forAbort, forRollback:
		return true
	case forContinue:
		return m.failedPending()
	}
	return false
}

func (m Model) top() *dialog {
	if n := len(m.dialogs); n > 0 {
		return m.dialogs[n-1]
	}
	return nil
}

func (m *Model) push(d *dialog) { m.dialogs = append(m.dialogs, d) }

func (m *Model) pop() {
	if n := len(m.dialogs); n > 0 {
		m.dialogs = m.dialogs[: n-1 : n-1]
	}
}

// answering opens a dialog that answers the current Pending.
func (m Model) answering(d *dialog) *dialog {
	if pd := m.state.Pending; pd != nil {
		d.pending, d.since = true, pd.Since
		if d.stepID == "" {
			d.stepID = pd.StepID
		}
	}
	return d
}

// dropDecisionDialogs closes the dialogs that answer a Pending.
func (m *Model) dropDecisionDialogs() {
	var keep []*dialog
	for _, d := range m.dialogs {
		if !d.pending {
			keep = append(keep, d)
		}
	}
	m.dialogs = keep
}

// finishChain closes the dialogs that built a command just sent.
func (m *Model) finishChain(d *dialog) {
	if d.pending {
		m.dropDecisionDialogs()
	}
	for t := m.top(); t != nil && (t.kind == dlgReason || t.kind == dlgTypeID || t.kind == dlgConfirm); t = m.top() {
		m.pop()
	}
}

// dropCommandDialogs closes every dialog that would send a command, once
// the run is over; a note being typed stays (its send is refused, with the
// reason) and so does the quit prompt.
func (m *Model) dropCommandDialogs() {
	var keep []*dialog
	for _, d := range m.dialogs {
		if d.kind == dlgNote || d.kind == dlgQuit {
			keep = append(keep, d)
		}
	}
	m.dialogs = keep
}

// syncDialogs follows the run: dialogs for a Pending that went away close
// (someone decided, or the run moved on), a skip whose step started closes,
// and a new trigger or rerun question opens its dialog under any note or
// quit prompt being typed.
func (m *Model) syncDialogs() {
	pd := m.state.Pending
	var keep []*dialog
	dropped := false
	for _, d := range m.dialogs {
		if d.pending && (pd == nil || !pd.Since.Equal(d.since)) {
			dropped = true
			continue
		}
		if why := m.stale(d); why != "" {
			m.flash, m.flashBad = why, true
			continue
		}
		keep = append(keep, d)
	}
	m.dialogs = keep
	if dropped && len(m.state.Decisions) > 0 && m.flash == "" {
		last := m.state.Decisions[len(m.state.Decisions)-1]
		m.flash = fmt.Sprintf("decision recorded: %s chose %s", last.Actor, last.Choice)
	}
	if pd == nil || (pd.Kind != journal.AwaitTrigger && pd.Kind != journal.AwaitRerun) || m.c.Mode == ModeReplay || pd.Since.Equal(m.dismissed) {
		return
	}
	for _, d := range m.dialogs {
		if d.kind == dlgTrigger || d.kind == dlgRerun {
			return
		}
	}
	base := &dialog{kind: dlgTrigger}
	if pd.Kind == journal.AwaitRerun {
		base.kind = dlgRerun
	}
	m.dialogs = append([]*dialog{m.answering(base)}, m.dialogs...)
}

// stale says why a dialog not tied to the Pending no longer makes sense,
// or "".
func (m Model) stale(d *dialog) string {
	switch {
	case d.pending:
		return ""
	case d.purpose == forSkip:
		if id, _ := m.skipTarget(); id != d.stepID {
			return "skip cancelled: step " + d.stepID + " is no longer pending — nothing sent"
		}
	case d.purpose == forAbort && m.state.Outcome != "":
		return "abort cancelled: the run has ended — nothing sent"
	}
	return ""
}

// dialogActions is what the keys do in a dialog.
func (m Model) dialogActions(d *dialog) []action {
	k := m.c.Keys
	relabel := func(a action, desc string) action {
		a.SetHelp(a.Help().Key, desc)
		return a
	}
	back := relabel(allow(k.Cancel, vCancel), "back")
	out := m.dialogOwnActions(d, relabel, back)
	if d.hasInput {
		return append(out, allow(k.RejectsInField, vRejects))
	}
	// The rejected rows next to the decision keys, before hide/note/quit.
	at := len(out)
	for i, a := range out {
		if a.do == vHide {
			at = i
			break
		}
	}
	out = append(out[:at:at], append(append([]action{allow(k.Rejects, vRejects)}, m.assessActions()...), out[at:]...)...)
	return append(out, allow(k.Help, vHelp))
}

// dialogOwnActions is what a dialog's own keys do.
func (m Model) dialogOwnActions(d *dialog, relabel func(action, string) action, back action) []action {
	k := m.c.Keys
	switch d.kind {
	case dlgGate:
		yes := "send GO"
		if d.choice == journal.ChoiceNoGo {
			yes = "send NO-GO"
		}
		return []action{relabel(offer(k.Yes, vYes, m.decideReason()), yes), allow(k.Cancel, vCancel)}
	case dlgTrigger:
		r := m.decideReason()
		out := []action{offer(k.Rollback, vRollback, r), offer(k.Continue, vContinue, r)}
		if m.failedPending() {
			out = []action{offer(k.RetryStep, vRetryStep, r), offer(k.Rollback, vRollback, r),
				relabel(offer(k.Continue, vContinue, r), "continue without it…")}
		}
		return append(out, allow(k.Hide, vHide), offer(k.Note, vNote, m.readOnlyReason()), allow(k.Quit, vQuit))
	case dlgRerun:
		r := m.readOnlyReason()
		return []action{relabel(offer(k.Yes, vRerun, r), "run it again"), relabel(offer(k.Skip, vSkip, r), "skip it…"),
			allow(k.Hide, vHide), offer(k.Note, vNote, r), allow(k.Quit, vQuit)}
	case dlgReason:
		label := "next"
		if !d.needsID(m) {
			label = map[purpose]string{forContinue: "continue", forRerunSkip: "skip it"}[d.purpose]
		}
		out := []action{relabel(allow(k.Submit, vSubmit), label)}
		if d.limit != nil {
			out = append(out, allow(k.NextField, vNextField), unlisted(allow(k.PrevField, vPrevField)))
		}
		return append(out, back, allow(k.Interrupt, vQuit))
	case dlgTypeID:
		label := map[purpose]string{forRollback: "roll back", forContinue: "continue", forSkip: "skip", forAbort: "abort"}[d.purpose]
		return []action{relabel(allow(k.Submit, vSubmit), label), back, allow(k.Interrupt, vQuit)}
	case dlgConfirm:
		return []action{relabel(allow(k.Yes, vYes), "send RETRY"), relabel(allow(k.No, vCancel), "no"), back}
	case dlgNote:
		return []action{relabel(offer(k.Submit, vSubmit, m.readOnlyReason()), "add note"), allow(k.Cancel, vCancel), allow(k.Interrupt, vQuit)}
	case dlgQuit:
		return []action{relabel(allow(k.Yes, vYes), "quit"), relabel(allow(k.No, vCancel), "stay"), allow(k.Cancel, vCancel),
			relabel(allow(k.Quit, vQuit), "quit")}
	}
	return nil
}
