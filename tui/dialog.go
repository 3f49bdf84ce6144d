package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/tightrope/tightrope/journal"
)

// dialogKind names a modal dialog.
type dialogKind int

const (
	dlgGate     dialogKind = iota // confirm a go / no-go
	dlgTrigger                    // a trigger fired: roll back or continue
	dlgRollback                   // type the migration id to roll back
	dlgJustify                    // type why it is safe to continue
	dlgNote                       // type a note
	dlgQuit                       // quit? the run keeps its journal
)

// dialog is one modal on the stack. The first four answer the Pending the
// run waits on (since identifies it); they close when it goes away.
type dialog struct {
	kind     dialogKind
	choice   string    // dlgGate: journal.ChoiceGo or ChoiceNoGo
	stepID   string    // the step the answer is for
	since    time.Time // Pending.Since of what it answers
	hasInput bool
	input    lineInput
	err      string // why the last submit was refused
}

func (d *dialog) answersPending() bool { return d.kind <= dlgJustify }

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

// dropDecisionDialogs closes the dialogs that answer a Pending.
func (m *Model) dropDecisionDialogs() {
	var keep []*dialog
	for _, d := range m.dialogs {
		if !d.answersPending() {
			keep = append(keep, d)
		}
	}
	m.dialogs = keep
}

// syncDialogs follows the run: dialogs for a Pending that went away close
// (someone decided, or the run moved on), and a new trigger opens its
// decision dialog under any note or quit prompt being typed.
func (m *Model) syncDialogs() {
	pd := m.state.Pending
	var keep []*dialog
	dropped := false
	for _, d := range m.dialogs {
		if d.answersPending() && (pd == nil || !pd.Since.Equal(d.since)) {
			dropped = true
			continue
		}
		keep = append(keep, d)
	}
	m.dialogs = keep
	if dropped && len(m.state.Decisions) > 0 && m.flash == "" {
		last := m.state.Decisions[len(m.state.Decisions)-1]
		m.flash = fmt.Sprintf("decision recorded: %s chose %s", last.Actor, last.Choice)
	}
	if pd == nil || pd.Kind != "trigger" || m.c.Mode == ModeReplay || pd.Since.Equal(m.dismissed) {
		return
	}
	for _, d := range m.dialogs {
		if d.kind == dlgTrigger {
			return
		}
	}
	m.dialogs = append([]*dialog{{kind: dlgTrigger, stepID: pd.StepID, since: pd.Since}}, m.dialogs...)
}

// dialogActions is what the keys do in a dialog.
func (m Model) dialogActions(d *dialog) []action {
	k := m.c.Keys
	relabel := func(a action, desc string) action {
		a.SetHelp(a.Help().Key, desc)
		return a
	}
	switch d.kind {
	case dlgGate:
		yes := "send GO"
		if d.choice == journal.ChoiceNoGo {
			yes = "send NO-GO"
		}
		return []action{relabel(offer(k.Yes, vYes, m.decideReason()), yes), allow(k.Cancel, vCancel)}
	case dlgTrigger:
		r := m.decideReason()
		return []action{offer(k.Rollback, vRollback, r), offer(k.Continue, vContinue, r),
			allow(k.Hide, vHide), offer(k.Note, vNote, m.readOnlyReason()), allow(k.Quit, vQuit)}
	case dlgRollback:
		return []action{relabel(allow(k.Submit, vSubmit), "roll back"), relabel(allow(k.Cancel, vCancel), "back"), allow(k.Interrupt, vQuit)}
	case dlgJustify:
		return []action{relabel(allow(k.Submit, vSubmit), "continue"), relabel(allow(k.Cancel, vCancel), "back"), allow(k.Interrupt, vQuit)}
	case dlgNote:
		return []action{relabel(allow(k.Submit, vSubmit), "add note"), allow(k.Cancel, vCancel), allow(k.Interrupt, vQuit)}
	case dlgQuit:
		return []action{relabel(allow(k.Yes, vYes), "quit"), relabel(allow(k.No, vCancel), "stay"), allow(k.Cancel, vCancel),
			relabel(allow(k.Quit, vQuit), "quit")}
	}
	return nil
}

// dialogWidth is the box's outer width on a w-wide screen.
func dialogWidth(w int) int { return min(w-2, 76) }

