package tui

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// plainEvery is how often (in event time) plain mode prints a table's
// progress or its accumulated rejects.
const plainEvery = 5 * time.Second

// Plain prints a run as lines, for scripts, CI and terminals that are not
// one: one readable line per meaningful event, prefixed with the elapsed
// time since the run started. Output depends only on the events, never on
// the wall clock.
type Plain struct {
	mu           sync.Mutex // one line at a time: the asker prints beside the run
	w            io.Writer
	err          error
	lastProgress map[string]time.Time
	lastRejects  map[string]time.Time
	rejects      map[string]map[string]int64 // per table, since the last line
	sample       map[string]string
	order        []string                // tables with rejects pending, in first-seen order
	refusals     atomic.Int64            // refused events seen: the asker waits for its answer's fate
	lastAt       time.Time               // time of the previous event: a resume says how long the run was not running
	cdcSeen      map[string]plainCDCSeen // per change stream, its last lag line (plain_cdc.go)
}

// NewPlain prints to w.
func NewPlain(w io.Writer) *Plain {
	return &Plain{w: w, lastProgress: map[string]time.Time{}, lastRejects: map[string]time.Time{},
		rejects: map[string]map[string]int64{}, sample: map[string]string{}, cdcSeen: map[string]plainCDCSeen{}}
}

// Err is the first write error, if any.
func (p *Plain) Err() error { return p.err }

// printf prints with every control character but newline and tab escaped
// (safetext): runbook fields, command output and errors carry no escape
// sequence to the terminal, and plain output has none of its own.
func (p *Plain) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		_, p.err = io.WriteString(p.w, safetext.Text(fmt.Sprintf(format, args...)))
	}
}

// line prints one event line with its elapsed-time prefix; a newline inside
// the text is escaped too, so no text can forge a line of its own.
func (p *Plain) line(s *journal.State, at time.Time, format string, args ...any) {
	p.printf("[%s] %s\n", fmtStamp(at.Sub(s.StartedAt)), safetext.Line(fmt.Sprintf(format, args...)))
}

