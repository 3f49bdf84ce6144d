package scorecard

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tightrope/tightrope/internal/safetext"
)

// Lines is the scorecard as text lines (plain mode and the report): every
// free text from the journal goes through safetext.
func (c Card) Lines() []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	verdict := "PASS"
	if !c.Pass {
		verdict = "FAIL"
	}
	title := "DRILL scorecard"
	if c.Scenario != "" {
		title += " · scenario " + safetext.Line(c.Scenario)
	}
	if c.Expect != "" {
		title += " · expected " + c.Expect
	}
	add("%s · %s", title, verdict)
	for _, in := range c.Injected {
		if in.Error != "" {
			add("  fault      %s NOT injected: %s", safetext.Line(in.Spec), safetext.Line(in.Error))
			continue
		}
		add("  fault      %s injected at %s (%s): %s", safetext.Line(in.Spec), clock(in.At), offset(c.StartedAt, in.At), safetext.Line(in.Detail))
		if !in.HealedAt.IsZero() {
			add("  healed     %s at %s, after %s", safetext.Line(in.Spec), clock(in.HealedAt), in.HealedAt.Sub(in.At).Round(time.Millisecond))
		}
	}
	if len(c.Injected) == 0 {
		add("  fault      none injected")
	}
	if d := c.Detected; d != nil {
		by := d.By
		if d.Trigger != "" {
			by += " " + safetext.Line(d.Trigger)
		}
		add("  detected   at %s by %s, %s after the fault: %s", clock(d.At), by, ms(d.AfterMS), safetext.Line(d.What))
	} else {
		add("  detected   never")
	}
	if c.Resumes > 0 {
		add("  resumed    %d times from the journal, the first at %s, %s after the fault", c.Resumes, clock(c.FirstResumeAt), c.FirstResumeAt.Sub(c.InjectedAt).Round(time.Millisecond))
	}
	if c.Retries > 0 {
		add("  retried    %d operations, the first at %s, %s after the fault", c.Retries, clock(c.FirstRetryAt), c.FirstRetryAt.Sub(c.InjectedAt).Round(time.Millisecond))
	}
	if d := c.Decided; d != nil {
		who := safetext.Line(d.By)
		if d.Auto {
			who += " (--auto-decide)"
		}
		add("  decided    %s at %s by %s, %s after the detection", d.Choice, clock(d.At), who, ms(d.AfterMS))
	} else {
		add("  decided    no decision after the detection")
	}
	if r := c.Rollback; r != nil {
		within := "within"
		if !r.WithinRTO {
			within = "OVER"
		}
		add("  rollback   started %s, finished %s: time to restore %s, %s the RTO of %s", clock(r.StartedAt), clock(r.FinishedAt), ms(r.DurationMS), within, ms(r.RTOMS))
	} else {
		add("  rollback   none")
	}
	for _, r := range c.Restores {
		if r.FallbackFrom != "" {
			add("  damaged    %s: the restore detected it and fell back to %s", safetext.Line(r.FallbackFrom), safetext.Line(r.Snapshot))
		}
		if r.Proven {
			add("  restored   %s (%s) in %s: checksums equal the snapshot manifest", safetext.Line(r.Snapshot), r.Step, ms(r.DurationMS))
		} else {
			add("  restored   %s NOT proven: %s", r.Step, safetext.Line(r.Problem))
		}
	}
	if c.Rollback == nil && c.Outcome != "" {
		exact := "not exact"
		if c.Exact {
			exact = "exact"
		}
		add("  data       the run went on; last verify %s", exact)
	}
	add("  steps      %d followed, %d skipped, %d failed%s", len(c.Followed), len(c.Skipped), len(c.Failed), failedList(c.Failed))
	add("  outcome    %s", orNone(c.Outcome))
	for _, r := range c.Reasons {
		add("  FAIL       %s", safetext.Line(r))
	}
	return out
}

func failedList(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return " (" + safetext.Line(strings.Join(ids, ", ")) + ")"
}

// Print writes the scorecard's lines.
func (c Card) Print(w io.Writer) error {
	for _, l := range c.Lines() {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	return nil
}

// JSON writes the scorecard as indented JSON.
func (c Card) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

func clock(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("15:04:05.000")
}

func offset(start, t time.Time) string {
	if start.IsZero() || t.IsZero() {
		return "-"
	}
	return "+" + t.Sub(start).Round(time.Millisecond).String()
}
