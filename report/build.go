package report

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// builder walks the events once, folding them as it goes, and collects
// what State does not keep: when each thing happened, who did it, which
// question a decision answered, and the refusals. It then walks the
// reject rows once, tallying them. It holds neither: a report of a
// million events takes the memory of its result.
type builder struct {
	r     *Report
	s     journal.State
	first map[string]int // step id → index of its timeline entry
	await *awaiting      // the open question, if any
	rb    *Rollback
	took  map[string]int64 // step id → duration_ms of its last step_finished

	resumedBy []string // operators of run_resumed, in order

	stored       map[string]map[string]*Reason // table → reason → the rows kept in the rejects table
	rejectTables []string                      // tables of the reject rows, in order of first appearance

	drill []journal.Event // every event of a drill's journal (small), for its scorecard; nil for a live run
}

// awaiting is an open question with when it was asked.
type awaiting struct {
	journal.AwaitingPayload
	stepID string
	at     time.Time
}

func newBuilder(name string) *builder {
	return &builder{r: &Report{Journal: name}, first: map[string]int{}, took: map[string]int64{},
		stored: map[string]map[string]*Reason{}}
}

// apply folds one event and records what it adds to the report; payload
// and err are what journal.Decode returned for it.
func (b *builder) apply(e journal.Event, payload any, err error) error {
	b.s.ApplyDecoded(e, payload, err)
	b.event(e, payload, err)
	if b.s.Mode == journal.ModeDrill {
		b.drill = append(b.drill, e)
	}
	return nil
}

// done assembles the report once every event and reject row went in.
func (b *builder) done(vr journal.VerifyReport) *Report {
	b.steps()
	b.summary()
	b.integrity(vr)
	b.data()
	b.cdc()
	b.safetyNet()
	b.r.Lessons = lessons(b.r, &b.s)
	return b.r
}

// offset is the time since the run started, in milliseconds.
func (b *builder) offset(at time.Time) int64 {
	if b.s.StartedAt.IsZero() || at.Before(b.s.StartedAt) {
		return 0
	}
	return ms(at.Sub(b.s.StartedAt))
}

// add appends a timeline entry for e.
func (b *builder) add(e journal.Event, kind, text string) {
	b.r.Timeline = append(b.r.Timeline, Entry{
		Seq: e.Seq, At: e.At, OffsetMS: b.offset(e.At), Kind: kind, StepID: e.StepID, Actor: e.Actor, Text: text,
	})
}

