package plan

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tightrope/tightrope/internal/safetext"
)

// mdText escapes runbook text for Markdown: terminal controls made
// visible, the characters that format inline (emphasis, code, links,
// tables, HTML) backslashed, and what would open a block at the start of a
// line (a heading, a list, a quote) too.
func mdText(s string) string {
	s = safetext.Line(s)
	var b strings.Builder
	for i, r := range s {
		if strings.ContainsRune("\\`*_{}[]<>|&~", r) || (i == 0 && strings.ContainsRune("#+-=>!", r)) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	out := b.String()
	// "1. text" or "1) text" would open an ordered list
	digits := len(out) - len(strings.TrimLeft(out, "0123456789"))
	if digits > 0 && digits < len(out) && (out[digits] == '.' || out[digits] == ')') {
		out = out[:digits] + "\\" + out[digits:]
	}
	return out
}

// mdCode puts text in a fenced block long enough that no run of
// backticks inside it closes the block.
func mdCode(lines []string) string {
	body := safetext.Text(strings.Join(lines, "\n"))
	fence := "```"
	for strings.Contains(body, fence) {
		fence += "`"
	}
	return fence + "\n" + body + "\n" + fence + "\n"
}

// Markdown writes the document as Markdown.
func (d Document) Markdown(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Migration plan: %s\n\n", mdText(d.Name))
	p("Migration %s · runbook %s · sha256 `%s`\n\n", mdText(d.MigrationID), mdText(d.Path), d.SHA256)
	p("## Objectives\n\n")
	for _, o := range d.Objectives {
		p("- %s\n", mdText(o))
	}
	if d.PlannedTotal != "" {
		p("- The steps' expected durations add up to %s.\n", mdText(d.PlannedTotal))
	}
	p("\n## Strategy: %s\n\n%s\n\n", mdText(d.Strategy), mdText(d.StrategyWhy))
	p("## Who decides\n\n%s is the decision-maker: the only person who answers the go / no-go gates and the rollback triggers.\n\n", mdText(d.DecisionMaker))
	if len(d.Notify) > 0 {
		p("How the room is told:\n\n")
		for _, n := range d.Notify {
			p("- %s\n", mdText(n))
		}
		p("\n")
	} else {
		p("The runbook has no notification plan.\n\n")
	}
	if len(d.Connections) > 0 {
		p("## Databases\n\n")
		for _, c := range d.Connections {
			p("- %s\n", mdText(c))
		}
		p("\n")
	}
	p("## Rollback triggers\n\n")
	if len(d.Triggers) == 0 {
		p("No trigger is watched.\n\n")
	}
	for _, t := range d.Triggers {
		p("- %s\n", mdText(t))
	}
	if len(d.Triggers) > 0 {
		p("\n")
	}
	p("## Steps\n\n")
	mdSteps(&b, d.Steps)
	p("## Rollback procedure\n\n")
	if len(d.Rollback) == 0 {
		p("The runbook has no rollback procedure.\n\n")
	}
	mdSteps(&b, d.Rollback)
	if d.RestoreTime != "" {
		p("**Restore time:** %s\n\n", mdText(d.RestoreTime))
	}
	if a := d.Assessment; a != nil && a.RestorePredicted != "" {
		p("**Predicted restore time:** %s\n\n", mdText(a.RestorePredicted))
	}
	mdAssessment(&b, d.Assessment)
	p("## Drill history\n\n")
	if len(d.Drills) == 0 {
		p("No drill journals were found: the rollback has not been rehearsed with tightrope drill.\n\n")
	}
	for _, h := range d.Drills {
		p("| date | scenario | time to restore | RTO | RTO met | scorecard |\n|---|---|---|---|---|---|\n")
		for _, e := range h.Drills {
			sc := e.Scenario
			if sc == "" {
				sc = strings.Join(e.Faults, " ")
			}
			met := "-"
			if e.RolledBack {
				met = map[bool]string{true: "yes", false: "**no**"}[e.RTOMet]
			}
			p("| %s | %s | %s | %s | %s | %s |\n", e.StartedAt.UTC().Format("2006-01-02 15:04"), mdText(sc), msWords(e.RestoreMS),
				time.Duration(e.RTOMS*int64(time.Millisecond)), met, map[bool]string{true: "pass", false: "**FAIL**"}[e.Pass])
		}
		p("\n%s\n\n", mdText(h.Consistency))
	}
	if d.DryRun != "" {
		p("## Exact commands (tightrope run \\-\\-dry\\-run)\n\n")
		b.WriteString(mdCode([]string{d.DryRun}) + "\n")
	}
	p("## Approvals\n\n")
	mdApprovals(&b, d)
	_, err := io.WriteString(w, b.String())
	return err
}

func msWords(p *int64) string {
	if p == nil {
		return "-"
	}
	return (time.Duration(*p) * time.Millisecond).Round(time.Millisecond).String()
}

func mdSteps(b *strings.Builder, steps []Step) {
	for _, s := range steps {
		fmt.Fprintf(b, "### %d. %s (`%s`, %s)\n\n", s.N, mdText(s.Title), mdText(s.ID), mdText(s.Kind))
		var facts []string
		if s.Owner != "" {
			facts = append(facts, "owner: "+mdText(s.Owner))
		}
		if s.Expected != "" {
			facts = append(facts, "expected: "+mdText(s.Expected))
		}
		if s.OnFailure != "" {
			facts = append(facts, mdText(s.OnFailure))
		}
		if len(facts) > 0 {
			fmt.Fprintf(b, "%s\n\n", strings.Join(facts, " · "))
		}
		fmt.Fprintf(b, "%s\n\n", mdText(s.What))
		if s.Instructions != "" {
			fmt.Fprintf(b, "%s\n\n", mdText(s.Instructions))
		}
		for _, c := range s.Checklist {
			fmt.Fprintf(b, "- [ ] %s\n", mdText(c))
		}
		if len(s.Checklist) > 0 {
			b.WriteString("\n")
		}
		if len(s.Commands) > 0 {
			b.WriteString(mdCode(s.Commands) + "\n")
		}
	}
}

func mdApprovals(b *strings.Builder, d Document) {
	if len(d.Required) > 0 {
		fmt.Fprintf(b, "Required before the run may start: %s.\n\n", mdText(strings.Join(d.Required, ", ")))
	}
	if len(d.Approvals) == 0 {
		b.WriteString("Nobody has approved this runbook text yet (tightrope plan RUNBOOK \\-\\-approve \\-\\-as NAME).\n\n")
	}
	for _, a := range d.Approvals {
		fmt.Fprintf(b, "- approved by %s at %s\n", mdText(a.Name), a.At.UTC().Format("2006-01-02 15:04:05Z"))
	}
	if len(d.Approvals) > 0 {
		b.WriteString("\n")
	}
	if len(d.Missing) > 0 {
		fmt.Fprintf(b, "**Missing:** %s.\n", mdText(strings.Join(d.Missing, ", ")))
	}
}
