package assess

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tightrope/tightrope/human"
	"github.com/tightrope/tightrope/internal/safetext"
)

// Lines renders an assessment as plain lines for a terminal or a log:
// every table's numbers and rejects (with a few examples), then every
// finding by grade, then the verdict. Everything read from a database or a
// runbook is escaped.
func Lines(r *Result) []string {
	var out []string
	add := func(format string, a ...any) { out = append(out, safetext.Line(fmt.Sprintf(format, a...))) }
	if r.Sample != "" {
		add("sample %s: the counts below are estimates", r.Sample)
	}
	for _, t := range r.Tables {
		est := ""
		if t.Estimate {
			est = " (estimate: " + t.Sampling + ")"
		}
		add("%s %s: %d rows, %s, read %d at %.0f rows/s; would reject %d (%s)%s",
			t.Step, t.Table, t.Rows, human.Bytes(t.Bytes), t.Read, t.ReadRate, t.Rejected, pct(t.RejectRate()), est)
		for _, m := range t.Mapping {
			if m.Note != "" {
				add("  %s: %s → %s: %s", m.Column, m.Source, m.Target, m.Note)
			}
		}
		for _, g := range t.Rejects {
			add("  %s %s: %d rows", g.Column, g.Reason, g.Predicted)
			for _, e := range g.Examples[:min(3, len(g.Examples))] {
				add("    e.g. %s = %s", jsonText(e.Key), jsonText(e.Value))
			}
		}
	}
	for _, s := range r.Steps {
		add("%s: %d rows, at least %s at the measured read rate", s.Step, s.Rows, s.Predicted.Round(time.Millisecond))
	}
	for _, grade := range []string{Blocker, Warning, Note} {
		for _, f := range r.Findings {
			if f.Grade != grade {
				continue
			}
			where := strings.Trim(strings.Join([]string{f.Step, f.Table, f.Column}, "."), ".")
			if where != "" {
				where += ": "
			}
			add("%s: %s%s", strings.ToUpper(grade), where, f.Message)
		}
	}
	verdict := "no blocker"
	if r.Blocked() {
		verdict = fmt.Sprintf("%d blocker(s)", r.Counts[Blocker])
	}
	add("assessment: %s, %d warning(s), %d note(s)", verdict, r.Counts[Warning], r.Counts[Note])
	return out
}

// Print writes Lines to w.
func Print(w io.Writer, r *Result) error {
	for _, l := range Lines(r) {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	return nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