// Event prints e, which has just been applied to s. A payload that does
// not decode is printed as a problem line, never skipped in silence.
func (p *Plain) Event(e journal.Event, s *journal.State) {
	prev := p.lastAt
	p.lastAt = e.At
	switch e.Type {
	case journal.Progress, journal.RowsRejected, journal.Log, journal.CastApplied, journal.ChecklistChecked, journal.CopyTuned,
		journal.CDCChanges, journal.CDCApplied, journal.CDCLagSample:
	default:
		p.flushRejects(s, e.At, "")
	}
	payload, err := journal.Decode(e)
	if err != nil {
		p.line(s, e.At, "%s", problemText(err))
		return
	}
	switch pl := payload.(type) {
	case journal.RunStartedPayload:
		p.runStarted(e, s)
	case journal.RunResumedPayload:
		gap := ""
		if !prev.IsZero() {
			gap = " after " + fmtDur(e.At.Sub(prev)) + " not running"
		}
		p.line(s, e.At, "run resumed by %s from event %d%s", pl.Operator, pl.FromSeq, gap)
	case journal.StepStartedPayload:
		what := "step"
		if pl.Rollback {
			what = "rollback step"
		}
		p.line(s, e.At, "%s: %s started (%s) %s", e.StepID, what, pl.Kind, pl.Title)
	case journal.StepFinishedPayload:
		p.stepFinished(e, s, pl)
	case journal.ChecklistPayload:
		n := len(planStep(*s, e.StepID).Checklist)
		if n == 0 {
			n = len(stepByID(*s, e.StepID).Checked)
		}
		of := fmt.Sprintf("%d", pl.Index+1)
		if n > 0 {
			of += fmt.Sprintf("/%d", n)
		}
		p.line(s, e.At, "%s: checked [%s] %s (by %s)", e.StepID, of, pl.Item, e.Actor)
	case journal.LogPayload:
		id := e.StepID
		if id == "" {
			id = "run"
		}
		stream := ""
		if pl.Stream != "" && pl.Stream != "stdout" && pl.Stream != "info" {
			stream = pl.Stream + ": "
		}
		p.line(s, e.At, "%s | %s%s", id, stream, pl.Line)
	case journal.ProgressPayload:
		if e.Type == journal.TableCopied {
			p.flushRejects(s, e.At, pl.Table)
			p.line(s, e.At, "%s: copied · read %d written %d rejected %d %s", pl.Table, pl.Read, pl.Written, pl.Rejected, balance(pl))
		} else if last, ok := p.lastProgress[pl.Table]; !ok || e.At.Sub(last) >= plainEvery {
			p.lastProgress[pl.Table] = e.At
			p.line(s, e.At, "%s: %s", pl.Table, progressText(pl))
		}
	case journal.RejectsPayload:
		p.rowsRejected(e, s, pl)
	case journal.CopyTunedPayload:
		p.line(s, e.At, "%s", tunedLine(pl))
	case journal.CDCStreamPayload:
		p.cdcStarted(e, s, pl)
	case journal.CDCLagPayload:
		p.cdcLag(e, s, pl)
	case journal.CDCCopyLivePayload:
		p.line(s, e.At, "%s: read %s live, not in stream %s's snapshot (%s): the stream's replay by key converges over them",
			e.StepID, strings.Join(pl.Tables, ", "), pl.Stream, pl.Reason)
	case journal.CastPayload:
		p.line(s, e.At, "%s.%s: cast %q -> %s (%d values)", pl.Table, pl.Column, pl.From, pl.To, pl.Count)
	case journal.VerifyPayload:
		p.verify(e, s, pl)
	case journal.SnapshotPayload:
		verified := "NOT verified"
		if snapshotVerified(pl) {
			verified = "verified"
		}
		p.line(s, e.At, "snapshot %s of %s taken in %s · %d tables %s · est. restore %s",
			pl.Label, pl.Connection, fmtDur(ms(pl.DurationMS)), len(pl.Tables), verified, vsRTOText(ms(pl.EstRestoreMS), rto(*s)))
	case journal.RestorePayload:
		limit := rto(*s)
		if pl.RTOMS > 0 {
			limit = ms(pl.RTOMS)
		}
		verified := "NOT verified"
		if pl.Verified {
			verified = "verified"
		}
		p.line(s, e.At, "restore of %s finished in %s · %s", pl.Snapshot, vsRTOText(ms(pl.DurationMS), limit), verified)
	case journal.TriggerPayload:
		p.trigger(e, s, pl)
	case journal.AwaitingPayload:
		who := pl.Who
		if who == "" {
			who = decider(*s)
		}
		p.line(s, e.At, "waiting for %s: %s [%s]", who, pl.Question, strings.Join(pl.Choices, "/"))
	case journal.DecisionPayload:
		p.decision(e, s, pl)
	case journal.RefusedPayload:
		p.refusals.Add(1)
		p.line(s, e.At, "refused: %s may not %s: %s", e.Actor, pl.Choice, pl.Reason)
	case journal.NotePayload:
		p.line(s, e.At, "note by %s: %s", e.Actor, pl.Text)
	case journal.RollbackPayload:
		if e.Type == journal.RollbackStarted {
			p.line(s, e.At, "ROLLBACK started: %s", pl.Reason)
			break
		}
		limit := rto(*s)
		if pl.RTOMS > 0 {
			limit = ms(pl.RTOMS)
		}
		ok := "ok"
		if !pl.OK {
			ok = "FAILED: " + pl.Reason
		}
		p.line(s, e.At, "rollback finished in %s · %s", vsRTOText(ms(pl.DurationMS), limit), ok)
	case journal.ControlPayload:
		p.control(e, s, pl)
	case journal.NotifiedPayload:
		p.notified(e, s, pl)
	case journal.WarningPayload:
		p.line(s, e.At, "WARNING %s: %s", pl.Kind, pl.Message)
	case journal.RunFinishedPayload:
		msg := ""
		if pl.Error != "" {
			msg = ": " + pl.Error
		}
		p.line(s, e.At, "run finished: %s in %s%s", endWord(pl.Outcome), fmtDur(ms(pl.DurationMS)), msg)
	}
}

