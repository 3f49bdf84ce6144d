package report

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/internal/markuptest"
	"github.com/tightrope/tightrope/journal"
)

// TestDemoContinueNumbersMatchTheState checks the report of a real run
// says what the fold says: rows, rejects by reason, decisions.
func TestDemoContinueNumbersMatchTheState(t *testing.T) {
	path, s := runDemo(t, journal.ChoiceContinue)
	r, err := Build(path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Integrity.OK || r.Integrity.Untrusted || r.Integrity.Events != s.LastSeq || r.Integrity.Head == "" {
		t.Errorf("integrity %+v, want OK with %d events", r.Integrity, s.LastSeq)
	}
	if r.Summary.Outcome != journal.OutcomeFinished || !r.Summary.Finished || r.Summary.DecisionMaker != "alice" {
		t.Errorf("summary %+v", r.Summary)
	}
	if len(r.Data.Tables) != len(s.Tables) {
		t.Fatalf("%d tables in the report, %d in the state", len(r.Data.Tables), len(s.Tables))
	}
	rejects, err := journal.ReadRejects(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range s.Tables {
		rt := findTable(r, st.Table)
		if rt == nil {
			t.Fatalf("table %s missing", st.Table)
		}
		if rt.Read != st.Read || rt.Written != st.Written || rt.Rejected != st.Rejected || !rt.Done || !rt.Balanced || rt.Check != "OK" {
			t.Errorf("%s: report %+v, state read %d written %d rejected %d", st.Table, rt, st.Read, st.Written, st.Rejected)
		}
		if len(rt.Reasons) != len(st.ByReason) {
			t.Errorf("%s: reasons %+v, state %v", st.Table, rt.Reasons, st.ByReason)
		}
		for _, rs := range rt.Reasons {
			stored := int64(0)
			for _, rec := range rejects {
				if rec.Table == st.Table && rec.Reason == rs.Reason {
					stored++
				}
			}
			if rs.Count != st.ByReason[rs.Reason] || rs.Stored != stored || rs.Key == "" || rs.Detail == "" {
				t.Errorf("%s/%s: %+v, state counts %d, %d stored", st.Table, rs.Reason, rs, st.ByReason[rs.Reason], stored)
			}
		}
	}
	if len(r.Decisions.Decisions) != len(s.Decisions) {
		t.Fatalf("%d decisions, state %d", len(r.Decisions.Decisions), len(s.Decisions))
	}
	for i, d := range s.Decisions {
		got := r.Decisions.Decisions[i]
		if got.Actor != d.Actor || got.Justification != d.Justification || got.Choice != d.Choice || got.Auto != d.Auto || got.Seq != d.Seq {
			t.Errorf("decision %d: %+v, state %+v", i, got, d)
		}
	}
	if len(r.Decisions.Triggers) != len(s.Triggers) || len(s.Triggers) == 0 {
		t.Fatalf("triggers %+v, state %+v", r.Decisions.Triggers, s.Triggers)
	}
	tr := r.Decisions.Triggers[0]
	if tr.Trigger != "reject_rate" || tr.Table != "products" || tr.Observed != s.Triggers[0].Observed || len(tr.Evidence) == 0 ||
		tr.Decision == nil || tr.Decision.Actor != "alice" || tr.Decision.Choice != journal.ChoiceContinue {
		t.Errorf("trigger %+v (decision %+v)", tr, tr.Decision)
	}
	if len(r.Data.Verifies) != len(s.Verifies) || r.Data.Verifies[0].Mismatches != s.Verifies[0].Mismatches {
		t.Errorf("verifies %+v, state %+v", r.Data.Verifies, s.Verifies)
	}
	md := render(t, r)["md"]
	for _, want := range []string{"| `products` | 400 | 373 | 27 | OK |", "`not_integer`", "`precision_loss`", "**finished**",
		"the reject_rate trigger fired on products at 6.50% (threshold 0.100%)", "every table balances: read 4,600 = written 4,570 + rejected 30"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestDemoRollbackRestoresAgainstTheRTO checks the restores and the
// rollback are the State's, timed against the RTO.
func TestDemoRollbackRestoresAgainstTheRTO(t *testing.T) {
	path, s := runDemo(t, journal.ChoiceRollback)
	r, err := Build(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Outcome != journal.OutcomeRolledBack || r.Summary.OutcomeText != "rolled back" {
		t.Errorf("outcome %q (%q)", r.Summary.Outcome, r.Summary.OutcomeText)
	}
	if len(r.SafetyNet.Restores) != len(s.Restores) || len(s.Restores) != 2 {
		t.Fatalf("restores %+v, state %+v", r.SafetyNet.Restores, s.Restores)
	}
	rto := s.Runbook.Objectives.RTO.Milliseconds()
	for i, want := range s.Restores {
		got := r.SafetyNet.Restores[i]
		est := int64(-1)
		for _, sn := range s.Snapshots {
			if sn.Label == want.Snapshot {
				est = sn.EstRestoreMS
			}
		}
		if got.DurationMS != want.DurationMS || got.RTOMS != rto || got.WithinRTO != (want.DurationMS <= rto) || got.Verified != want.Verified || got.EstRestoreMS != est {
			t.Errorf("restore %d: %+v, state %+v (estimate %d)", i, got, want, est)
		}
	}
	rb := r.SafetyNet.Rollback
	if rb == nil || s.Rollback == nil || rb.DurationMS != s.Rollback.DurationMS || rb.RTOMS != rto || !rb.OK || !rb.WithinRTO {
		t.Fatalf("rollback %+v, state %+v", rb, s.Rollback)
	}
	if tr := r.Decisions.Triggers; len(tr) != 1 || tr[0].Decision == nil || tr[0].Decision.Choice != journal.ChoiceRollback ||
		tr[0].Decision.Justification != s.Decisions[len(s.Decisions)-1].Justification {
		t.Errorf("triggers %+v", tr)
	}
	md := render(t, r)["md"]
	for _, want := range []string{"**rolled back**", "rollback took ", " of the RTO (5m)", "| `restore-source` |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestTamperedJournalIsUntrusted flips one payload byte behind the store's
// back: the report still renders, under a banner naming the seq.
func TestTamperedJournalIsUntrusted(t *testing.T) {
	path, _ := runDemo(t, journal.ChoiceContinue)
	tamper(t, path, 7, "")
	r, err := Build(path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Integrity.Untrusted || r.Integrity.BrokenSeq != 7 {
		t.Fatalf("integrity %+v, want untrusted at seq 7", r.Integrity)
	}
	out := render(t, r)
	head := strings.SplitN(out["md"], "\n## ", 2)[0]
	if !strings.Contains(head, "UNTRUSTED") || !strings.Contains(head, "seq 7") {
		t.Errorf("the markdown does not open with the UNTRUSTED banner naming seq 7:\n%s", head)
	}
	if !strings.Contains(out["html"], `class="banner"`) || len(lines(out["html"], "UNTRUSTED")) == 0 || !strings.Contains(out["html"], "seq 7") {
		t.Errorf("the HTML has no UNTRUSTED banner")
	}
	if !strings.Contains(out["json"], `"untrusted": true`) || !strings.Contains(out["json"], `"broken_seq": 7`) {
		t.Errorf("the JSON does not say untrusted at seq 7")
	}
	if !strings.Contains(out["md"], "## 4. Data") {
		t.Errorf("an untrusted report must still render every section")
	}
}

// TestInterruptedJournalSaysSo: no run_finished, the run is interrupted.
func TestInterruptedJournalSaysSo(t *testing.T) {
	r, err := Build(writeGoldenRun(t, false))
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Finished || r.Summary.OutcomeText != "interrupted: resume with tightrope resume" {
		t.Errorf("summary %+v", r.Summary)
	}
	if d := r.Decisions.Triggers[0].Decision; d != nil {
		t.Errorf("the trigger was never answered, got %+v", d)
	}
	md := render(t, r)["md"]
	for _, want := range []string{"interrupted: resume with tightrope resume", "the run did not finish", "while step copy was waiting", "No decision was recorded"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestHTMLEscapesNotes writes a note holding a script and checks it is
// shown as text, and that the HTML parses as well-formed XML.
func TestHTMLEscapesNotes(t *testing.T) {
	h := newHandJournal(t)
	h.at(0, "mallory", "", journal.Note, journal.NotePayload{Text: `<script>alert("x")</script> & <img src=x onerror=alert(1)>`})
	h.at(1, "mallory", "", journal.Warning, journal.WarningPayload{Kind: "rto", Message: "</td></tr></table><h1>pwned</h1>"})
	h.close()
	r, err := Build(h.path)
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, r)
	for _, bad := range []string{"<script", "<img", "<h1>pwned", "</td></tr></table><h1>"} {
		if strings.Contains(out["html"], bad) {
			t.Errorf("HTML: %q got through unescaped", bad)
		}
	}
	// In Markdown every < is backslash-escaped: a literal character.
	if m := regexp.MustCompile(`(^|[^\\])<`).FindString(out["md"]); m != "" {
		t.Errorf("Markdown: an unescaped < got through: %q\n%s", m, out["md"])
	}
	if !strings.Contains(out["html"], "&lt;script&gt;") {
		t.Errorf("the note is not shown escaped:\n%s", lines(out["html"], "script"))
	}
	markuptest.WellFormed(t, out["html"])
	if strings.Contains(strings.ToLower(out["html"]), "<script") || strings.Contains(out["html"], "<link") {
		t.Errorf("the HTML must be self-contained and script-free")
	}
}

// TestPasswordsNeverLeave writes a DSN with a password into a note behind
// the store's back (bypassing its redaction): the report scrubs it anyway.
func TestPasswordsNeverLeave(t *testing.T) {
	h := newHandJournal(t)
	h.at(0, "alice", "", journal.Note, journal.NotePayload{Text: "placeholder"})
	h.at(1, "alice", "", journal.Warning, journal.WarningPayload{Kind: "x", Message: "placeholder"})
	h.close()
	tamper(t, h.path, 2, `{"text":"source is postgres://app:hunter2@db:5432/shop and mysql root:hunter3@tcp(db:3306)/shop"}`)
	tamper(t, h.path, 3, `{"kind":"x","message":"PGPASSWORD=hunter4 psql"}`)
	r, err := Build(h.path)
	if err != nil {
		t.Fatal(err)
	}
	for f, text := range render(t, r) {
		for _, secret := range []string{"hunter2", "hunter3", "hunter4"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s report leaks %s", f, secret)
			}
		}
		if !strings.Contains(text, journal.Redacted) && !strings.Contains(text, "[redacted") {
			t.Errorf("%s report shows no redaction", f)
		}
	}
}

// TestJSONIsTheReport checks the JSON has the stable section names and no
// null lists, and decodes back into a Report.
func TestJSONIsTheReport(t *testing.T) {
	r, err := Build(writeGoldenRun(t, true))
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, r)["json"]
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"journal", "summary", "integrity", "timeline", "decisions", "data", "safety_net", "communication", "lessons"} {
		if _, ok := top[k]; !ok {
			t.Errorf("no %q in the JSON", k)
		}
	}
	if strings.Contains(out, ": null") {
		t.Errorf("the JSON holds null lists:\n%s", lines(out, ": null"))
	}
	var back Report
	if err := json.Unmarshal([]byte(out), &back); err != nil {
		t.Fatal(err)
	}
	if back.Summary.RTOMS != 1800000 || back.Communication.Failed != 1 || back.Communication.Sent != 1 || len(back.Decisions.Refusals) != 1 {
		t.Errorf("decoded %+v %+v", back.Summary, back.Communication)
	}
}