// event records what one event adds to the report; b.s already holds it.
// An event whose payload does not decode is listed as a journal problem
// and adds nothing else.
func (b *builder) event(e journal.Event, payload any, err error) {
	if err != nil {
		b.problem(e, err)
		return
	}
	switch p := payload.(type) {
	case journal.RunStartedPayload:
		text := "mode " + p.Mode
		if p.Fault != "" {
			text += ", fault " + p.Fault
		}
		b.add(e, "run_started", text+", operator "+p.Operator)
	case journal.StepStartedPayload:
		if _, ok := b.first[e.StepID]; !ok {
			b.first[e.StepID] = len(b.r.Timeline)
			b.add(e, "step", "")
		}
		delete(b.took, e.StepID)
	case journal.StepFinishedPayload:
		b.took[e.StepID] = p.DurationMS
	case journal.NotePayload:
		b.add(e, "note", p.Text)
	case journal.AssessmentPayload:
		b.r.Assessment = &p
		b.add(e, "assessment", fmt.Sprintf("%d blocker(s), %d warning(s), %d note(s)", p.Counts[journal.GradeBlocker], p.Counts[journal.GradeWarning], p.Counts[journal.GradeNote]))
	case journal.TriggerPayload:
		b.trigger(e, p)
	case journal.AwaitingPayload:
		b.await = &awaiting{AwaitingPayload: p, stepID: e.StepID, at: e.At}
	case journal.DecisionPayload:
		b.decision(e, p)
	case journal.RefusedPayload:
		b.r.Decisions.Refusals = append(b.r.Decisions.Refusals, Refusal{
			Seq: e.Seq, At: e.At, OffsetMS: b.offset(e.At), StepID: e.StepID, Actor: e.Actor, Choice: p.Choice, Reason: p.Reason,
		})
		b.add(e, "refused", fmt.Sprintf("%s may not %s: %s", e.Actor, p.Choice, p.Reason))
	case journal.WarningPayload:
		b.r.Communication.Warnings = append(b.r.Communication.Warnings, Warning{OffsetMS: b.offset(e.At), Kind: p.Kind, Message: p.Message})
		b.add(e, "warning", p.Kind+": "+p.Message)
	case journal.NotifiedPayload:
		b.r.Communication.Notifications = append(b.r.Communication.Notifications, Notification{
			OffsetMS: b.offset(e.At), Event: string(p.Event), Seq: p.Seq, Target: p.Target, OK: p.OK, Error: p.Error, DurationMS: p.DurationMS,
		})
	case journal.ControlPayload:
		kind := map[journal.Type]string{journal.Paused: "paused", journal.Unpaused: "unpaused",
			journal.StepSkipped: "skipped", journal.SkipRequested: "skip requested", journal.Aborted: "aborted"}[e.Type]
		b.add(e, kind, p.Reason)
	case journal.RunResumedPayload:
		b.await = nil
		b.resumedBy = append(b.resumedBy, p.Operator)
		b.add(e, "resumed", fmt.Sprintf("resumed by %s from event %d", p.Operator, p.FromSeq))
	case journal.VerifyPayload:
		b.r.Data.Verifies = append(b.r.Data.Verifies, Verify{
			Seq: e.Seq, OffsetMS: b.offset(e.At), StepID: e.StepID, Mismatches: p.Mismatches, Tables: p.Tables,
		})
	case journal.RestorePayload:
		b.restore(e.StepID, p)
	case journal.RollbackPayload:
		if e.Type == journal.RollbackFinished {
			b.rollbackFinished(e, p)
			break
		}
		b.rb = &Rollback{Reason: p.Reason, OffsetMS: b.offset(e.At)}
		b.add(e, "rollback_started", p.Reason)
	case journal.RunFinishedPayload:
		text := outcomeText(p.Outcome)
		if p.Error != "" {
			text += ": " + p.Error
		}
		b.add(e, "run_finished", text)
	}
}

// problem lists an event whose payload does not decode.
func (b *builder) problem(e journal.Event, err error) {
	pr := Problem{Seq: e.Seq, Type: string(e.Type), StepID: e.StepID, Error: err.Error()}
	var pe *journal.PayloadError
	if errors.As(err, &pe) {
		pr.Error = pe.Err.Error() // seq and type have their own fields
	}
	b.r.Problems = append(b.r.Problems, pr)
}

// trigger records a trigger with its frozen evidence.
func (b *builder) trigger(e journal.Event, p journal.TriggerPayload) {
	t := Trigger{
		Seq: e.Seq, At: e.At, OffsetMS: b.offset(e.At), StepID: e.StepID, Trigger: p.Trigger, Table: p.Table,
		Observed: p.Observed, Threshold: p.Threshold, Message: p.Message, Evidence: evidence(p.Evidence),
	}
	b.r.Decisions.Triggers = append(b.r.Decisions.Triggers, t)
	text := p.Message
	if text == "" {
		text = fmt.Sprintf("observed %s, threshold %s", fmtTrigger(p.Trigger, p.Observed), fmtTrigger(p.Trigger, p.Threshold))
	}
	b.add(e, "trigger", p.Trigger+": "+text)
}

// decision records a decision with the question it answered and how long
// the question waited, and hands it to the trigger it settles.
func (b *builder) decision(e journal.Event, p journal.DecisionPayload) {
	d := Decision{
		Seq: e.Seq, At: e.At, OffsetMS: b.offset(e.At), StepID: e.StepID, Kind: p.Kind, Actor: e.Actor,
		Choice: p.Choice, Justification: p.Justification, Limit: p.Limit, Trigger: p.Trigger, Auto: p.Auto,
	}
	if a := b.await; a != nil && a.stepID == e.StepID {
		d.Question, d.Who, d.WaitedMS = a.Question, a.Who, ms(e.At.Sub(a.at))
	}
	b.await = nil
	b.r.Decisions.Decisions = append(b.r.Decisions.Decisions, d)
	if p.Kind == journal.AwaitTrigger || p.Trigger != "" {
		// The latest trigger still open, of the same kind when the
		// decision names it, is the one answered.
		ts := b.r.Decisions.Triggers
		for i := len(ts) - 1; i >= 0; i-- {
			if ts[i].Decision == nil && (p.Trigger == "" || ts[i].Trigger == p.Trigger) {
				dc := d
				ts[i].Decision = &dc
				break
			}
		}
	}
	text := p.Choice + " (" + p.Kind + ")"
	if p.Trigger != "" {
		text += " on trigger " + p.Trigger
	}
	if p.Auto {
		text += " [auto-decide]"
	}
	if p.Justification != "" {
		text += " — justification: " + p.Justification
	}
	b.add(e, "decision", text)
}

