package assess

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/tightrope/tightrope/human"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
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
		add("%s %s: %d rows, %s, read %d at %.0f rows/s, %s; would reject %d (%s)%s",
			t.Step, t.Table, t.Rows, human.Bytes(t.Bytes), t.Read, t.ReadRate, WriteWords(t), t.Rejected, pct(t.RejectRate()), est)
		for _, m := range t.Mapping {
			if m.Note != "" {
				add("  %s: %s → %s: %s", m.Column, m.Source, m.Target, m.Note)
			}
		}
		for _, g := range t.Rejects {
			add("  %s %s: %d rows", g.Column, g.Reason, g.Predicted)
			for _, e := range g.Examples[:min(3, len(g.Examples))] {
				add("    e.g. %s", ExampleText(e))
			}
		}
	}
	for _, s := range r.Steps {
		add("%s", StepWords(s))
	}
	for _, s := range r.Snapshots {
		add("%s", SnapshotWords(s))
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

// ExampleText says a rejected row as its key and value in JSON:
// `[42] = "n/a"`.
func ExampleText(e Example) string { return jsonText(e.Key) + " = " + jsonText(e.Value) }

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// WriteWords says a table's write rate and where it comes from.
func WriteWords(t TableResult) string {
	switch {
	case t.WriteRate <= 0:
		return "write rate unknown"
	case t.WriteFrom == journal.WriteMeasured:
		return fmt.Sprintf("write %.0f rows/s (measured on a scratch table)", t.WriteRate)
	}
	return fmt.Sprintf("write %.0f rows/s (last recorded copy, %s)", t.WriteRate, filepath.Base(t.WriteFrom))
}

// StepWords says a copy step's predicted duration.
func StepWords(s StepPrediction) string {
	if !s.WriteKnown {
		return fmt.Sprintf("%s: %d rows, at least %s at the measured read rate (write rate unknown)", s.Step, s.Rows, s.Predicted.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s: %d rows, about %s (read %s, write %s)", s.Step, s.Rows, s.Predicted.Round(time.Millisecond),
		s.ReadTime.Round(time.Millisecond), s.WriteTime.Round(time.Millisecond))
}

// SnapshotWords says a snapshot step's predicted size, the free disk where
// it goes, and its predicted restore time against the RTO.
func SnapshotWords(s SnapshotResult) string {
	out := fmt.Sprintf("%s: snapshot of %s about %s", s.Step, s.Of, human.Bytes(s.Size))
	switch {
	case s.InServer:
		out += " (on the server)"
	case s.Dir == "":
	case s.FreeKnown:
		out += fmt.Sprintf(", %s free in %s", human.Bytes(s.Free), s.Dir)
	default:
		out += ", free space in " + s.Dir + " unknown"
	}
	if s.RestoreFrom == "" {
		return out + "; restore time unknown (no restore recorded)"
	}
	out += fmt.Sprintf("; restore of %d rows about %s", s.Rows, s.Restore.Round(time.Millisecond))
	if s.RTO > 0 {
		verdict := "within"
		if s.Restore > s.RTO {
			verdict = "OVER"
		}
		out += fmt.Sprintf(", %s the RTO of %s", verdict, s.RTO)
	}
	return out
}
