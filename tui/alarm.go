package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// bannerLines is the line(s) under the header that say what the run needs
// from people: the trigger ALARM (which cannot be missed: it stays, dialog
// hidden or not, until someone decides), a rerun question, a gate or
// manual step waiting, a rollback running, or the end of the run; then
// the pause, and the early warnings in one quieter line.
func (m Model) bannerLines(w int) []string {
	if m.closed {
		return []string{m.endLine(w)}
	}
	out := m.needLines(w)
	st, s := m.c.Styles, m.state
	if l := m.live; l != nil && l.Stopped && s.Outcome == "" {
		out = append([]string{st.Alarm.Render(padRight(truncate(" ■ "+l.stoppedText(m.c.Now()), w), w))}, out...)
	}
	if s.Paused {
		out = append(out, st.Attention.Render(truncate(" ⏸ PAUSED by "+orNobody(s.PausedBy)+
			" — the run holds at its next safe point · p resumes", w)))
	}
	if wl := warningsLine(s); wl != "" {
		out = append(out, st.Warn.Render(truncate(" △ "+wl, w)))
	}
	return out
}

// needLines is the first part of the banner: what the run waits for.
func (m Model) needLines(w int) []string {
	st, s := m.c.Styles, m.state
	pd := s.Pending
	switch {
	case pd != nil && pd.Kind == journal.AwaitTrigger:
		return m.alarmLines(w)
	case s.RollingBack && s.Rollback == nil:
		return []string{st.Alarm.Render(padRight(" ↺ ROLLING BACK since "+s.RollbackAt.Format("15:04:05")+
			" — the rollback procedure is running", w))}
	case pd != nil && pd.Kind == journal.AwaitGate:
		q := pd.Question
		if q == "" {
			q = planStep(s, pd.StepID).Question
		}
		return []string{st.Attention.Render(truncate(fmt.Sprintf("⏸ GATE %s: %s — waiting for %s (g go · n no-go)",
			pd.StepID, q, decider(s)), w))}
	case pd != nil && pd.Kind == journal.AwaitManual:
		return []string{st.Attention.Render(truncate(fmt.Sprintf("⏸ MANUAL %s: %s — waiting for the operator (space ticks · enter confirms)",
			pd.StepID, stepByID(s, pd.StepID).Title), w))}
	case pd != nil && pd.Kind == journal.AwaitRerun:
		return []string{st.Attention.Render(truncate(fmt.Sprintf("⏸ RERUN? step %s was running when the last process stopped — anyone may answer (d)",
			stepWhat(s, pd.StepID)), w))}
	case pd != nil:
		return []string{st.Attention.Render(truncate("⏸ waiting: "+pd.Question, w))}
	}
	return nil
}

// warningsLine is the latest warning of each kind ("window: closes in
// 18m · rto: …"), oldest kind first, then any events the fold could not
// read; "" when there is none.
func warningsLine(s journal.State) string {
	var kinds []string
	latest := map[string]string{}
	for _, wp := range s.Warnings {
		k := wp.Kind
		if k == "" {
			k = "warning"
		}
		if _, seen := latest[k]; !seen {
			kinds = append(kinds, k)
		}
		latest[k] = wp.Message
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = k + ": " + latest[k]
	}
	if n := len(s.Problems); n > 0 { // events whose payload did not decode
		parts = append(parts, fmt.Sprintf("journal: %d unreadable event(s), first %s", n, s.Problems[0]))
	}
	return strings.Join(parts, " · ")
}

// failedNotifications counts notifier runs that failed.
func failedNotifications(s journal.State) int {
	n := 0
	for _, p := range s.Notifications {
		if !p.OK {
			n++
		}
	}
	return n
}

// endLine is shown once the session has closed.
func (m Model) endLine(w int) string {
	st, s := m.c.Styles, m.state
	msg := " run finished"
	style := st.OK
	switch s.Outcome {
	case journal.OutcomeFinished:
		msg = " ✓ run finished in " + fmtDur(s.Elapsed())
	case journal.OutcomeRolledBack:
		msg, style = " ↺ run rolled back after "+fmtDur(s.Elapsed()), st.Warn
	case "":
		msg, style = " run ended without an outcome (interrupted; resume it from the journal)", st.Warn
	default:
		msg, style = " ✗ run "+s.Outcome, st.Danger
		if s.OutcomeErr != "" {
			msg += ": " + s.OutcomeErr
		}
	}
	return style.Render(truncate(msg+" — press q to quit", w))
}

// alarmLines: the trigger, observed against threshold, the evidence, and who
// must decide (kept on the first line whatever its width).
func (m Model) alarmLines(w int) []string {
	st, s := m.c.Styles, m.state
	pd := s.Pending
	t := journal.TriggerPayload{Message: pd.Question}
	if pd.Trigger != nil {
		t = *pd.Trigger
	}
	head := " ⚠ ALARM"
	switch {
	case m.failedPending():
		head += " · step " + pd.StepID + " failed"
	case t.Trigger != "":
		head += " · " + t.Trigger
		if t.Table != "" {
			head += " on " + t.Table
		}
		head += ": " + fmtTrigger(t.Trigger, t.Observed) + " > " + fmtTrigger(t.Trigger, t.Threshold)
	}
	who := " decision: " + decider(s) + " "
	line := head + " ·" + who
	if width(line) > w {
		line = spread(head, who, w) // the name stays; the trigger gives way
	}
	out := []string{st.Alarm.Render(padRight(line, w))}
	if t.Message != "" {
		out = append(out, st.AlarmText.Render(truncate("   "+t.Message, w)))
	}
	if ev := fmtEvidence(t.Evidence); ev != "" {
		out = append(out, st.AlarmText.Render(truncate("   evidence: "+ev, w)))
	}
	if !m.deciding() {
		what := "roll back or continue"
		if m.failedPending() {
			what = "retry, roll back or continue without it"
		}
		if r := m.decideReason(); r != "" {
			out = append(out, st.Reason.Render(truncate("   "+r+" ("+what+")", w)))
		} else if m.player == nil {
			out = append(out, st.AlarmText.Render(truncate("   press d to decide: "+what, w)))
		}
	}
	return out
}

// fmtEvidence prints evidence as "k=v · k=v", keys sorted.
func fmtEvidence(ev map[string]any) string {
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmtEvidenceItem(k, ev[k])
	}
	return strings.Join(parts, " · ")
}

// fmtEvidenceItem prints one piece of evidence as a person reads it:
// "elapsed 4.5s" rather than "elapsed_ms=4,515".
func fmtEvidenceItem(k string, v any) string {
	name := strings.ReplaceAll(strings.TrimSuffix(k, "_ms"), "_", " ")
	if ms, ok := v.(float64); ok && strings.HasSuffix(k, "_ms") {
		return name + " " + fmtDur(time.Duration(ms)*time.Millisecond)
	}
	return name + " " + fmtValue(v)
}

// fmtValue prints an evidence value; JSON numbers arrive as float64.
func fmtValue(v any) string {
	switch v := v.(type) {
	case float64:
		if v == float64(int64(v)) {
			return fmtInt(int64(v))
		}
		return fmt.Sprintf("%g", v)
	default:
		return fmt.Sprint(v)
	}
}

// deciding reports whether a dialog answering the trigger is open (the
// alarm then does not need to say how to open one).
func (m Model) deciding() bool {
	for _, d := range m.dialogs {
		if d.pending {
			return true
		}
	}
	return false
}
