package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/tightrope/tightrope/internal/markuptest"
	"github.com/tightrope/tightrope/journal"
)

const plannedRunbook = `version: 1
name: Orders to PostgreSQL
migration_id: MIG-2026-077
decision_maker: alice
objectives: { rto: 10m, expected: 10m, window: 20m }
triggers: { overrun: 150% }
connections:
  source: { driver: sqlite, path: shop.db }
steps:
  - { id: freeze, title: Freeze, kind: shell, run: ./freeze.sh, expected: 2m }
  - { id: load, title: Load, kind: shell, run: ./load.sh, expected: 3m }
  - { id: switch, title: Switch, kind: shell, run: ./switch.sh, expected: 5m }
  - { id: announce, title: Announce, kind: shell, run: ./announce.sh }
rollback:
  - { id: back, title: Switch back, kind: shell, run: ./back.sh }
`

// writePlannedRun writes a run that falls behind its plan: freeze ends a
// minute late, load two more, switch runs past the overrun threshold
// (expected 10m × 150% = 15m), the overrun trigger fires and the run rolls
// back. When finish is false it stops inside switch, as a killed process
// would.
func writePlannedRun(t *testing.T, finish bool) string {
	t.Helper()
	h := newHandJournalOf(t, plannedRunbook)
	m := time.Minute
	h.at(0, "alice", "freeze", journal.StepStarted, journal.StepStartedPayload{Kind: "shell", Title: "Freeze"})
	h.at(3*m, "alice", "freeze", journal.StepFinished, journal.StepFinishedPayload{Status: "done", DurationMS: 180000})
	h.at(3*m, "alice", "load", journal.StepStarted, journal.StepStartedPayload{Kind: "shell", Title: "Load"})
	h.at(8*m, "alice", "load", journal.StepFinished, journal.StepFinishedPayload{Status: "done", DurationMS: 300000})
	h.at(8*m, "alice", "switch", journal.StepStarted, journal.StepStartedPayload{Kind: "shell", Title: "Switch"})
	if !finish {
		h.at(11*m, "alice", "", journal.Note, journal.NotePayload{Text: "switch is slow"})
		h.close()
		return h.path
	}
	h.at(15*m, "alice", "switch", journal.TriggerFired, journal.TriggerPayload{Trigger: "overrun", Observed: 1.5, Threshold: 1.5,
		Message: "the run has taken 15m0s, 150% of the expected 10m0s (threshold 150%)"})
	h.at(15*m, "alice", "switch", journal.Awaiting, journal.AwaitingPayload{Kind: "trigger", Question: "overrun — continue or roll back?", Choices: []string{"continue", "rollback"}, Who: "alice"})
	h.at(16*m, "alice", "switch", journal.Decision, journal.DecisionPayload{Kind: "trigger", Choice: "rollback", Trigger: "overrun", Justification: "out of time"})
	h.at(16*m, "alice", "switch", journal.StepFinished, journal.StepFinishedPayload{Status: "failed", Error: "rollback decided", DurationMS: 480000})
	h.at(16*m, "alice", "", journal.RollbackStarted, journal.RollbackPayload{Reason: "overrun: rollback decided"})
	h.at(16*m, "alice", "back", journal.StepStarted, journal.StepStartedPayload{Kind: "shell", Title: "Switch back", Rollback: true})
	h.at(17*m, "alice", "back", journal.StepFinished, journal.StepFinishedPayload{Status: "done", DurationMS: 60000})
	h.at(17*m, "alice", "", journal.RollbackFinished, journal.RollbackPayload{Reason: "overrun: rollback decided", DurationMS: 60000, RTOMS: 600000, OK: true})
	h.at(17*m, "alice", "", journal.RunFinished, journal.RunFinishedPayload{Outcome: journal.OutcomeRolledBack, DurationMS: 1020000})
	h.close()
	return h.path
}

// TestPlannedVersusActual checks the numbers the section is drawn from:
// cumulative planned starts, actual durations, lateness, the overrun
// threshold and the moment the trigger fired; a step never run has no
// lateness once the run ended.
func TestPlannedVersusActual(t *testing.T) {
	r, err := Build(writePlannedRun(t, true))
	if err != nil {
		t.Fatal(err)
	}
	p := r.Planned
	if p == nil {
		t.Fatal("no planned-versus-actual section")
	}
	m := int64(60000)
	if p.PlannedEndMS != 10*m || p.EndMS != 17*m || !p.Finished || p.OverrunAtMS != 15*m || p.OverrunFiredMS == nil || *p.OverrunFiredMS != 15*m {
		t.Fatalf("planned end %d, end %d, finished %v, overrun at %d, fired %v", p.PlannedEndMS, p.EndMS, p.Finished, p.OverrunAtMS, p.OverrunFiredMS)
	}
	want := map[string][4]int64{ // planned start, planned, took, late
		"freeze": {0, 2 * m, 3 * m, 1 * m},
		"load":   {2 * m, 3 * m, 5 * m, 3 * m},
		"switch": {5 * m, 5 * m, 8 * m, 6 * m},
	}
	for _, st := range p.Steps {
		if w, ok := want[st.ID]; ok {
			if got := [4]int64{st.PlannedStartMS, st.PlannedMS, st.DurationMS, st.LateMS}; got != w {
				t.Errorf("%s: got %v, want %v", st.ID, got, w)
			}
		}
	}
	md := string(renderAll(t, r)["md"])
	for _, s := range []string{"| `switch` | +5m00s | 5m00s | +8m00s | 8m00s | **+6m00s late** | overrun threshold +15m00s; **overrun fired +15m00s** |",
		"| `announce` | +10m00s | 0ms (share) | not run |", "| `back` | rollback |  | +16m00s | 1m00s |"} {
		if !strings.Contains(md, s) {
			t.Errorf("Markdown lacks %q:\n%s", s, md)
		}
	}
	var js struct {
		Planned Planned `json:"planned_vs_actual"`
	}
	if err := json.Unmarshal([]byte(renderAll(t, r)["json"]), &js); err != nil || len(js.Planned.Steps) != 5 || js.Planned.Steps[2].LateMS != 6*m || js.Planned.Steps[3].LateMS != 0 {
		t.Errorf("JSON planned_vs_actual: %+v (%v)", js.Planned, err)
	}
}

