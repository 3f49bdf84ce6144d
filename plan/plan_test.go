package plan

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/drill/scorecard"
	"github.com/tightrope/tightrope/internal/markuptest"
	"github.com/tightrope/tightrope/runbooks"
)

// TestPlanOfEveryExample: the plan of every example renders in both
// formats, the HTML parses strictly, and both name every step, the
// decision-maker and every watched trigger in words.
func TestPlanOfEveryExample(t *testing.T) {
	paths, err := filepath.Glob("../runbooks/examples/*.yaml")
	if err != nil || len(paths) < 2 {
		t.Fatalf("examples: %v %v", paths, err)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			rb, err := runbooks.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			doc := Build(rb, nil, nil)
			var html, md bytes.Buffer
			if err := doc.HTML(&html); err != nil {
				t.Fatal(err)
			}
			if err := doc.Markdown(&md); err != nil {
				t.Fatal(err)
			}
			markuptest.WellFormed(t, html.String())
			if len(doc.Triggers) == 0 {
				t.Fatal("no trigger in words")
			}
			for _, out := range []string{html.String(), md.String()} {
				for _, s := range append(rb.Steps, rb.Rollback...) {
					if !strings.Contains(out, s.ID) {
						t.Errorf("plan lacks step %s", s.ID)
					}
				}
				if !strings.Contains(out, rb.DecisionMaker) || !strings.Contains(out, "Rollback procedure") {
					t.Errorf("plan lacks the decision-maker or the rollback procedure")
				}
			}
			if strings.Contains(html.String(), "http://") || strings.Contains(html.String(), "https://") || strings.Contains(html.String(), "src=") {
				t.Error("the HTML refers to an external asset")
			}
		})
	}
}

const hostile = `version: 1
name: "<script>alert(1)</script> & \u001b[31mred"
migration_id: MIG-1
decision_maker: "a<b>"
objectives: { rto: 30m, expected: 1h }
triggers: { reject_rate: 0.1%, overrun: 150%, cdc_lag: 30s, verify_mismatch: 3, step_failed: true }
connections:
  db: { driver: sqlite, path: "x.db" }
steps:
  - { id: s1, kind: shell, owner: "<img src=x>", run: "echo '</pre><script>x</script>' && printf '\u0007'", title: "# heading *bold* [l](u)" }
  - { id: s2, kind: manual, checklist: ["</li><li>injected", "1. not a list"] }
rollback:
  - { id: r1, kind: sql, on: db, run: "delete from t where a = '<b>'; select 1" }
`

// TestPlanEscapesHostileText: runbook text with markup, terminal escapes
// and Markdown syntax comes out inert in both formats.
func TestPlanEscapesHostileText(t *testing.T) {
	rb, err := runbooks.Parse("hostile.yaml", []byte(hostile))
	if err != nil {
		t.Fatal(err)
	}
	doc := Build(rb, nil, nil)
	var html, md bytes.Buffer
	if err := doc.HTML(&html); err != nil {
		t.Fatal(err)
	}
	if err := doc.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	markuptest.WellFormed(t, html.String())
	for _, bad := range []string{"<script", "<img", "<b>", "</li><li>injected", "\x1b", "\x07"} {
		if strings.Contains(html.String(), bad) {
			t.Errorf("HTML carries %q raw", bad)
		}
		if strings.Contains(strings.ReplaceAll(outsideCode(md.String()), `\<`, ""), bad) {
			t.Errorf("Markdown carries %q raw outside code blocks", bad)
		}
	}
	for _, want := range []string{`\# heading \*bold\* \[l\](u)`, `\<script\>`, "1\\. not a list", "\nsh -c 'echo '\\''</pre><script>x</script>"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
}

// TestTriggersInWords: every trigger of the registry has its own sentence,
// and the thresholds read as the runbook spells them.
func TestTriggersInWords(t *testing.T) {
	for _, spec := range runbooks.TriggerSpecs() {
		if spec.Sentence == nil {
			t.Errorf("trigger %s has no sentence for the plan", spec.Name)
		}
	}
	rb, err := runbooks.Parse("hostile.yaml", []byte(hostile))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(triggers(rb), "\n")
	for _, want := range []string{
		"Roll back if more than 0.1% of any table's rows are rejected",
		"longer than 150% of the expected duration (1h30m of 1h)",
		"more than 3 rows of a table differ",
		"falls more than 30s behind the source",
		"whenever a step fails",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("triggers lack %q:\n%s", want, got)
		}
	}
}

// TestAlwaysWatchedCDCTriggersOnlyWithAStream: cdc_position_lost and
// cdc_schema_change are always watched, and a plan names them in words
// only when a step captures changes.
func TestAlwaysWatchedCDCTriggersOnlyWithAStream(t *testing.T) {
	rb, err := runbooks.Parse("hostile.yaml", []byte(hostile))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(triggers(rb), "\n"); strings.Contains(got, "change stream") || strings.Contains(got, "changes shape") {
		t.Errorf("a runbook without cdc-start names the stream triggers:\n%s", got)
	}
	withStream := strings.Replace(hostile, "connections:\n  db: { driver: sqlite, path: \"x.db\" }",
		"connections:\n  db: { driver: sqlite, path: \"x.db\" }\n  pg: { driver: postgres, dsn_env: PG }", 1)
	withStream = strings.Replace(withStream, "steps:\n", "steps:\n  - { id: cs, kind: cdc-start, tables: [t], from: pg, to: db }\n", 1)
	rb, err = runbooks.Parse("stream.yaml", []byte(withStream))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(triggers(rb), "\n")
	for _, want := range []string{"cannot resume exactly where the journal says", "changes shape mid-stream"} {
		if !strings.Contains(got, want) {
			t.Errorf("triggers lack %q:\n%s", want, got)
		}
	}
}

// outsideCode drops the fenced code blocks of a Markdown text, where text
// is shown as it is and markup is inert.
func outsideCode(md string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			in = !in
			continue
		}
		if !in {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// TestRestoreTimeAgainstRTO: the rollback's restore time comes from the
// latest drill that rolled back, judged against the RTO; without one the
// plan says it is unknown.
func TestRestoreTimeAgainstRTO(t *testing.T) {
	rb, err := runbooks.Parse("hostile.yaml", []byte(hostile)) // rto: 30m
	if err != nil {
		t.Fatal(err)
	}
	ms := func(d time.Duration) *int64 { n := d.Milliseconds(); return &n }
	day := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	hist := []scorecard.History{{MigrationID: "MIG-1", Drills: []scorecard.Entry{
		{StartedAt: day, RolledBack: true, RestoreMS: ms(45 * time.Minute)},
		{StartedAt: day.Add(24 * time.Hour), RolledBack: true, RestoreMS: ms(12 * time.Minute)},
		{StartedAt: day.Add(48 * time.Hour), RolledBack: false},
	}}}
	if got := restoreTime(rb, hist); !strings.Contains(got, "took 12m00s") || !strings.Contains(got, "within the RTO of 30m") {
		t.Errorf("latest drill within the RTO: %q", got)
	}
	hist[0].Drills[1].StartedAt = day.Add(-24 * time.Hour) // the 45-minute restore is now the latest
	if got := restoreTime(rb, hist); !strings.Contains(got, "took 45m00s") || !strings.Contains(got, "OVER the RTO of 30m") {
		t.Errorf("latest drill over the RTO: %q", got)
	}
	if got := restoreTime(rb, nil); !strings.Contains(got, "unknown") {
		t.Errorf("no drill: %q", got)
	}
}
