package tui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/tightrope/tightrope/journal"
)

// dialogWidth is the box's outer width on a w-wide screen.
func dialogWidth(w int) int { return min(w-2, 76) }

// dialogBody collects a dialog's lines, wrapped to its inner width.
type dialogBody struct {
	inner int
	lines []string
}

func (b *dialogBody) text(style lipgloss.Style, t string) {
	for _, l := range wrap(t, b.inner) {
		b.lines = append(b.lines, style.Render(l))
	}
}

func (b *dialogBody) blank() { b.lines = append(b.lines, "") }

func (b *dialogBody) raw(l string) { b.lines = append(b.lines, l) }

// dialogView renders a dialog as a bordered box.
func (m Model) dialogView(d *dialog, w int) string {
	st, s := m.c.Styles, m.state
	inner := dialogWidth(w) - 4 // border and padding
	if inner < 10 {
		return ""
	}
	box, title := st.Dialog, st.DialogTitle
	danger := func() { box, title = st.DialogDanger, st.DialogDangerTitle }
	b := &dialogBody{inner: inner}
	signed := "Your words go into the journal, signed " + orNobody(m.c.Operator) + "."
	var heading string
	switch d.kind {
	case dlgGate:
		q := planStep(s, d.stepID).Question
		if pd := s.Pending; pd != nil && pd.Question != "" {
			q = pd.Question
		}
		heading = "GATE · " + d.stepID
		b.text(st.Bold, q)
		b.blank()
		if d.choice == journal.ChoiceNoGo {
			danger()
			b.text(st.Danger, "Send NO-GO? The run stops here and the rollback of "+m.rollbackWord()+" starts.")
		} else {
			b.text(st.Text, "Send GO? The run continues past this gate.")
		}
	case dlgTrigger:
		danger()
		heading = "⚠ DECISION REQUIRED"
		m.triggerBody(b)
	case dlgRerun:
		heading = "RUN STEP " + strings.ToUpper(d.stepID) + " AGAIN?"
		m.rerunBody(b, d)
	case dlgReason:
		heading = m.reasonBody(b, d, signed, danger)
	case dlgTypeID:
		danger()
		heading = m.typeIDBody(b, d)
	case dlgConfirm:
		heading = "RETRY STEP " + strings.ToUpper(d.stepID)
		ss := stepByID(s, d.stepID)
		b.text(st.Bold, fmt.Sprintf("Run step %s again? This is attempt %d.", stepWhat(s, d.stepID), ss.Attempts+1))
		if ss.Error != "" {
			b.text(st.Danger, "It failed: "+ss.Error)
		}
		if cmd := planStep(s, d.stepID).Run; cmd != "" {
			b.text(st.Accent, "$ "+cmd)
		}
	case dlgNote:
		heading = "NOTE"
		b.text(st.Text, "Adds a line to the timeline, signed "+orNobody(m.c.Operator)+".")
		b.blank()
		b.raw(d.input.View(inner, st))
	case dlgQuit:
		heading = "QUIT?"
		b.text(st.Text, "quit? the run keeps its journal and can be resumed")
	}
	if d.err != "" {
		b.blank()
		b.text(st.Danger, "✗ "+d.err)
	}
	b.blank()
	b.raw(m.keyLine(m.dialogActions(d), inner, false))
	lines := append([]string{title.Render(truncate(heading, inner))}, b.lines...)
	return box.Render(fit(lines, inner, len(lines)))
}

