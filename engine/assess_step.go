package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/tightrope/tightrope/engine/assess"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// assessStep runs the assessment of `tightrope assess` inside the run,
// reading only, journals its result and summary, and raises the
// assessment trigger when it found a blocker, so the decision-maker
// decides before a single row moves.
func (c *Conductor) assessStep(ctx context.Context, step runbooks.Step) error {
	sample, err := assess.ParseSample(step.Sample)
	if err != nil {
		return err
	}
	res, err := assess.Run(ctx, assess.Options{
		Runbook: c.opts.Runbook, BaseDir: c.opts.BaseDir, Sample: sample, Now: c.opts.Now, MeasureWrite: step.MeasureWrite,
		SnapshotDir: c.opts.SnapshotDir, History: assess.Journals(filepath.Dir(c.opts.Journal.Path())),
	})
	if err != nil {
		return err
	}
	if _, err := c.emit(c.opts.Operator, step.ID, journal.Assessed, *res); err != nil {
		return err
	}
	for _, line := range assess.Lines(res) {
		stream := "info"
		if strings.HasPrefix(line, "BLOCKER") || strings.HasPrefix(line, "WARNING") {
			stream = "warn"
		}
		c.logf(step.ID, stream, "%s", line)
	}
	if !res.Blocked() {
		return nil
	}
	return c.judge(ctx, assessment(step.ID, res))
}

// assessment is the assessment trigger's observation: the blockers found.
func assessment(stepID string, res *journal.AssessmentPayload) measure {
	var blockers []string
	for _, f := range res.Findings {
		if f.Grade == journal.GradeBlocker {
			where := strings.Trim(strings.Join([]string{f.Step, f.Table, f.Column}, "."), ".")
			blockers = append(blockers, where+": "+f.Message)
		}
	}
	n := len(blockers)
	return measure{
		trigger: runbooks.TriggerAssessment, stepID: stepID, observed: float64(n),
		message: func(float64) string {
			return fmt.Sprintf("the assessment found %d blocker(s): %s", n, strings.Join(blockers, "; "))
		},
		evidence: map[string]any{"blockers": blockers, "sample": res.Sample},
	}
}
