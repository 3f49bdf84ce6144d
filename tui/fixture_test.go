package tui

import (
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// fakeSession is the test seam for engine.Session: snapshots go in on a
// channel, commands are recorded.
type fakeSession struct {
	ch   chan journal.State
	mu   sync.Mutex
	cmds []engine.Command
}

func newFakeSession() *fakeSession { return &fakeSession{ch: make(chan journal.State)} }

func (f *fakeSession) Updates() <-chan journal.State { return f.ch }

func (f *fakeSession) Send(c engine.Command) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cmds = append(f.cmds, c)
}

func (f *fakeSession) sent() []engine.Command {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]engine.Command(nil), f.cmds...)
}

var t0 = time.Date(2026, 3, 14, 2, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func fixedNow() time.Time { return at(32*time.Minute + 10*time.Second) }

func ptr[T any](v T) *T { return &v }

// testRunbook is the DESIGN.md example runbook, built by hand.
func testRunbook() *runbooks.Runbook {
	return &runbooks.Runbook{
		Version: 1, Name: "Shop database to PostgreSQL", MigrationID: "MIG-2026-042", DecisionMaker: "alice",
		Objectives: runbooks.Objectives{RTO: 30 * time.Minute, Expected: 45 * time.Minute, Window: 4 * time.Hour},
		Strategy:   "snapshot",
		Triggers:   runbooks.Triggers{RejectRate: ptr(0.001), Overrun: ptr(1.5), VerifyMismatch: ptr(int64(0)), StepFailed: true},
		Steps: []runbooks.Step{
			{ID: "freeze", Title: "Put the shop into maintenance mode", Kind: "manual", Owner: "bob",
				Instructions: "Switch the load balancer to the maintenance page, then pause the cron host.",
				Checklist:    []string{"Banner is up", "Cron jobs paused"}},
			{ID: "snap", Kind: "snapshot", Of: "source"},
			{ID: "prep", Kind: "sql", On: "target", Run: "create schema if not exists shop"},
			{ID: "copy", Title: "Copy customers and orders", Kind: "copy", Tables: []string{"customers", "orders"}, Batch: 5000, Parallel: 2, Expected: 20 * time.Minute},
			{ID: "check", Kind: "verify", All: true},
			{ID: "go", Kind: "gate", Question: "Switch the shop to PostgreSQL?"},
			{ID: "switch", Kind: "shell", Run: "./switch.sh postgres", Expected: 2 * time.Minute},
		},
		Rollback: []runbooks.Step{
			{ID: "restore", Kind: "restore", Snapshot: "snap"},
			{ID: "switch-back", Kind: "shell", Run: "./switch.sh mysql"},
		},
	}
}

// baseState is the run before it starts: every step pending.
func baseState() journal.State {
	rb := testRunbook()
	s := journal.State{Runbook: rb, RunbookSHA: "9f2c4e1a77b0", Operator: "alice", Mode: "live",
		StartedAt: t0, LastAt: t0, LastSeq: 1}
	for _, st := range rb.Steps {
		s.Steps = append(s.Steps, journal.StepState{ID: st.ID, Title: st.DisplayTitle(), Kind: st.Kind,
			Status: journal.StatusPending, Expected: st.Expected, Checked: make([]bool, len(st.Checklist))})
	}
	for _, st := range rb.Rollback {
		s.Steps = append(s.Steps, journal.StepState{ID: st.ID, Title: st.DisplayTitle(), Kind: st.Kind, Rollback: true,
			Status: journal.StatusPending})
	}
	return s
}

func setStep(s *journal.State, id, status string, start, end time.Duration) {
	for i := range s.Steps {
		if s.Steps[i].ID == id && !s.Steps[i].Rollback {
			s.Steps[i].Status, s.Steps[i].StartedAt, s.Steps[i].Attempts = status, at(start), 1
			if end > 0 {
				s.Steps[i].FinishedAt = at(end)
			}
		}
	}
}

// manualState: the freeze step waits for its checklist.
func manualState() journal.State {
	s := baseState()
	setStep(&s, "freeze", journal.StatusWaiting, 0, 0)
	s.Current, s.LastAt, s.LastSeq = "freeze", at(2*time.Second), 3
	s.Pending = &journal.Pending{AwaitingPayload: journal.AwaitingPayload{Kind: "manual", Question: "Confirm: Put the shop into maintenance mode", Choices: []string{"confirm"}},
		StepID: "freeze", Since: at(2 * time.Second)}
	return s
}

// copyState: mid-copy, customers done, orders at 52% with rejects.
func copyState() journal.State {
	s := baseState()
	setStep(&s, "freeze", journal.StatusDone, 0, 3*time.Minute)
	s.Steps[0].Checked = []bool{true, true}
	setStep(&s, "snap", journal.StatusDone, 3*time.Minute, 7*time.Minute+12*time.Second)
	setStep(&s, "prep", journal.StatusDone, 7*time.Minute+12*time.Second, 7*time.Minute+13*time.Second)
	setStep(&s, "copy", journal.StatusRunning, 7*time.Minute+13*time.Second, 0)
	s.Current = "copy"
	s.LastAt, s.LastSeq = at(32*time.Minute), 812
	s.Tables = []journal.TableState{
		{ProgressPayload: journal.ProgressPayload{Table: "customers", Read: 120000, Written: 120000, Total: 120000, TotalExact: true, ElapsedMS: 300000},
			Done: true, ByReason: map[string]int64{}, StartedAt: at(7 * time.Minute), UpdatedAt: at(12 * time.Minute)},
		{ProgressPayload: journal.ProgressPayload{Table: "orders", Read: 1040000, Written: 1039790, Rejected: 210, Total: 2000000, TotalExact: false, ElapsedMS: 1480000},
			ByReason:  map[string]int64{"text in integer column": 180, "string too long": 30},
			StartedAt: at(7 * time.Minute), UpdatedAt: at(32 * time.Minute)},
	}
	s.Snapshots = []journal.SnapshotPayload{{Label: "MIG-2026-042@20260314T020300Z", Connection: "source", Method: "vacuum-into",
		Tables:     []journal.TableSnapshot{{Table: "customers", Rows: 120000, Checksum: "c1"}, {Table: "orders", Rows: 2000000, Checksum: "c2"}},
		DurationMS: 252000, CapturedAt: at(3 * time.Minute), EstRestoreMS: 41 * 60 * 1000}}
	s.Casts = []journal.CastPayload{{Table: "orders", Column: "status", From: "N/A", To: "NULL", Count: 12}}
	s.Log = []journal.LogRecord{
		{At: at(7*time.Minute + 13*time.Second), StepID: "prep", Stream: "info", Line: "create schema if not exists shop: ok"},
		{At: at(12 * time.Minute), StepID: "copy", Stream: "info", Line: "customers: 120,000 rows copied, 0 rejected"},
		{At: at(31 * time.Minute), StepID: "copy", Stream: "warn", Line: "orders: 30 rows rejected in batch 208 (text in integer column)"},
	}
	s.Notes = []journal.NoteRecord{{Text: "DBA on call confirms replica lag is zero", Actor: "bob", At: at(20 * time.Minute)}}
	return s
}

// copyStatePrev is an earlier sample of orders, so rows/s has two samples.
func copyStatePrev() journal.State {
	s := copyState()
	s.Tables = append([]journal.TableState(nil), s.Tables...)
	o := s.Tables[1]
	o.Read, o.Written, o.UpdatedAt = 1030000, 1029800, at(32*time.Minute-2*time.Second)
	s.Tables[1] = o
	s.LastSeq--
	return s
}

// triggerState: the reject rate of orders crossed the threshold.
func triggerState() journal.State {
	s := copyState()
	s.Tables = append([]journal.TableState(nil), s.Tables...)
	s.Tables[1].Rejected = 2210
	s.Tables[1].ByReason = map[string]int64{"text in integer column": 2180, "string too long": 30}
	tr := journal.TriggerPayload{Trigger: "reject_rate", Table: "orders", Observed: 0.002125, Threshold: 0.001,
		Message:  "orders: 2,210 of 1,040,000 rows rejected",
		Evidence: map[string]any{"read": float64(1040000), "rejected": float64(2210), "top_reason": "text in integer column"}}
	s.Triggers = []journal.TriggerPayload{tr}
	setStep(&s, "copy", journal.StatusWaiting, 7*time.Minute+13*time.Second, 0)
	s.Pending = &journal.Pending{AwaitingPayload: journal.AwaitingPayload{Kind: "trigger",
		Question: "Roll back MIG-2026-042, or continue with a written justification?",
		Choices:  []string{"rollback", "continue"}, Who: "alice"}, StepID: "copy", Trigger: &tr, Since: at(32 * time.Minute)}
	s.LastSeq = 820
	return s
}

// gateState: everything up to the gate done.
func gateState() journal.State {
	s := copyState()
	s.Tables = append([]journal.TableState(nil), s.Tables...)
	s.Tables[1].Read, s.Tables[1].Written, s.Tables[1].Done = 2000000, 1999790, true
	setStep(&s, "copy", journal.StatusDone, 7*time.Minute+13*time.Second, 38*time.Minute)
	setStep(&s, "check", journal.StatusDone, 38*time.Minute, 40*time.Minute)
	setStep(&s, "go", journal.StatusWaiting, 40*time.Minute, 0)
	s.Current = "go"
	s.Pending = &journal.Pending{AwaitingPayload: journal.AwaitingPayload{Kind: "gate", Question: "Switch the shop to PostgreSQL?",
		Choices: []string{"go", "no-go"}, Who: "alice"}, StepID: "go", Since: at(40 * time.Minute)}
	s.LastAt, s.LastSeq = at(40*time.Minute), 900
	return s
}

// newTestModel is the console for an operator at 120x40 with a state.
func newTestModel(t *testing.T, operator string, s journal.State) (Model, *fakeSession) {
	t.Helper()
	sess := newFakeSession()
	m := New(sess, Options{Operator: operator, Mode: ModeLive, Now: fixedNow})
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = update(t, m, stateMsg{State: s})
	return m, sess
}

func update(t *testing.T, m Model, msg tea.Msg) Model {
	t.Helper()
	next, _ := m.Update(msg)
	return next.(Model)
}

// keyMsg builds a key press from its String() form.
func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	}
	if r := []rune(k); len(r) == 1 && unicode.IsUpper(r[0]) {
		return tea.KeyPressMsg{Code: unicode.ToLower(r[0]), ShiftedCode: r[0], Mod: tea.ModShift, Text: k}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// press sends keys and returns the model and the last command.
func press(t *testing.T, m Model, keys ...string) (Model, tea.Cmd) {
	t.Helper()
	var cmd tea.Cmd
	for _, k := range keys {
		var next tea.Model
		next, cmd = m.Update(keyMsg(k))
		m = next.(Model)
	}
	return m, cmd
}

// typeText types s one key at a time.
func typeText(t *testing.T, m Model, s string) Model {
	t.Helper()
	for _, r := range s {
		m = update(t, m, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return m
}

// screen is the view as plain text.
func screen(m Model) string { return ansi.Strip(m.View().Content) }

func mustContain(t *testing.T, m Model, want ...string) {
	t.Helper()
	sc := screen(m)
	for _, w := range want {
		if !strings.Contains(sc, w) {
			t.Errorf("screen lacks %q:\n%s", w, sc)
		}
	}
}

func mustNotContain(t *testing.T, m Model, unwanted string) {
	t.Helper()
	if sc := screen(m); strings.Contains(sc, unwanted) {
		t.Errorf("screen shows %q:\n%s", unwanted, sc)
	}
}
