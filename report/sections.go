package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tightrope/tightrope/journal"
)

// summary fills the run at a glance.
func (b *builder) summary() {
	s, sum := &b.s, &b.r.Summary
	sum.Mode, sum.Fault, sum.RunID, sum.RunbookSHA256, sum.ToolVersion = s.Mode, s.Fault, s.RunID, s.RunbookSHA, s.ToolVersion
	sum.Outcome, sum.OutcomeText, sum.Error = s.Outcome, outcomeText(s.Outcome), s.OutcomeErr
	sum.StartedAt, sum.Finished, sum.LastSeq = s.StartedAt, s.Outcome != "", s.LastSeq
	sum.EndedAt, sum.DurationMS = s.LastAt, ms(s.Elapsed())
	if sum.Finished {
		sum.EndedAt = s.FinishedAt
	}
	if rb := s.Runbook; rb != nil {
		sum.Name, sum.MigrationID, sum.Strategy, sum.DecisionMaker = rb.Name, rb.MigrationID, rb.Strategy, rb.DecisionMaker
		o := rb.Objectives
		sum.ExpectedMS, sum.WindowMS, sum.RTOMS, sum.RPOMS = ms(o.Expected), ms(o.Window), ms(o.RTO), ms(o.RPO)
	}
	sum.Operators = appendNew(sum.Operators, s.Operator)
	for _, op := range b.resumedBy {
		sum.Operators = appendNew(sum.Operators, op)
	}
	for _, d := range s.Decisions {
		sum.DecidedBy = appendNew(sum.DecidedBy, d.Actor)
	}
}