// restore records a restore, matched with its snapshot's estimate.
func (b *builder) restore(stepID string, p journal.RestorePayload) {
	limit := p.RTOMS
	if limit == 0 {
		limit = ms(b.rto())
	}
	rs := Restore{
		StepID: stepID, Snapshot: p.Snapshot, Connection: p.Connection, DurationMS: p.DurationMS,
		RTOMS: limit, WithinRTO: limit == 0 || p.DurationMS <= limit, Verified: p.Verified,
	}
	for _, t := range p.Tables {
		rs.Rows += t.Rows
	}
	for _, sn := range b.s.Snapshots {
		if sn.Label == p.Snapshot {
			rs.EstRestoreMS = sn.EstRestoreMS
		}
	}
	b.r.SafetyNet.Restores = append(b.r.SafetyNet.Restores, rs)
}

// rollbackFinished closes the rollback, timed against the RTO.
func (b *builder) rollbackFinished(e journal.Event, p journal.RollbackPayload) {
	if b.rb == nil {
		b.rb = &Rollback{Reason: p.Reason, OffsetMS: b.offset(e.At)}
	}
	limit := p.RTOMS
	if limit == 0 {
		limit = ms(b.rto())
	}
	b.rb.Finished, b.rb.DurationMS, b.rb.RTOMS, b.rb.OK = true, p.DurationMS, limit, p.OK
	b.rb.WithinRTO = limit == 0 || p.DurationMS <= limit
	if b.rb.Reason == "" {
		b.rb.Reason = p.Reason
	}
	text := fmt.Sprintf("in %s", vsLimit(dur(p.DurationMS), dur(limit), "RTO"))
	if p.OK {
		text += " · ok"
	} else {
		text += " · FAILED: " + p.Reason
	}
	b.add(e, "rollback_finished", text)
}

// rto is the run's RTO from the runbook, or from a restore's record of it.
func (b *builder) rto() time.Duration {
	if b.s.Runbook != nil {
		return b.s.Runbook.Objectives.RTO
	}
	for _, r := range b.s.Restores {
		if r.RTOMS > 0 {
			return dur(r.RTOMS)
		}
	}
	return 0
}

// steps fills the step entries from the final State: a step's entry sits
// where it first started; steps that never ran follow at the end.
func (b *builder) steps() {
	for _, st := range b.s.Steps {
		step := &Step{
			ID: st.ID, Title: st.Title, Kind: st.Kind, Rollback: st.Rollback, Status: st.Status,
			Attempts: st.Attempts, ExpectedMS: ms(st.Expected), Error: st.Error,
		}
		if b.s.Runbook != nil {
			if plan, ok := b.s.Runbook.StepByID(st.ID); ok {
				step.Owner = plan.Owner
			}
		}
		if !st.StartedAt.IsZero() {
			end := st.FinishedAt
			if end.IsZero() {
				end = b.s.LastAt
			}
			step.DurationMS = ms(max(end.Sub(st.StartedAt), 0))
			if n, ok := b.took[st.ID]; ok && n > 0 && !st.FinishedAt.IsZero() {
				step.DurationMS = n // the engine's own measure
			}
		}
		kind := "step"
		if st.Rollback {
			kind = "rollback_step"
		}
		if i, ok := b.first[st.ID]; ok && b.r.Timeline[i].Step == nil {
			b.r.Timeline[i].Kind, b.r.Timeline[i].Step = kind, step
			continue
		}
		b.r.Timeline = append(b.r.Timeline, Entry{Kind: kind, StepID: st.ID, Step: step})
	}
	// A step_started for a step the fold did not list cannot happen (the
	// fold adds it), but an entry without a step must not reach a renderer.
	b.r.Timeline = slices.DeleteFunc(b.r.Timeline, func(e Entry) bool {
		return (e.Kind == "step" || e.Kind == "rollback_step") && e.Step == nil
	})
	b.r.Planned = planned(&b.s)
}