// dialogView renders a dialog as a bordered box.
func (m Model) dialogView(d *dialog, w int) string {
	st, s := m.c.Styles, m.state
	inner := dialogWidth(w) - 4 // border and padding
	if inner < 10 {
		return ""
	}
	box, title := st.Dialog, st.DialogTitle
	var body []string
	text := func(style lipgloss.Style, t string) {
		for _, l := range wrap(t, inner) {
			body = append(body, style.Render(l))
		}
	}
	var heading string
	switch d.kind {
	case dlgGate:
		q := planStep(s, d.stepID).Question
		if pd := s.Pending; pd != nil && pd.Question != "" {
			q = pd.Question
		}
		heading = "GATE · " + d.stepID
		text(st.Bold, q)
		body = append(body, "")
		if d.choice == journal.ChoiceNoGo {
			box, title = st.DialogDanger, st.DialogDangerTitle
			text(st.Danger, "Send NO-GO? The run stops here and the rollback of "+m.rollbackWord()+" starts.")
		} else {
			text(st.Text, "Send GO? The run continues past this gate.")
		}
	case dlgTrigger:
		box, title = st.DialogDanger, st.DialogDangerTitle
		heading = "⚠ DECISION REQUIRED"
		m.triggerBody(text, &body, inner)
	case dlgRollback:
		box, title = st.DialogDanger, st.DialogDangerTitle
		heading = "ROLL BACK " + m.rollbackWord()
		text(st.Text, "This stops the migration and runs the rollback procedure. To confirm, type the migration id:")
		text(st.Bold, m.rollbackWord())
		body = append(body, "", d.input.View(inner, st))
	case dlgJustify:
		heading = "CONTINUE DESPITE THE TRIGGER"
		text(st.Text, "Why is it safe to continue? Your words go into the journal, signed "+orNobody(m.c.Operator)+".")
		body = append(body, "", d.input.View(inner, st))
		text(st.Muted, fmt.Sprintf("at least %d characters · %d typed", minJustification, len([]rune(strings.TrimSpace(d.input.Value())))))
	case dlgNote:
		heading = "NOTE"
		text(st.Text, "Adds a line to the timeline, signed "+orNobody(m.c.Operator)+".")
		body = append(body, "", d.input.View(inner, st))
	case dlgQuit:
		heading = "QUIT?"
		text(st.Text, "quit? the run keeps its journal and can be resumed")
	}
	if d.err != "" {
		body = append(body, "")
		text(st.Danger, "✗ "+d.err)
	}
	body = append(body, "", m.keyLine(m.dialogActions(d), inner, false))
	lines := append([]string{title.Render(truncate(heading, inner))}, body...)
	return box.Render(fit(lines, inner, len(lines)))
}

// triggerBody writes the trigger's message, numbers, evidence, question and
// who may decide.
func (m Model) triggerBody(text func(lipgloss.Style, string), body *[]string, inner int) {
	st, pd := m.c.Styles, m.state.Pending
	if pd == nil {
		return
	}
	t := journal.TriggerPayload{}
	if pd.Trigger != nil {
		t = *pd.Trigger
	}
	name := t.Trigger
	if t.Table != "" {
		name += " · " + t.Table
	}
	text(st.Danger, name)
	if t.Message != "" {
		text(st.Text, t.Message)
	}
	if t.Trigger != "" {
		text(st.Text, "observed "+fmtTrigger(t.Trigger, t.Observed)+" · threshold "+fmtTrigger(t.Trigger, t.Threshold))
	}
	if ev := fmtEvidence(t.Evidence); ev != "" {
		text(st.Muted, "evidence: "+ev)
	}
	*body = append(*body, "")
	q := pd.Question
	if q == "" {
		q = "Roll back " + m.rollbackWord() + ", or continue with a written justification?"
	}
	text(st.Bold, q)
	if r := m.decideReason(); r != "" {
		*body = append(*body, "")
		text(st.Reason, r)
	}
}

// overlay draws the dialog over the screen, below the banner so the alarm
// stays in sight.
func (m Model) overlay(screen string, d *dialog) string {
	L := m.body
	box := m.dialogView(d, L.w)
	if box == "" {
		return screen
	}
	bw, bh := width(box), lipgloss.Height(box)
	if bh > L.h {
		box = fit(strings.Split(box, "\n"), bw, L.h)
		bh = L.h
	}
	x := max((L.w-bw)/2, 0)
	y := L.header + L.banner + max((L.h-L.header-L.banner-L.footer-bh)/2, 0)
	y = max(min(y, L.h-bh), 0)
	return lipgloss.NewCompositor(lipgloss.NewLayer(screen), lipgloss.NewLayer(box).X(x).Y(y).Z(1)).Render()
}
