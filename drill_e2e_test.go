package main

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/drill/scorecard"
	"github.com/tightrope/tightrope/journal"
)

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// drillJournals finds the drill journals under dir.
func drillJournals(t *testing.T, dir string) []string {
	t.Helper()
	found, err := filepath.Glob(filepath.Join(dir, "*", "*.journal"))
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// Acceptance: the na-ratings drill on the demo, unattended, exits 0 with a
// scorecard showing detection, decision and a restore within the RTO, the
// restored data proven; the live files are untouched and the clones gone.
func TestDrillDemoNARatings(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(t.TempDir(), "card.json")
	out, code := tightrope(t, nil, "drill", "--demo", "--scenario", "na-ratings", "--plain", "--auto-decide", "rollback", "--dir", dir, "--as", "dana", "--scorecard-json", js)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if b, err := os.ReadFile(js); err != nil || !strings.Contains(string(b), `"pass": true`) || !strings.Contains(string(b), `"time_to_detect_ms"`) {
		t.Errorf("scorecard JSON: %v\n%s", err, b)
	}
	live := []string{filepath.Join(dir, "live", "shop.db"), filepath.Join(dir, "live", "target.db")}
	var before [][32]byte
	for _, p := range live {
		before = append(before, fileSum(t, p))
	}
	for _, want := range []string{"DRILL fault injected: bad-rows:products.rating:8000:not-integer", "DRILL scorecard · scenario na-ratings · expected rollback · PASS",
		"detected   at", "decided    rollback", "within the RTO of 5m0s", "checksums equal the snapshot manifest", "live files untouched (2, sha256 equal before and after)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	journals := drillJournals(t, dir)
	if len(journals) != 1 {
		t.Fatalf("drill journals: %v", journals)
	}
	events, err := journal.ReadAll(journals[0])
	if err != nil {
		t.Fatal(err)
	}
	s := journal.Fold(events)
	if s.Mode != journal.ModeDrill {
		t.Errorf("journal mode %q, want drill", s.Mode)
	}
	for _, c := range s.Runbook.Connections {
		if !strings.Contains(c.Path, "_drill_") {
			t.Errorf("the drill's runbook names connection %s = %s, not a drill clone", c.Name, c.Path)
		}
	}
	card := scorecard.Score(events)
	if !card.Pass || card.Detected == nil || card.Decided == nil || !card.DataProven || !card.Rollback.WithinRTO {
		t.Errorf("scorecard from the journal: %+v", card)
	}
	rep, code := tightrope(t, nil, "report", journals[0])
	if first, _, _ := strings.Cut(rep, "\n"); code != 0 || !strings.HasPrefix(first, "# DRILL post-mortem") {
		t.Errorf("report: exit %d, first line %q", code, first)
	}
	if !strings.Contains(rep, "DRILL scorecard · scenario na-ratings · expected rollback · PASS") {
		t.Errorf("the report lacks the scorecard:\n%s", rep)
	}
	clones, _ := filepath.Glob(filepath.Join(filepath.Dir(journals[0]), "*_drill_*"))
	if len(clones) != 0 {
		t.Errorf("clones left behind: %v", clones)
	}
	// a second drill, by someone else, reuses the live demo world (with
	// them as decision-maker), and leaves it as it was
	if out, code := tightrope(t, nil, "drill", "--demo", "--scenario", "scale-8-prices", "--plain", "--auto-decide", "rollback", "--dir", dir, "--as", "erin"); code != 0 {
		t.Fatalf("second drill: exit %d:\n%s", code, out)
	}
	for i, p := range live {
		if fileSum(t, p) != before[i] {
			t.Errorf("%s changed during the drill", p)
		}
	}
}

// Acceptance: a drill that expects a rollback, where the operator
// continues, fails its scorecard (exit 1) and says why.
func TestDrillExpectingRollbackContinuedFails(t *testing.T) {
	dir := t.TempDir()
	out, code := tightrope(t, nil, "drill", "--demo", "--scenario", "na-ratings", "--plain", "--auto-decide", "continue", "--dir", dir, "--as", "dana")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	if !strings.Contains(out, "FAIL       a rollback was expected, but dana chose continue") {
		t.Errorf("the scorecard does not say why it failed:\n%s", out)
	}
}

// A drill refuses a connection without a drill stand-in unless cloned,
// and one whose stand-in is a live connection; neither touches anything.
func TestDrillRefusesLiveConnections(t *testing.T) {
	dir := t.TempDir()
	write := func(name, drill string) string {
		p := filepath.Join(dir, name)
		text := `version: 1
name: t
migration_id: T-1
decision_maker: dana
connections:
  source: { driver: sqlite, path: s.db }
  target: { driver: sqlite, path: t.db }
` + drill + `steps:
  - { id: copy, kind: copy, tables: [p] }
`
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out, code := tightrope(t, nil, "drill", write("none.yaml", ""), "--fault", "notifier-down", "--plain", "--as", "dana")
	if code != exitUsage || !strings.Contains(out, `connection "source" has no stand-in in the runbook's drill: section and --clone was not given`) {
		t.Errorf("no drill section: exit %d:\n%s", code, out)
	}
	out, code = tightrope(t, nil, "drill", write("cross.yaml", "drill:\n  source: { path: t.db }\n  target: { path: t2.db }\n"), "--fault", "notifier-down", "--plain", "--as", "dana")
	if code != exitUsage || !strings.Contains(out, `drill connection "source" is also the live connection "target"`) {
		t.Errorf("stand-in is a live connection: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "drills")); err == nil {
		entries, _ := os.ReadDir(filepath.Join(dir, "drills"))
		for _, e := range entries {
			if j, _ := filepath.Glob(filepath.Join(dir, "drills", e.Name(), "*.journal")); len(j) > 0 {
				t.Errorf("a refused drill wrote a journal: %v", j)
			}
		}
	}
}

func TestDrillListDescribesFaultsAndScenarios(t *testing.T) {
	out, code := tightrope(t, nil, "drill", "--list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, want := range []string{"bad-rows:TABLE.COLUMN:N:KIND", "network-drop:CONN@STEP:DURATION", "kill@STEP[:AFTER]", "corrupt-snapshot:STEP",
		"target-drift:TABLE:N", "notifier-down", "latency:CONN:DELAY", "na-ratings", "scale-8-prices", "overrun-150", "kill-mid-copy"} {
		if !strings.Contains(out, want) {
			t.Errorf("--list lacks %q", want)
		}
	}
}

// Acceptance: drills over five drill journals prints the history, oldest
// first, and the consistency line; JSON and HTML say the same.
func TestDrillsHistoryOverFiveDrills(t *testing.T) {
	dir := t.TempDir()
	for i, decide := range []string{"rollback", "rollback", "continue", "rollback", "rollback"} {
		if out, code := tightrope(t, nil, "drill", "--demo", "--scenario", "na-ratings", "--plain", "--auto-decide", decide, "--dir", dir, "--as", "dana"); (code == 0) != (decide == "rollback") {
			t.Fatalf("drill %d (%s): exit %d:\n%s", i, decide, code, out)
		}
	}
	out, code := tightrope(t, nil, "drills", dir)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if n := strings.Count(out, "na-ratings"); n != 5 {
		t.Errorf("%d drills listed, want 5:\n%s", n, out)
	}
	if strings.Count(out, "FAIL") != 1 || !strings.Contains(out, "4 of the last 4 drills that rolled back met the RTO: consistent") {
		t.Errorf("history:\n%s", out)
	}
	js, code := tightrope(t, nil, "drills", dir, "--format", "json")
	if code != 0 || !strings.Contains(js, `"consistency": "4 of the last 4 drills that rolled back met the RTO: consistent"`) {
		t.Errorf("json: exit %d\n%s", code, js)
	}
	html, code := tightrope(t, nil, "drills", dir, "--format", "html", "--last", "2")
	if code != 0 || !strings.Contains(html, "<td>na-ratings</td>") || !strings.Contains(html, "2 of the last 2 drills") {
		t.Errorf("html: exit %d\n%s", code, html)
	}
}

// corrupt-snapshot: the restore detects the damaged artefact before it
// touches the data; with no earlier snapshot of the migration it fails
// loudly, and after an earlier drill it falls back to that drill's
// snapshot and proves it.
func TestDrillCorruptSnapshotFallsBackOrFailsLoudly(t *testing.T) {
	dir := t.TempDir()
	out, code := tightrope(t, nil, "drill", "--demo", "--scenario", "corrupt-snapshot", "--plain", "--auto-decide", "rollback", "--dir", dir, "--as", "dana")
	if code != 1 || !strings.Contains(out, "snapshot artefact is damaged") || !strings.Contains(out, "there is no earlier snapshot of source for migration MIG-DEMO-001 to fall back to") {
		t.Fatalf("without an earlier snapshot: exit %d:\n%s", code, out)
	}
	dir = t.TempDir()
	if out, code := tightrope(t, nil, "drill", "--demo", "--scenario", "na-ratings", "--plain", "--auto-decide", "rollback", "--dir", dir, "--as", "dana"); code != 0 {
		t.Fatalf("earlier drill: exit %d:\n%s", code, out)
	}
	out, code = tightrope(t, nil, "drill", "--demo", "--scenario", "corrupt-snapshot", "--plain", "--auto-decide", "rollback", "--dir", dir, "--as", "dana")
	if code != 0 {
		t.Fatalf("with an earlier snapshot: exit %d:\n%s", code, out)
	}
	for _, want := range []string{"the restore detected it and fell back to MIG-DEMO-001 source@", "(restore-source) in", "expected rollback · PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// kill-mid-copy on the demo: the run process is killed in the copy and
// resumed from the journal by the drill, and the copy ends exact.
func TestDrillKillMidCopyResumesExact(t *testing.T) {
	dir := t.TempDir()
	out, code := tightrope(t, nil, "drill", "--demo", "--scenario", "kill-mid-copy", "--plain", "--auto-decide", "continue", "--dir", dir, "--as", "dana")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"DRILL fault injected: kill@copy:rows=1000 — run process killed (SIGKILL) once step copy had committed", "drill: the run process was killed (signal: killed); resuming it", "run resumed by dana",
		"resumed    1 times from the journal", "last verify exact", "expected continue · PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "read 4600 = written 4570 + rejected 30") {
		t.Errorf("the resumed copy does not add up to the source:\n%s", out)
	}
}
