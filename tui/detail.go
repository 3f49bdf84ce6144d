package tui

import (
	"fmt"
	"strings"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// detailPane shows the step that matters now: what it is, who owns it, its
// instructions and checklist, the command it runs, the question it asks.
type detailPane struct {
	stateFrame
	c    *Common
	sent map[string]map[int]bool // checklist ticks sent but not yet journaled
}

func newDetail(c *Common) *detailPane {
	p := &detailPane{c: c}
	p.render = p.lines
	return p
}

// focusStepID is the step the console is about: the one waiting for a
// person, else the running one, else the last one that ran, else the next.
func focusStepID(s journal.State) string {
	if s.Pending != nil && s.Pending.StepID != "" {
		return s.Pending.StepID
	}
	if s.Current != "" {
		return s.Current
	}
	last := ""
	for _, st := range s.Steps {
		if !st.StartedAt.IsZero() {
			if last == "" || !st.StartedAt.Before(stepByID(s, last).StartedAt) {
				last = st.ID
			}
		}
	}
	if last != "" {
		return last
	}
	for _, st := range s.Steps {
		if st.Status == journal.StatusPending && !st.Rollback {
			return st.ID
		}
	}
	return ""
}

// stepByID finds a step's state; the rollback copy wins while rolling back.
func stepByID(s journal.State, id string) journal.StepState {
	var found journal.StepState
	for _, st := range s.Steps {
		if st.ID == id && (found.ID == "" || (st.Rollback && s.RollingBack)) {
			found = st
		}
	}
	return found
}

// planStep is the runbook's definition of a step, if the runbook is known.
func planStep(s journal.State, id string) runbooks.Step {
	if s.Runbook != nil {
		if st, ok := s.Runbook.StepByID(id); ok {
			return st
		}
	}
	return runbooks.Step{ID: id}
}

func (p *detailPane) lines(w, h int) []string {
	st, s := p.c.Styles, p.state
	id := focusStepID(s)
	if id == "" {
		return []string{heading(st, "NOW", w, ""), st.Muted.Render("nothing running")}
	}
	ss, plan := stepByID(s, id), planStep(s, id)
	now := p.c.clockAt(s)
	var status string
	switch ss.Status {
	case journal.StatusRunning, journal.StatusWaiting, journal.StatusDone, journal.StatusFailed:
		status = ss.Status + " " + fmtDur(stepDuration(ss, now))
	default:
		status = ss.Status
	}
	head := []string{heading(st, "STEP "+strings.ToUpper(id), w, st.Muted.Render(status))}
	title := ss.Title
	if title == "" {
		title = plan.DisplayTitle()
	}
	head = append(head, st.Bold.Render(truncate(title, w)))
	meta := []string{ss.Kind}
	if ss.Kind == "" {
		meta[0] = plan.Kind
	}
	if plan.Owner != "" {
		meta = append(meta, "owner "+plan.Owner)
	}
	if ss.Expected > 0 {
		meta = append(meta, "expected "+fmtObjective(ss.Expected))
	}
	if ss.Attempts > 1 {
		meta = append(meta, fmt.Sprintf("attempt %d", ss.Attempts))
	}
	head = append(head, st.Muted.Render(truncate(strings.Join(meta, " · "), w)))
	if ss.Error != "" {
		mark, style := "✗ ", st.Danger
		if ss.Status == journal.StatusSkipped { // the reason it was skipped, not a failure
			mark, style = "↷ ", st.Muted
		}
		for _, l := range wrap(mark+ss.Error, w) {
			head = append(head, style.Render(l))
		}
	}

	// What the step is: the checklist and the question are essential; the
	// instructions and the command text give way when space is short.
	var must []string
	if n := len(plan.Checklist); n > 0 {
		must = append(must, p.checklist(ss, plan, w)...)
	}
	q := plan.Question
	if s.Pending != nil && s.Pending.StepID == id && s.Pending.Question != "" && s.Pending.Kind != journal.AwaitTrigger {
		q = s.Pending.Question
	}
	if q != "" {
		for _, l := range wrap("? "+q, w) {
			must = append(must, st.Attention.Render(l))
		}
	}
	if wl := p.waitingLine(id); wl != "" {
		must = append(must, wl)
	}
	var instr, cmd []string
	if plan.Instructions != "" {
		for _, l := range wrap(plan.Instructions, w) {
			instr = append(instr, st.Text.Render(l))
		}
	}
	cmd = p.commandLines(plan, w)

	room := h - len(head) - len(must)
	cmd = shorten(cmd, max(room-min(len(instr), 2), 0), st)
	instr = shorten(instr, max(room-len(cmd), 0), st)
	out := append(head, instr...)
	// Keep the order a person reads: instructions, checklist, command, question.
	nCheck := 0
	if len(plan.Checklist) > 0 {
		nCheck = len(plan.Checklist) + 1
	}
	out = append(out, must[:nCheck]...)
	out = append(out, cmd...)
	return append(out, must[nCheck:]...)
}

// checklist renders the items with ticks; the next item to tick is marked.
func (p *detailPane) checklist(ss journal.StepState, plan runbooks.Step, w int) []string {
	st := p.c.Styles
	sent := p.sent[ss.ID]
	ticked := 0
	for i := range plan.Checklist {
		if i < len(ss.Checked) && ss.Checked[i] {
			ticked++
		}
	}
	out := []string{st.Muted.Render(fmt.Sprintf("checklist %d/%d", ticked, len(plan.Checklist)))}
	next := true
	for i, item := range plan.Checklist {
		done := i < len(ss.Checked) && ss.Checked[i]
		var line string
		switch {
		case done:
			line = st.OK.Render("  [✓] ") + st.Text.Render(item)
		case sent[i]:
			line = st.Muted.Render("  [~] " + item + " (sent)")
		case next:
			line = st.Attention.Render("  [ ] "+item) + st.Muted.Render("  ← space")
			next = false
		default:
			line = st.Text.Render("  [ ] " + item)
		}
		out = append(out, truncate(line, w))
	}
	return out
}

// commandLines is the command or SQL a step runs, or what it copies: its
// kind's entry in stepDetails, or defaultDetail.
func (p *detailPane) commandLines(plan runbooks.Step, w int) []string {
	if detail, ok := stepDetails[plan.Kind]; ok {
		return detail(p.c.Styles, plan, w)
	}
	return defaultDetail(p.c.Styles, plan, w)
}

// stepDetail renders what a step of one kind does, for the detail pane.
type stepDetail func(st *Styles, plan runbooks.Step, w int) []string

// stepDetails are the kinds whose detail defaultDetail does not say well.
var stepDetails = map[string]stepDetail{
	runbooks.KindSQL: func(st *Styles, plan runbooks.Step, w int) []string {
		out := []string{st.Muted.Render("SQL on " + plan.On + ":")}
		for _, l := range wrap(plan.Run, w-2) {
			out = append(out, st.Accent.Render("  "+l))
		}
		return out
	},
	runbooks.KindSnapshot: func(st *Styles, plan runbooks.Step, w int) []string {
		return []string{st.Muted.Render(truncate("snapshot of "+plan.Of, w))}
	},
	runbooks.KindRestore: func(st *Styles, plan runbooks.Step, w int) []string {
		return []string{st.Muted.Render(truncate("restore snapshot "+plan.Snapshot, w))}
	},
}

// defaultDetail shows what a step of any kind may carry: the command it
// runs and its undo (shell, switch), the tables it moves with its batch and
// parallelism (copy, verify, cdc-start), how long it waits.
func defaultDetail(st *Styles, plan runbooks.Step, w int) []string {
	var out []string
	if plan.Run != "" {
		for _, l := range wrap("$ "+plan.Run, w) {
			out = append(out, st.Accent.Render(l))
		}
	}
	if plan.Undo != "" {
		out = append(out, st.Muted.Render(truncate("undo: "+plan.Undo, w)))
	}
	if plan.All || len(plan.Tables) > 0 {
		tables := strings.Join(plan.Tables, ", ")
		if plan.All {
			tables = "all tables"
		}
		line := plan.Kind + " " + tables
		if plan.Batch > 0 {
			line += fmt.Sprintf(" · batch %d", plan.Batch)
		}
		if plan.Parallel > 1 {
			line += fmt.Sprintf(" · parallel %d", plan.Parallel)
		}
		out = append(out, st.Muted.Render(truncate(line, w)))
	}
	if plan.Duration > 0 {
		out = append(out, st.Muted.Render(truncate("wait "+fmtObjective(plan.Duration), w)))
	}
	return out
}

// waitingLine says who the step waits for and which keys answer it.
func (p *detailPane) waitingLine(id string) string {
	st, pd := p.c.Styles, p.state.Pending
	if pd == nil || pd.StepID != id {
		return ""
	}
	switch pd.Kind {
	case journal.AwaitManual:
		return st.Attention.Render("⏸ waiting for the operator: tick each item (space), then confirm (enter)")
	case journal.AwaitGate:
		return st.Attention.Render("⏸ waiting for " + decider(p.state) + ": g go · n no-go")
	case journal.AwaitTrigger:
		if holdsOnFailure(pd) {
			return st.Danger.Render("⚠ waiting for " + decider(p.state) + " to decide: retry, roll back or continue without it")
		}
		return st.Danger.Render("⚠ waiting for " + decider(p.state) + " to decide: roll back or continue")
	case journal.AwaitRerun:
		return st.Attention.Render("⏸ it may have had side effects: run it again (y) or skip it (s)? anyone may answer (d)")
	}
	return ""
}

// shorten keeps at most n lines; from two lines up the last one says how
// many were cut.
func shorten(lines []string, n int, st *Styles) []string {
	switch {
	case len(lines) <= n:
		return lines
	case n <= 0:
		return nil
	case n == 1:
		return lines[:1]
	}
	return append(lines[:n-1:n-1], st.Muted.Render(fmt.Sprintf("… %d more lines", len(lines)-n+1)))
}

// decider is who may answer gates and triggers.
func decider(s journal.State) string {
	if s.Runbook != nil && s.Runbook.DecisionMaker != "" {
		return s.Runbook.DecisionMaker
	}
	if s.Pending != nil && s.Pending.Who != "" {
		return s.Pending.Who
	}
	return "the decision-maker"
}
