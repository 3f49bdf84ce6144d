package tui

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/tightrope/tightrope/journal"
)

const drillRunbookText = `version: 1
name: shop drill
migration_id: SHOP-7
decision_maker: alice
objectives: { rto: 5m }
connections:
  source: { driver: sqlite, path: s.db }
  target: { driver: sqlite, path: t.db }
triggers: { reject_rate: 0.1% }
steps:
  - { id: snap, kind: snapshot, of: source }
  - { id: copy, kind: copy, tables: [products] }
rollback:
  - { id: restore, kind: restore, snapshot: snap }
`

// drillJournal writes a real drill journal — a bad-rows fault, the
// trigger it caused, a rollback decided and a proven restore — one second
// between events, and returns its path and its fold.
func drillJournal(t *testing.T, scenario string) (string, journal.State) {
	t.Helper()
	clk := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { clk = clk.Add(time.Second); return clk }
	path := filepath.Join(t.TempDir(), "drill.journal")
	plan := &journal.DrillPlan{ID: "d7f3a1", Scenario: scenario, Faults: []string{"bad-rows:products.rating:8000:not-integer"}, Expect: journal.ChoiceRollback}
	st, err := journal.Create(path, journal.RunStartedPayload{RunbookText: drillRunbookText, Mode: journal.ModeDrill, Operator: "alice",
		Fault: plan.Faults[0], Drill: plan}, "alice", journal.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	manifest := []journal.TableSnapshot{{Table: "products", Rows: 12000, Checksum: "9f2c"}}
	add := func(step string, typ journal.Type, p any) {
		t.Helper()
		if _, err := st.Append(context.Background(), "alice", step, typ, p); err != nil {
			t.Fatal(err)
		}
	}
	add("snap", journal.FaultInjected, journal.FaultPayload{Spec: plan.Faults[0], Kind: "bad-rows", At: clk.Add(time.Second), Rows: 8000, Detail: "8000 ratings set to 'N/A'"})
	add("snap", journal.StepStarted, journal.StepStartedPayload{Kind: "snapshot"})
	add("snap", journal.SnapshotTaken, journal.SnapshotPayload{Step: "snap", Label: "SHOP-7 source@1", Connection: "source", Tables: manifest})
	add("snap", journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusDone})
	add("copy", journal.StepStarted, journal.StepStartedPayload{Kind: "copy"})
	add("copy", journal.TriggerFired, journal.TriggerPayload{Trigger: "reject_rate", Table: "products", Message: "reject rate of products is 66.7%"})
	add("copy", journal.Decision, journal.DecisionPayload{Kind: journal.AwaitTrigger, Choice: journal.ChoiceRollback, Trigger: "reject_rate"})
	add("copy", journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusFailed, Error: "stopped for the rollback"})
	add("", journal.RollbackStarted, journal.RollbackPayload{Reason: "rollback decided"})
	add("restore", journal.StepStarted, journal.StepStartedPayload{Kind: "restore", Rollback: true})
	add("restore", journal.RestoreFinished, journal.RestorePayload{Snapshot: "SHOP-7 source@1", Connection: "source", Verified: true, Tables: manifest, DurationMS: 900})
	add("restore", journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusDone})
	add("", journal.RollbackFinished, journal.RollbackPayload{DurationMS: 3000, RTOMS: 300000, OK: true})
	add("", journal.RunFinished, journal.RunFinishedPayload{Outcome: journal.OutcomeRolledBack})
	events, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, journal.Fold(events)
}

