package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/journal"
)

// rejectsJournal is a journal holding n rejects of orders: every third
// one a precision loss, the others N/A in the integer column qty.
func rejectsJournal(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.journal")
	store := newStore(t, path)
	rows := make([]journal.RejectRow, n)
	for i := range rows {
		reason, col, val, detail := "not_integer", "qty", any("N/A"), `"N/A" is not an integer`
		if i%3 == 2 {
			reason, col, val, detail = "precision_loss", "price", "12.345", "12.345 does not fit numeric(10,2)"
		}
		rows[i] = journal.RejectRow{Table: "orders", Key: map[string]any{"id": int64(1000 + i)},
			Row:    map[string]any{"id": int64(1000 + i), col: val, "note": "row \x1b[31m" + fmt.Sprint(i)},
			Column: col, Reason: reason, Detail: detail}
	}
	for i := 0; i < n; i += 500 {
		if _, err := store.AppendRejects(context.Background(), "alice", "copy", rows[i:min(i+500, n)],
			journal.RejectsPayload{Table: "orders"}); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// newJournalModel is newTestModel over a journal's rejects, at w×h.
func newJournalModel(t *testing.T, path, operator string, w, h int, s journal.State) Model {
	t.Helper()
	m := New(newFakeSession(), Options{Operator: operator, Mode: ModeLive, Now: fixedNow, Journal: path})
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return update(t, m, stateMsg{State: s})
}

var (
	ctrlR = tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl}
	endK  = tea.KeyPressMsg{Code: tea.KeyEnd}
)

func TestRejectsBrowserFromAlarmDialogKeepsTheDecision(t *testing.T) {
	t.Parallel()
	m := newJournalModel(t, rejectsJournal(t, 13), "alice", 120, 40, triggerState())
	if d := m.top(); d == nil || d.kind != dlgTrigger {
		t.Fatal("the alarm dialog did not open")
	}
	m, _ = press(t, m, "e")
	if m.browser == nil {
		t.Fatal("e did not open the rejects browser over the alarm dialog")
	}
	mustContain(t, m, "REJECTED ROWS", "row 1 of 13", "N/A", "not_integer", `"N/A" is not an integer`, "ALARM")
	m, _ = press(t, m, "esc")
	if m.browser != nil {
		t.Fatal("esc did not close the browser")
	}
	if d := m.top(); d == nil || d.kind != dlgTrigger {
		t.Fatal("closing the browser dismissed the decision")
	}
	mustContain(t, m, "DECISION REQUIRED")

	// From the justification being typed: ctrl+r, and the text survives.
	m, _ = press(t, m, "c")
	m = typeText(t, m, "legacy N/A statuses")
	m = update(t, m, ctrlR)
	if m.browser == nil {
		t.Fatal("ctrl+r did not open the browser from the justification")
	}
	m, _ = press(t, m, "j", "esc")
	d := m.top()
	if m.browser != nil || d == nil || d.kind != dlgReason || d.input.Value() != "legacy N/A statuses" {
		t.Fatalf("after the browser: dialog %+v", d)
	}
}

func TestRejectsBrowserShowsValuesSafely(t *testing.T) {
	t.Parallel()
	m := newJournalModel(t, rejectsJournal(t, 3), "alice", 120, 40, copyState())
	m, _ = press(t, m, "e", "enter") // the first row, whole
	if strings.Contains(m.View().Content, "\x1b[31m0") {
		t.Fatal("a raw escape from the data reached the screen")
	}
	mustContain(t, m, `"note":"row \u001b[31m0"`, "row {")
	rec := journal.RejectRecord{Column: "qty", Row: []byte(`{"qty":"a\u001b[2Jb"}`)}
	if v := value(rec); strings.ContainsRune(v, 0x1b) || !strings.Contains(v, "a") {
		t.Fatalf("value %q reaches the terminal raw", v)
	}
}

// countingSource counts the pages asked of the journal.
type countingSource struct {
	RejectSource
	pages int
}

func (c *countingSource) Page(ctx context.Context, f journal.RejectFilter, off, n int) ([]journal.RejectRecord, error) {
	c.pages++
	return c.RejectSource.Page(ctx, f, off, n)
}

func TestRejectsBrowserScrollsWithoutReadingEverything(t *testing.T) {
	t.Parallel()
	path := rejectsJournal(t, 3000)
	m := newJournalModel(t, path, "alice", 120, 40, copyState())
	r, err := journal.OpenRejects(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	src := &countingSource{RejectSource: r}
	m.c.rejects = src
	m, _ = press(t, m, "e")
	mustContain(t, m, "row 1 of 3,000", "orders · not_integer 2,000", "orders · precision_loss 1,000")
	for range 5 {
		m, _ = press(t, m, "j")
	}
	mustContain(t, m, "row 6 of 3,000")
	first := src.pages
	m = update(t, m, endK)
	mustContain(t, m, "row 3,000 of 3,000", "precision_loss")
	m = update(t, m, tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	mustContain(t, m, "row 2,997 of 3,000")
	m, _ = press(t, m, "home")
	mustContain(t, m, "row 1 of 3,000")
	if src.pages-first > 3 || first > 2 {
		t.Fatalf("pages read: %d to open, %d more to scroll to the end and back", first, src.pages-first)
	}
	if n := len(m.browser.cache); n > rejectsCache {
		t.Fatalf("browser holds %d rows, more than its cache of %d", n, rejectsCache)
	}
}

func TestRejectsBrowserFilter(t *testing.T) {
	t.Parallel()
	m := newJournalModel(t, rejectsJournal(t, 30), "alice", 120, 40, copyState())
	m, _ = press(t, m, "e", "/")
	m = typeText(t, m, "numeric")
	m, _ = press(t, m, "enter")
	mustContain(t, m, "row 1 of 10", "filter numeric", "orders · precision_loss 10")
	mustNotContain(t, m, "not_integer")
	m, _ = press(t, m, "/")
	m = typeText(t, m, "zzz")
	m, _ = press(t, m, "esc") // cancel: the filter stays numeric
	mustContain(t, m, "row 1 of 10")
	m, _ = press(t, m, "/", "ctrl+u")
	m = typeText(t, m, "nothing like this")
	m, _ = press(t, m, "enter")
	mustContain(t, m, "no rejected row matches the filter")
}

func TestRejectsBrowserFollowsTheReplayCursor(t *testing.T) {
	t.Parallel()
	path := rejectsJournal(t, 600) // two batches: 500 then 100
	evs, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	var batchSeqs []int64
	for _, e := range evs {
		if e.Type == journal.RowsRejected {
			batchSeqs = append(batchSeqs, e.Seq)
		}
	}
	s := copyState()
	s.LastSeq = batchSeqs[0]
	m := newJournalModel(t, path, "alice", 120, 40, s)
	m, _ = press(t, m, "e")
	mustContain(t, m, "row 1 of 500")
	s.LastSeq = batchSeqs[1]
	s.Tables = append([]journal.TableState(nil), s.Tables...)
	s.Tables[1].ByReason = map[string]int64{"not_integer": 600}
	m = update(t, m, stateMsg{State: s})
	mustContain(t, m, "row 1 of 600")
}

func TestCtrlCInTheBrowserStillAsksToQuit(t *testing.T) {
	t.Parallel()
	m := newJournalModel(t, rejectsJournal(t, 3), "alice", 120, 40, copyState())
	m, _ = press(t, m, "e", "ctrl+c")
	if m.browser != nil {
		t.Fatal("ctrl+c left the browser open")
	}
	if d := m.top(); d == nil || d.kind != dlgQuit {
		t.Fatalf("ctrl+c in the browser: dialog %v, want the quit prompt", d)
	}
}

func TestRejectsBrowserWithoutAJournalSaysWhy(t *testing.T) {
	t.Parallel()
	m, _ := newTestModel(t, "alice", copyState())
	m, _ = press(t, m, "e")
	mustContain(t, m, "no journal to read the rejected rows from")
	m, _ = press(t, m, "esc")
	if m.browser != nil {
		t.Fatal("esc did not close")
	}
}