// reasonBody asks for a justification or reason (and, continuing past a
// measured trigger, the new limit); it returns the heading.
func (m Model) reasonBody(b *dialogBody, d *dialog, signed string, danger func()) string {
	st, s := m.c.Styles, m.state
	var heading string
	switch d.purpose {
	case forContinue:
		heading = "CONTINUE DESPITE THE TRIGGER"
		if m.failedPending() {
			danger()
			heading = "CONTINUE WITHOUT STEP " + strings.ToUpper(d.stepID)
			b.text(st.Text, "Step "+stepWhat(s, d.stepID)+" failed; the run goes on without it (it stays failed in the journal).")
		}
		b.text(st.Text, "Why is it safe to continue? "+signed)
	case forSkip:
		danger()
		heading = "SKIP STEP " + strings.ToUpper(d.stepID)
		state := "has not started; the run passes over it when it gets there"
		switch {
		case m.failedPending() || stepByID(s, d.stepID).Status == journal.StatusFailed:
			state = "failed; the run goes on without it"
		case stepByID(s, d.stepID).Status == journal.StatusWaiting:
			state = "is waiting; the run goes on without it"
		}
		b.text(st.Text, "Step "+stepWhat(s, d.stepID)+" "+state+". It is marked skipped.")
		b.text(st.Text, "Why can it be left out? "+signed)
	case forAbort:
		danger()
		heading = "ABORT " + m.rollbackWord()
		b.text(st.Text, "Stop the run here? No rollback runs: source and target stay as they are now.")
		b.text(st.Text, "Why must it stop? "+signed)
	case forRerunSkip:
		heading = "DO NOT RUN STEP " + strings.ToUpper(d.stepID) + " AGAIN"
		b.text(st.Text, "The run goes on as if step "+stepWhat(s, d.stepID)+" had finished.")
		b.text(st.Text, "Why is that safe? "+signed)
	}
	// With two fields, "›" marks the one keys go to.
	field := func(in lineInput, focus int) {
		if d.limit == nil {
			b.raw(in.View(b.inner, st))
			return
		}
		mark := "  "
		if in.blur = d.focus != focus; !in.blur {
			mark = "› "
		}
		b.raw(st.Accent.Render(mark) + in.View(b.inner-2, st))
	}
	b.blank()
	field(d.input, 0)
	b.text(st.Muted, fmt.Sprintf("at least %d characters · %d typed", minJustification, len([]rune(strings.TrimSpace(d.input.Value())))))
	if l := d.limit; l != nil {
		b.blank()
		t := journal.TriggerPayload{Trigger: l.spec.trigger, Observed: l.spec.observed}
		if pd := s.Pending; pd != nil && pd.Trigger != nil {
			t = *pd.Trigger
		}
		b.text(st.Text, "New limit you accept — "+l.spec.what()+":")
		b.text(st.Muted, fmt.Sprintf("observed %s · threshold %s · at least the observed value",
			fmtTrigger(t.Trigger, t.Observed), fmtTrigger(t.Trigger, t.Threshold)))
		field(l.input, 1)
		b.text(st.Muted, "empty: acknowledge at the observed value (raises again if it doubles)")
	}
	return heading
}

// typeIDBody asks for the migration id before a destructive command; it
// returns the heading.
func (m Model) typeIDBody(b *dialogBody, d *dialog) string {
	st, s, id := m.c.Styles, m.state, m.rollbackWord()
	var heading, what string
	switch d.purpose {
	case forRollback:
		heading, what = "ROLL BACK "+id, "This stops the migration and runs the rollback procedure."
	case forContinue:
		heading, what = "CONTINUE WITHOUT STEP "+strings.ToUpper(d.stepID), "The run goes on without step "+stepWhat(s, d.stepID)+"."
	case forSkip:
		heading, what = "SKIP STEP "+strings.ToUpper(d.stepID), "Step "+stepWhat(s, d.stepID)+" will not run."
	case forAbort:
		heading, what = "ABORT "+id, "The run stops here; no rollback runs."
	}
	b.text(st.Text, what)
	b.text(st.Text, "To confirm, type the migration id:")
	b.text(st.Bold, id)
	if d.cmd.Text != "" {
		b.text(st.Muted, "reason: “"+d.cmd.Text+"”")
	}
	b.blank()
	b.raw(d.input.View(b.inner, st))
	return heading
}

// rerunBody asks whether a step cut short by a stopped process runs again.
func (m Model) rerunBody(b *dialogBody, d *dialog) {
	st, s := m.c.Styles, m.state
	b.text(st.Bold, "Step "+stepWhat(s, d.stepID)+" was running when the last process stopped; it may have had side effects. Run it again?")
	plan := planStep(s, d.stepID)
	if plan.Run != "" {
		b.text(st.Accent, "$ "+plan.Run)
	}
	if plan.Undo != "" {
		b.text(st.Muted, "undo: "+plan.Undo)
	}
	b.blank()
	b.text(st.Muted, "Anyone at the console may answer; the answer is journaled with your name.")
}

// triggerBody writes the trigger's message, numbers, evidence, question and
// who may decide.
func (m Model) triggerBody(b *dialogBody) {
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
	b.text(st.Danger, name)
	if t.Message != "" {
		b.text(st.Text, t.Message)
	}
	if t.Trigger != "" && !m.failedPending() {
		b.text(st.Text, "observed "+fmtTrigger(t.Trigger, t.Observed)+" · threshold "+fmtTrigger(t.Trigger, t.Threshold))
	}
	if ev := fmtEvidence(t.Evidence); ev != "" {
		b.text(st.Muted, "evidence: "+ev)
	}
	b.blank()
	q := pd.Question
	switch {
	case m.failedPending():
		q = "Retry step " + pd.StepID + ", roll back " + m.rollbackWord() + ", or continue without it?"
	case q == "":
		q = "Roll back " + m.rollbackWord() + ", or continue with a written justification?"
	}
	b.text(st.Bold, q)
	if r := m.decideReason(); r != "" {
		b.blank()
		b.text(st.Reason, r)
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