// problemText words an event that could not be read:
// "seq 42: cannot read trigger payload: json: ...".
func problemText(err error) string {
	var pe *journal.PayloadError
	if errors.As(err, &pe) {
		return fmt.Sprintf("seq %d: cannot read %s payload: %v", pe.Seq, pe.Type, pe.Err)
	}
	return err.Error()
}

// trigger prints a trigger met, in its unit, with its evidence.
func (p *Plain) trigger(e journal.Event, s *journal.State, pl journal.TriggerPayload) {
	where := ""
	if pl.Table != "" {
		where = " " + pl.Table
	}
	if spec, ok := runbooks.TriggerByName(pl.Trigger); ok && spec.Unit == runbooks.UnitNone {
		// no numbers to compare: the message says it all
		p.line(s, e.At, "TRIGGER %s%s: %s", pl.Trigger, where, pl.Message)
	} else {
		p.line(s, e.At, "TRIGGER %s%s: %s (observed %s, threshold %s)", pl.Trigger, where, pl.Message,
			fmtTrigger(pl.Trigger, pl.Observed), fmtTrigger(pl.Trigger, pl.Threshold))
	}
	if ev := fmtEvidence(pl.Evidence); ev != "" {
		p.line(s, e.At, "  evidence: %s", ev)
	}
}

func (p *Plain) runStarted(e journal.Event, s *journal.State) {
	head := fmt.Sprintf("run started · mode %s · operator %s", s.Mode, s.Operator)
	if s.Fault != "" {
		head += " · fault " + s.Fault
	}
	if rb := s.Runbook; rb != nil {
		o := rb.Objectives
		head = fmt.Sprintf("run started: %s (%s) · mode %s · operator %s · decides %s · RTO %s RPO %s expected %s window %s",
			rb.Name, rb.MigrationID, s.Mode, s.Operator, rb.DecisionMaker,
			fmtObjective(o.RTO), fmtObjective(o.RPO), fmtObjective(o.Expected), fmtObjective(o.Window))
	}
	p.line(s, e.At, "%s", head)
}

func (p *Plain) stepFinished(e journal.Event, s *journal.State, pl journal.StepFinishedPayload) {
	d := ms(pl.DurationMS)
	if d == 0 {
		d = stepDuration(stepByID(*s, e.StepID), e.At)
	}
	switch pl.Status {
	case journal.StatusFailed:
		p.line(s, e.At, "%s: FAILED after %s: %s", e.StepID, fmtDur(d), pl.Error)
	case journal.StatusSkipped:
		if pl.Error != "" { // why, as the step said it: "skipped by …" or "skipped: nothing to restore …"
			p.line(s, e.At, "%s: %s", e.StepID, pl.Error)
		} else {
			p.line(s, e.At, "%s: skipped", e.StepID)
		}
	default:
		p.line(s, e.At, "%s: %s in %s", e.StepID, pl.Status, fmtDur(d))
	}
}

// rowsRejected accumulates rejects and prints them at most every
// plainEvery per table, so a bad column does not flood the log.
func (p *Plain) rowsRejected(e journal.Event, s *journal.State, pl journal.RejectsPayload) {
	if p.rejects[pl.Table] == nil {
		p.rejects[pl.Table] = map[string]int64{}
		p.order = append(p.order, pl.Table)
	}
	for r, n := range pl.ByReason {
		p.rejects[pl.Table][r] += n
	}
	if p.sample[pl.Table] == "" {
		p.sample[pl.Table] = pl.Sample
	}
	if last, ok := p.lastRejects[pl.Table]; !ok || e.At.Sub(last) >= plainEvery {
		p.flushRejects(s, e.At, pl.Table)
	}
}