// TestPlannedChartIsSelfContainedSVG: the chart is inline SVG, well-formed,
// with no external reference, and carries the overrun marks.
func TestPlannedChartIsSelfContainedSVG(t *testing.T) {
	r, err := Build(writePlannedRun(t, true))
	if err != nil {
		t.Fatal(err)
	}
	h := string(renderAll(t, r)["html"])
	svg := h[strings.Index(h, "<svg"):]
	svg = svg[:strings.Index(svg, "</svg>")+len("</svg>")]
	for _, s := range []string{`class="overrun"`, `class="fired"`, `class="act late"`, ">overrun fired<", ">window<"} {
		if !strings.Contains(svg, s) {
			t.Errorf("the chart lacks %s:\n%s", s, svg)
		}
	}
	for _, s := range []string{"href", "src=", "url(", "<script", "<image"} {
		if strings.Contains(svg, s) {
			t.Errorf("the chart holds %q", s)
		}
	}
	markuptest.WellFormed(t, h)
}

// TestInterruptedRunIsProjected: a run stopped inside a step projects that
// step to at least its planned length and the steps after it from there.
func TestInterruptedRunIsProjected(t *testing.T) {
	r, err := Build(writePlannedRun(t, false))
	if err != nil {
		t.Fatal(err)
	}
	p := r.Planned
	m := int64(60000)
	// switch started at 8m, planned 5m: ends 13m at best (planned 10m); announce takes no time.
	if p.Finished || p.EndMS != 13*m || p.Steps[2].EndMS != 13*m || p.Steps[2].LateMS != 3*m || p.Steps[2].DurationMS != 3*m {
		t.Fatalf("end %d, switch %+v", p.EndMS, p.Steps[2])
	}
	if md := string(renderAll(t, r)["md"]); !strings.Contains(md, "| 3m00s so far | **+3m00s late (projected)** |") || !strings.Contains(md, "projected end **+13m00s**") {
		t.Errorf("the projection is not said:\n%s", md)
	}
}

// TestGoldenPlannedMarkdown pins the Markdown of the run that fell behind.
// Update with: go test ./report -run TestGoldenPlanned -update
func TestGoldenPlannedMarkdown(t *testing.T) {
	r, err := Build(writePlannedRun(t, true))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Markdown(&buf, r); err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, buf.Bytes())
}

// TestGoldenPlannedHTML pins the HTML, chart included, of the same run.
func TestGoldenPlannedHTML(t *testing.T) {
	r, err := Build(writePlannedRun(t, true))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := HTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, buf.Bytes())
}

// TestPlannedChartEscapesHostileStepIDs: a step id the runbook would
// refuse, written into the journal behind its back, reaches the chart and
// the table only escaped.
func TestPlannedChartEscapesHostileStepIDs(t *testing.T) {
	const hostile = "<script>alert(1)</script>\x1b[2J|`x`"
	h := newHandJournalOf(t, plannedRunbook)
	h.at(0, "alice", "freeze", journal.StepStarted, journal.StepStartedPayload{Kind: "shell", Title: "Freeze"})
	h.at(time.Minute, "alice", hostile, journal.StepStarted, journal.StepStartedPayload{Kind: "shell", Title: "<b>t</b>", Rollback: true})
	h.close()
	r, err := Build(h.path)
	if err != nil {
		t.Fatal(err)
	}
	if !slicesContainID(r.Planned, hostile) {
		t.Fatalf("the hostile step is not in the comparison: %+v", r.Planned)
	}
	out := renderAll(t, r)
	for _, f := range []string{"md", "html"} {
		if strings.Contains(string(out[f]), "\x1b") {
			t.Errorf("%s holds an escape sequence", f)
		}
	}
	if strings.Contains(string(out["html"]), "<script") {
		t.Errorf("the HTML holds a script")
	}
	// In Markdown a step id is a code span, which GFM shows literally, or
	// escaped text: every <script of the id sits right after a backtick
	// fence (padded or not) or a backslash.
	md := string(out["md"])
	for i := strings.Index(md, "<script"); i >= 0; i = next(md, i) {
		if i < 2 || !(md[i-1] == '`' || md[i-1] == '\\' || md[i-2:i] == "` ") {
			t.Errorf("Markdown holds <script outside a code span: %q", md[max(i-20, 0):i+20])
		}
	}
	if !strings.Contains(string(out["html"]), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the HTML does not show the id escaped")
	}
}

func slicesContainID(p *Planned, id string) bool {
	if p == nil {
		return false
	}
	for _, st := range p.Steps {
		if st.ID == id {
			return true
		}
	}
	return false
}

// next is the index of the next "<script" after i, or -1.
func next(s string, i int) int {
	j := strings.Index(s[i+1:], "<script")
	if j < 0 {
		return -1
	}
	return i + 1 + j
}