// drillScreen runs the console as a drill under teatest (120x40, NoTTY),
// feeds it the states, and, when end is set, closes the session as the
// conductor does when the drill is over and waits for the scorecard.
func drillScreen(t *testing.T, opts Options, end bool, states ...journal.State) []byte {
	t.Helper()
	sess := newFakeSession()
	opts.Operator, opts.Now = "alice", fixedNow
	tm := teatest.NewTestModel(t, New(sess, opts),
		teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.NoTTY)))
	for _, s := range states {
		sess.ch <- s
	}
	sess.ch <- states[len(states)-1]
	if end {
		close(sess.ch)
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("esc closes")) },
			teatest.WithDuration(5*time.Second))
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	var screen bytes.Buffer
	w := &colorprofile.Writer{Forward: &screen, Profile: colorprofile.NoTTY}
	if _, err := w.Write([]byte(final.View().Content)); err != nil {
		t.Fatal(err)
	}
	assertFits(t, screen.String(), 120, 40)
	return screen.Bytes()
}

func drillCopyState() journal.State {
	s := copyState()
	s.Mode, s.Fault = journal.ModeDrill, "bad-rows:orders.status:210:not-integer"
	return s
}

func TestGoldenDrillHeaderMidCopy(t *testing.T) {
	screen := drillScreen(t, Options{Mode: ModeDrill}, false, drillCopyState())
	if first, _, _ := strings.Cut(string(screen), "\n"); !strings.HasPrefix(strings.TrimSpace(first), "DRILL ") || !strings.Contains(first, "fault bad-rows") {
		t.Errorf("the header does not say DRILL and the fault: %q", first)
	}
	golden.RequireEqual(t, screen)
}

// The drill's end: the scorecard, read from the journal, over the final
// screen, with the same lines plain mode prints.
func TestGoldenDrillScorecard(t *testing.T) {
	path, final := drillJournal(t, "na-ratings")
	screen := drillScreen(t, Options{Mode: ModeDrill, Journal: path}, true, final)
	for _, want := range []string{" DRILL  scorecard · scenario na-ratings · expected rollback · PASS", "detected   at 02:00:07.000 by trigger",
		"decided    rollback at 02:00:08.000 by alice", "within the RTO of 5m0s", "checksums equal the snapshot manifest", "esc closes"} {
		if !strings.Contains(string(screen), want) {
			t.Errorf("the scorecard lacks %q:\n%s", want, screen)
		}
	}
	golden.RequireEqual(t, screen)
}

// frameHeader is the first line of the model's screen.
func frameHeader(m Model) string {
	first, _, _ := strings.Cut(m.View().Content, "\n")
	return first
}

// Every frame of a drill says DRILL: the opening frame, the run, the alarm,
// the end, the scorecard over it, the help; and a drill's journal watched
// or replayed says DRILL too (the fold's mode).
func TestDrillHeaderInEveryFrame(t *testing.T) {
	path, final := drillJournal(t, "na-ratings")
	mid := drillCopyState()
	opening := mid
	for _, mode := range []string{ModeDrill, ModeWatch, ModeReplay, ModeLive} {
		m := New(newFakeSession(), Options{Operator: "alice", Mode: mode, Now: fixedNow, Journal: path, Initial: &opening})
		m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
		check := func(frame string) {
			t.Helper()
			if h := frameHeader(m); !strings.Contains(h, "DRILL") {
				t.Errorf("%s, %s: the header lacks DRILL: %q", mode, frame, h)
			}
		}
		check("opening")
		m = update(t, m, stateMsg{State: mid})
		check("mid-copy")
		m = update(t, m, stateMsg{State: triggerStateDrill()})
		check("alarm")
		m = update(t, m, stateMsg{State: final})
		check("rolled back")
		m = update(t, m, sessionDoneMsg{})
		check("session over")
		m = update(t, m, scorecardMsg{lines: []string{"DRILL scorecard · PASS", "  outcome    rolled_back"}})
		check("scorecard open")
		m = update(t, m, keyMsg("esc"))
		m = update(t, m, keyMsg("?"))
		check("help")
		for _, w := range []int{80, 40} {
			m = update(t, m, tea.WindowSizeMsg{Width: w, Height: 24})
			check("narrow")
		}
	}
}

func triggerStateDrill() journal.State {
	s := triggerState()
	s.Mode, s.Fault = journal.ModeDrill, "bad-rows:orders.status:210:not-integer"
	return s
}