// flushRejects prints the rejects accumulated for table ("" means all).
func (p *Plain) flushRejects(s *journal.State, at time.Time, table string) {
	var keep []string
	for _, t := range p.order {
		if table != "" && t != table {
			keep = append(keep, t)
			continue
		}
		byReason := p.rejects[t]
		reasons := make([]string, 0, len(byReason))
		var total int64
		for r, n := range byReason {
			reasons = append(reasons, r)
			total += n
		}
		sort.Slice(reasons, func(i, j int) bool {
			if byReason[reasons[i]] != byReason[reasons[j]] {
				return byReason[reasons[i]] > byReason[reasons[j]]
			}
			return reasons[i] < reasons[j]
		})
		parts := make([]string, len(reasons))
		for i, r := range reasons {
			parts[i] = fmt.Sprintf("%s: %d", r, byReason[r])
		}
		line := fmt.Sprintf("%s: rejected %d rows (%s)", t, total, strings.Join(parts, ", "))
		if smp := p.sample[t]; smp != "" {
			line += " e.g. " + smp
		}
		p.line(s, at, "%s", line)
		p.lastRejects[t] = at
		delete(p.rejects, t)
		delete(p.sample, t)
	}
	p.order = keep
}

func (p *Plain) verify(e journal.Event, s *journal.State, pl journal.VerifyPayload) {
	for _, t := range pl.Tables {
		verdict := "ok"
		if t.Mismatches > 0 || t.SourceRows != t.TargetRows+t.Rejected {
			verdict = "MISMATCH"
		}
		line := fmt.Sprintf("verify %s: source %d target %d rejected %d mismatches %d %s",
			t.Table, t.SourceRows, t.TargetRows, t.Rejected, t.Mismatches, verdict)
		if len(t.MismatchKeys) > 0 {
			line += " (keys " + strings.Join(t.MismatchKeys, ", ") + ")"
		}
		p.line(s, e.At, "%s", line)
	}
	p.line(s, e.At, "verify: %d tables, %d mismatches", len(pl.Tables), pl.Mismatches)
}

// Summary prints the per-table balance (read = written + rejected) and the
// outcome, and flushes rejects still being accumulated.
func (p *Plain) Summary(s journal.State) {
	p.flushRejects(&s, s.LastAt, "")
	nameW := len("table")
	for _, t := range s.Tables {
		nameW = max(nameW, len(t.Table))
	}
	for _, t := range s.Tables {
		p.printf("%-*s  read %d  written %d  rejected %d  %s\n", nameW, t.Table, t.Read, t.Written, t.Rejected, balance(t.ProgressPayload))
	}
	switch {
	case s.Outcome == "":
		p.printf("outcome: STOPPED, unfinished after %s (resume it from the journal)\n", fmtDur(s.Elapsed()))
	case s.OutcomeErr != "":
		p.printf("outcome: %s in %s: %s\n", endWord(s.Outcome), fmtDur(s.Elapsed()), s.OutcomeErr)
	default:
		p.printf("outcome: %s in %s\n", endWord(s.Outcome), fmtDur(s.Elapsed()))
	}
	if s.Rollback != nil {
		p.printf("rollback: %s\n", vsRTOText(ms(s.Rollback.DurationMS), rto(s)))
	}
}

// balance checks the copy invariant.
func balance(t journal.ProgressPayload) string {
	if t.Read == t.Written+t.Rejected {
		return "ok"
	}
	return "MISMATCH"
}

func progressText(pl journal.ProgressPayload) string {
	tilde := ""
	if !pl.TotalExact {
		tilde = "~"
	}
	txt := fmt.Sprintf("read %d", pl.Read)
	if pl.Total > 0 {
		txt = fmt.Sprintf("read %d/%s%d (%s%.0f%%)", pl.Read, tilde, pl.Total, tilde, 100*float64(pl.Read)/float64(pl.Total))
	}
	return txt + fmt.Sprintf(" · written %d · rejected %d", pl.Written, pl.Rejected)
}

// vsRTOText is "4m10s (RTO 30m, ok)" or "45m (RTO 30m, OVER RTO)".
func vsRTOText(d, limit time.Duration) string {
	if limit <= 0 {
		return fmtDur(d)
	}
	verdict := "ok"
	if d > limit {
		verdict = "OVER RTO"
	}
	return fmt.Sprintf("%s (RTO %s, %s)", fmtDur(d), fmtObjective(limit), verdict)
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
