package report

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// TestPayloadProblemsAreListed appends, through the store (so the chain
// holds), a trigger whose observed value is a string and a note whose text
// is a number: the report lists both as journal problems in every format,
// says so in the summary and the lessons, and builds the rest as usual.
func TestPayloadProblemsAreListed(t *testing.T) {
	h := newHandJournal(t)
	m, s := time.Minute, time.Second
	h.at(1*s, "alice", "copy", journal.StepStarted, journal.StepStartedPayload{Kind: "copy", Title: "Copy the shop"})
	h.at(2*s, "alice", "copy", journal.TriggerFired, map[string]any{"trigger": "reject_rate", "table": "products", "observed": "lots", "threshold": 0.001})
	h.at(3*s, "carol", "", journal.Note, map[string]any{"text": 42})
	h.at(4*s, "bob", "", journal.Note, journal.NotePayload{Text: "still here"})
	h.at(1*m, "alice", "copy", journal.StepFinished, journal.StepFinishedPayload{Status: "done", DurationMS: 59000})
	h.at(1*m, "alice", "", journal.RunFinished, journal.RunFinishedPayload{Outcome: journal.OutcomeFinished, DurationMS: 60000})
	h.close()

	r, err := Build(h.path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Integrity.OK {
		t.Fatalf("the chain should hold: %+v", r.Integrity)
	}
	if len(r.Problems) != 2 {
		t.Fatalf("problems = %+v, want the trigger and the note", r.Problems)
	}
	p := r.Problems[0]
	if p.Seq != 3 || p.Type != "trigger" || p.StepID != "copy" || !strings.Contains(p.Error, "observed") {
		t.Errorf("first problem = %+v", p)
	}
	if p := r.Problems[1]; p.Seq != 4 || p.Type != "note" {
		t.Errorf("second problem = %+v", p)
	}
	if len(r.Decisions.Triggers) != 0 {
		t.Errorf("a trigger that could not be read was reported as %+v", r.Decisions.Triggers)
	}
	var notes []string
	for _, e := range r.Timeline {
		if e.Kind == "note" {
			notes = append(notes, e.Text)
		}
	}
	if len(notes) != 1 || notes[0] != "still here" {
		t.Errorf("timeline notes = %q, want only the one that reads", notes)
	}
	if len(r.Lessons) == 0 || !strings.HasPrefix(r.Lessons[0], "2 events could not be read and are left out of this report (first: seq 3, trigger payload: ") {
		t.Errorf("lessons = %q", r.Lessons)
	}

	out := render(t, r)
	md := out["md"]
	for _, want := range []string{
		"| journal problems | **2 events could not be read (section 8)** |",
		"## 8. Journal problems",
		"| 3 | `trigger` | `copy` | **json: ",
		"| 4 | `note` |  | **json: ",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	for _, want := range []string{`<section id="problems">`, "<h2>8. Journal problems</h2>", "<td><code>trigger</code></td>"} {
		if !strings.Contains(out["html"], want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	var back struct {
		Problems []Problem `json:"journal_problems"`
	}
	if err := json.Unmarshal([]byte(out["json"]), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Problems) != 2 || back.Problems[0].Seq != 3 || back.Problems[1].Type != "note" {
		t.Errorf("JSON journal_problems = %+v", back.Problems)
	}
}

// TestNoProblemsNoSection: a journal that reads whole has no problems
// section, and its JSON says journal_problems: [].
func TestNoProblemsNoSection(t *testing.T) {
	r, err := Build(writeGoldenRun(t, true))
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, r)
	if strings.Contains(out["md"], "Journal problems") || strings.Contains(out["md"], "journal problems") {
		t.Errorf("a whole journal shows journal problems")
	}
	if !strings.Contains(out["json"], `"journal_problems": []`) {
		t.Errorf("the JSON lacks an empty journal_problems list")
	}
}