// The scorecard opens only at the end of the drill's own console, is read
// from the journal, closes with esc, and q closes it and quits.
func TestScorecardOverlayOpensAndCloses(t *testing.T) {
	path, final := drillJournal(t, "na-ratings")
	m := New(newFakeSession(), Options{Operator: "alice", Mode: ModeDrill, Now: fixedNow, Journal: path})
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = update(t, m, stateMsg{State: final})
	if m.loadScorecard() == nil {
		t.Fatal("a drill's console does not load its scorecard")
	}
	next, cmd := m.Update(sessionDoneMsg{})
	m = next.(Model)
	if cmd == nil {
		t.Fatal("the end of the drill does not read the scorecard")
	}
	msg, ok := cmd().(scorecardMsg)
	if !ok || msg.err != "" || len(msg.lines) == 0 || !strings.Contains(msg.lines[0], "PASS") {
		t.Fatalf("scorecard read from the journal: %+v", msg)
	}
	m = update(t, m, msg)
	if !strings.Contains(m.View().Content, "checksums equal the snapshot manifest") {
		t.Fatalf("the scorecard is not on screen:\n%s", m.View().Content)
	}
	if closed := update(t, m, keyMsg("esc")); closed.card != nil || strings.Contains(closed.View().Content, "esc closes") {
		t.Error("esc does not close the scorecard")
	}
	next, cmd = m.Update(keyMsg("q"))
	if next.(Model).card != nil || cmd == nil {
		t.Fatal("q does not close the scorecard and quit")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("q over the scorecard of a finished drill does not quit")
	}
	for _, mode := range []string{ModeLive, ModeWatch, ModeReplay} {
		other := New(newFakeSession(), Options{Operator: "alice", Mode: mode, Now: fixedNow, Journal: path})
		if other.loadScorecard() != nil {
			t.Errorf("%s: a console that is not the drill's reads a scorecard", mode)
		}
	}
}

// A long scorecard on a short screen scrolls, and says which lines show.
func TestScorecardScrollsOnAShortScreen(t *testing.T) {
	lines := []string{"DRILL scorecard · FAIL"}
	for i := range 30 {
		lines = append(lines, "  FAIL       reason "+string(rune('a'+i%26)))
	}
	m, _ := newTestModel(t, "alice", drillCopyState())
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 20})
	m = update(t, m, scorecardMsg{lines: lines})
	v := m.View().Content
	if !strings.Contains(v, "lines 1–13 of 30") || !strings.Contains(v, "reason a") || strings.Contains(v, "reason z") {
		t.Fatalf("the first page is wrong:\n%s", v)
	}
	m = update(t, m, keyMsg("pgdown"))
	m = update(t, m, keyMsg("pgdown"))
	v = m.View().Content
	if !strings.Contains(v, "of 30") || !strings.Contains(v, "reason d") || strings.Contains(v, "reason a\n") {
		t.Fatalf("pgdown does not reach the end:\n%s", v)
	}
	assertFits(t, v, 80, 20)
}

// Hostile text in the journal (a scenario name with a screen clear) shows
// escaped on the scorecard, never raw.
func TestScorecardEscapesJournalText(t *testing.T) {
	path, final := drillJournal(t, "x\x1b[2Jy\x1b]52;c;aGk=\a")
	m := New(newFakeSession(), Options{Operator: "alice", Mode: ModeDrill, Now: fixedNow, Journal: path})
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = update(t, m, stateMsg{State: final})
	_, cmd := m.Update(sessionDoneMsg{})
	m = update(t, m, cmd())
	v := m.View().Content
	if strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\x1b]52") || strings.Contains(v, "\a") {
		t.Fatal("raw control sequences from the journal reach the screen")
	}
	if !strings.Contains(v, `x\x1b[2Jy`) {
		t.Errorf("the scenario is not shown escaped:\n%s", v)
	}
}
