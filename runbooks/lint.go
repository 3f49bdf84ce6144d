package runbooks

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Lint returns non-fatal warnings about a valid runbook, sorted by
// position: things that are allowed but are probably a mistake in a
// cutover plan. It never fails; a Runbook built by hand gets positions at
// line 1 unless its steps carry Line and Col.
func Lint(rb *Runbook) []Warning {
	l := linter{rb: rb, lines: strings.Split(strings.ReplaceAll(string(rb.Text), "\r\n", "\n"), "\n")}
	if len(rb.Rollback) == 0 {
		l.warnKey("steps", "no rollback steps: if the cutover goes wrong there is no written way back")
	}
	if rb.Objectives.Expected == 0 {
		l.warnKey("objectives", "objectives has no expected duration: elapsed time and the overrun trigger have nothing to measure against")
	}
	if !l.hasKind(rb.Steps, KindGate) && !l.hasKind(rb.Steps, KindSwitch) { // a switch asks go / no-go itself
		l.warnKey("steps", "no gate step: nobody gives go / no-go before the point of no return")
	}
	if rb.Strategy == "cdc" && !l.hasKind(rb.Steps, KindCDCStart) {
		l.warnKey("strategy", "strategy is cdc but no cdc-start step captures changes")
	}
	if rb.Strategy == "blue-green" && !slices.ContainsFunc(rb.Steps, func(st Step) bool { return st.Kind == KindSwitch && (st.Replication != "" || rb.ReplicatesBack(st)) }) {
		l.warnKey("strategy", "strategy is blue-green but no switch step names a replicate step (replication:) nor switches a pair a cdc-start step captures: nothing keeps green in step or turns replication around. "+
			"Either a replicate step and a switch with replication: naming it (PostgreSQL to PostgreSQL, native replication), or cdc-start, copy, cdc-catchup and a switch of the same from/to (tightrope's own capture, across engines)")
	}
	snapshotTaken := false
	frozen := map[string]bool{}
	for _, st := range rb.Steps {
		switch st.Kind {
		case KindFreeze:
			frozen[st.On] = true
		case KindUnfreeze:
			frozen[st.On] = false
		case KindSwitch:
			if !frozen[st.From] && st.Replication == "" && !rb.CaptureBlueGreen(st) { // a blue-green switch freezes from itself
				l.warnStep(st, "switch step %q has no freeze of %s before it: its frozen precondition fails and the hook never runs", st.ID, st.From)
			}
		case KindSnapshot:
			snapshotTaken = true
		case KindCopy:
			if rb.Strategy == "snapshot" && !snapshotTaken {
				l.warnStep(st, "strategy is snapshot but no snapshot step runs before copy step %q: rollback would have nothing to restore", st.ID)
				snapshotTaken = true // say it once
			}
		case KindRestore:
			l.warnStep(st, "restore step %q is in steps, not rollback: it runs on every cutover", st.ID)
		}
	}
	sort.SliceStable(l.out, func(i, j int) bool {
		if l.out[i].Line != l.out[j].Line {
			return l.out[i].Line < l.out[j].Line
		}
		return l.out[i].Col < l.out[j].Col
	})
	return l.out
}

// linter collects warnings for one runbook.
type linter struct {
	rb    *Runbook
	lines []string
	out   []Warning
}

func (l *linter) hasKind(steps []Step, kind string) bool {
	for _, st := range steps {
		if st.Kind == kind {
			return true
		}
	}
	return false
}

// warnKey warns at a top-level key, or at line 1 when it is absent.
func (l *linter) warnKey(key, msg string) {
	p, ok := l.rb.at[key]
	if !ok {
		p = position{line: 1, col: 1, width: 1}
	}
	l.warnAt(p, "%s", msg)
}

// warnStep warns at a step.
func (l *linter) warnStep(st Step, format string, args ...any) {
	l.warnAt(position{line: st.Line, col: st.Col, width: 1}, format, args...)
}

func (l *linter) warnAt(p position, format string, args ...any) {
	if p.line < 1 {
		p.line, p.col = 1, 1
	}
	src := ""
	if len(l.rb.Text) > 0 && p.line <= len(l.lines) {
		src = l.lines[p.line-1]
	}
	l.out = append(l.out, Warning{
		File: l.rb.Path, Line: p.line, Col: max(p.col, 1), Width: p.width,
		Msg: fmt.Sprintf(format, args...), Source: src,
	})
}