// appendNew appends v unless it is empty or already there.
func appendNew(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// outcomeText words an outcome for people.
func outcomeText(outcome string) string {
	switch outcome {
	case "":
		return "interrupted: resume with tightrope resume"
	case journal.OutcomeRolledBack:
		return "rolled back"
	default:
		return outcome
	}
}

// integrity records the verdict of journal.Verify.
func (b *builder) integrity(vr journal.VerifyReport) {
	b.r.Integrity = Integrity{
		OK: vr.OK(), Untrusted: !vr.OK(), Events: vr.Events, Head: vr.Head, BrokenSeq: vr.BrokenSeq,
		Chain: vr.Chain, KeyID: vr.KeyID, KeyChecked: vr.KeyChecked, KeyProblem: vr.KeyProblem, Truncated: vr.Truncated,
		Reason: vr.Reason, Rejects: vr.Rejects, RejectsReason: vr.RejectsReason, Verdict: vr.String(),
	}
}

// data fills the per-table counters, rejects by reason with an example
// each, the casts and the verify results.
func (b *builder) data() {
	names := []string{}
	for _, t := range b.s.Tables {
		names = appendNew(names, t.Table)
	}
	for _, name := range b.rejectTables {
		names = appendNew(names, name) // rows kept for a table no event counted
	}
	for _, name := range names {
		t := Table{Table: name}
		counted := map[string]int64{}
		for _, ts := range b.s.Tables {
			if ts.Table == name {
				t.Read, t.Written, t.Rejected, t.Total, t.TotalExact, t.Done = ts.Read, ts.Written, ts.Rejected, ts.Total, ts.TotalExact, ts.Done
				counted = ts.ByReason
			}
		}
		t.Balanced = t.Read == t.Written+t.Rejected
		t.Check = "OK"
		if !t.Balanced {
			t.Check = "MISMATCH"
		}
		t.Reasons = reasons(counted, b.stored[name])
		for _, r := range t.Reasons {
			t.Counted += r.Count
			t.Stored += r.Stored
		}
		b.r.Data.Tables = append(b.r.Data.Tables, t)
	}
	for _, c := range b.s.Casts {
		i := slices.IndexFunc(b.r.Data.Casts, func(x Cast) bool {
			return x.Table == c.Table && x.Column == c.Column && x.From == c.From && x.To == c.To
		})
		if i < 0 {
			b.r.Data.Casts = append(b.r.Data.Casts, Cast{Table: c.Table, Column: c.Column, From: c.From, To: c.To})
			i = len(b.r.Data.Casts) - 1
		}
		b.r.Data.Casts[i].Count += c.Count
	}
}

// reject tallies one row of the rejects table under its table and reason:
// the first row of a reason is its example, the first row of a column
// gives that column's example value (the row is parsed only for those).
func (b *builder) reject(rec journal.RejectRecord) error {
	byReason := b.stored[rec.Table]
	if byReason == nil {
		byReason = map[string]*Reason{}
		b.stored[rec.Table] = byReason
		b.rejectTables = append(b.rejectTables, rec.Table)
	}
	r := byReason[rec.Reason]
	if r == nil {
		r = &Reason{Reason: rec.Reason}
		byReason[rec.Reason] = r
	}
	i := slices.IndexFunc(r.Columns, func(c Tally) bool { return c.Column == rec.Column })
	if r.Stored == 0 || i < 0 {
		value := columnValue(rec.Row, rec.Column)
		if r.Stored == 0 {
			r.Column, r.Key, r.Value, r.Detail = rec.Column, keyText(rec.Key), value, rec.Detail
		}
		if i < 0 {
			r.Columns = append(r.Columns, Tally{Column: rec.Column, Value: value})
			i = len(r.Columns) - 1
		}
	}
	r.Stored++
	r.Columns[i].Count++
	return nil
}

// reasons lists a table's reject reasons, largest first: the counts of
// the rows_rejected events with the rows kept in the rejects table.
func reasons(counted map[string]int64, stored map[string]*Reason) []Reason {
	byReason := map[string]*Reason{}
	for r, n := range counted {
		byReason[r] = &Reason{Reason: r, Count: n}
	}
	for name, st := range stored {
		r := byReason[name]
		if r == nil {
			r = &Reason{Reason: name}
			byReason[name] = r
		}
		count := r.Count
		*r = *st
		r.Count = count
		r.Columns = slices.Clone(st.Columns)
	}
	out := make([]Reason, 0, len(byReason))
	for _, r := range byReason {
		sort.SliceStable(r.Columns, func(i, j int) bool { return r.Columns[i].Count > r.Columns[j].Count })
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := max(out[i].Count, out[i].Stored), max(out[j].Count, out[j].Stored); a != b {
			return a > b
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// keyText prints a reject's key: "id=23" for {"id":23}, the JSON otherwise.
func keyText(raw json.RawMessage) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || len(obj) == 0 {
		return string(raw)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + string(obj[k])
	}
	return strings.Join(parts, ", ")
}

// columnValue is the JSON text of one column of a rejected row.
func columnValue(row json.RawMessage, column string) string {
	if column == "" {
		return ""
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(row, &obj) != nil {
		return ""
	}
	return string(obj[column])
}

// evidence turns a trigger's evidence into fields, keys sorted; numbers
// keep their digits, *_ms values also read as durations.
func evidence(ev map[string]any) []Field {
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Field, len(keys))
	for i, k := range keys {
		out[i] = Field{Key: k, Value: evidenceValue(k, ev[k])}
	}
	return out
}

func evidenceValue(key string, v any) string {
	switch x := v.(type) {
	case float64:
		if x != float64(int64(x)) {
			return fmt.Sprintf("%g", x)
		}
		s := fmtInt(int64(x))
		if strings.HasSuffix(key, "_ms") && x >= 1000 {
			s += " (" + fmtDur(dur(int64(x))) + ")"
		}
		return s
	case string:
		return x
	case nil:
		return "null"
	default:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if enc.Encode(x) != nil {
			return fmt.Sprint(x)
		}
		return strings.TrimSpace(buf.String())
	}
}

// safetyNet fills the snapshots and the rollback; restores were collected
// as they happened.
func (b *builder) safetyNet() {
	for _, sn := range b.s.Snapshots {
		s := Snapshot{
			StepID: sn.Step, Label: sn.Label, Connection: sn.Connection, Method: sn.Method, Size: sn.Size,
			SHA256: sn.SHA256, Verified: len(sn.Tables) > 0, CapturedAt: sn.CapturedAt, DurationMS: sn.DurationMS,
			EstRestoreMS: sn.EstRestoreMS, Tables: []string{},
		}
		for _, t := range sn.Tables {
			s.Tables = append(s.Tables, t.Table)
			s.Rows += t.Rows
			if t.Checksum == "" {
				s.Verified = false
			}
		}
		b.r.SafetyNet.Snapshots = append(b.r.SafetyNet.Snapshots, s)
	}
	b.r.SafetyNet.Rollback = b.rb
	c := &b.r.Communication
	for _, n := range c.Notifications {
		if n.OK {
			c.Sent++
		} else {
			c.Failed++
		}
	}
}
