package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/demo"
	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// runDemo runs the demo through the engine, answering everything with
// choice (continue or rollback) as alice, and returns the journal's path
// and the conductor's final State.
func runDemo(t *testing.T, choice string) (string, journal.State) {
	t.Helper()
	dir := t.TempDir()
	path, err := demo.Write(context.Background(), dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(rb.Text)
	jpath := filepath.Join(dir, "run.journal")
	store, err := journal.Create(jpath, journal.RunStartedPayload{
		RunbookText: string(rb.Text), RunbookSHA256: hex.EncodeToString(sum[:]), RunbookPath: rb.Path,
		ToolVersion: "test", Operator: "alice", Mode: journal.ModeLive,
	}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c := engine.New(engine.Options{
		Runbook: rb, Journal: store, State: journal.Fold([]journal.Event{store.First()}),
		Operator: "alice", BaseDir: dir, AutoDecide: choice,
	})
	go func() { // drain updates as a console would
		for range c.Updates() {
		}
	}()
	if _, err := c.Run(context.Background()); err != nil && choice == journal.ChoiceContinue {
		t.Fatalf("demo run: %v", err)
	}
	return jpath, c.State()
}

// tamper rewrites one byte of an event's payload behind the store's back,
// as someone with the sqlite3 tool would, or sets the payload to payload
// when it is not empty.
func tamper(t *testing.T, path string, seq int, payload string) {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	update := `UPDATE events SET payload_json = substr(payload_json, 1, 5) ||
		CASE substr(payload_json, 6, 1) WHEN 'a' THEN 'b' ELSE 'a' END || substr(payload_json, 7) WHERE seq = ?`
	args := []any{seq}
	if payload != "" {
		update, args = `UPDATE events SET payload_json = ? WHERE seq = ?`, []any{payload, seq}
	}
	if _, err := d.Exec("DROP TRIGGER IF EXISTS events_no_update"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(update, args...); err != nil {
		t.Fatal(err)
	}
}

// render renders r in every format and returns them by format name.
func render(t *testing.T, r *Report) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range Formats {
		var buf bytes.Buffer
		if err := Render(&buf, r, f); err != nil {
			t.Fatalf("render %s: %v", f, err)
		}
		out[f] = buf.String()
	}
	return out
}

// goldenRunbook is the runbook of the hand-written journals.
const goldenRunbook = `version: 1
name: Shop database to PostgreSQL
migration_id: MIG-2026-042
decision_maker: alice
objectives: { rto: 30m, rpo: 0s, expected: 45m, window: 4h }
strategy: snapshot
connections:
  source: { driver: sqlite, path: shop.db }
  target: { driver: sqlite, path: target.db }
triggers:
  reject_rate: 0.1%
  verify_mismatch: 0
  step_failed: true
steps:
  - id: freeze
    title: Put the shop into maintenance mode
    kind: manual
    owner: bob
    checklist: [Banner is up, Cron jobs paused]
  - { id: snap, title: Snapshot the shop, kind: snapshot, of: source }
  - { id: copy, title: Copy the shop, kind: copy, tables: [customers, products, orders], expected: 5m }
  - { id: check, title: Verify the copy, kind: verify, tables: all }
  - { id: go, kind: gate, question: Switch the shop to PostgreSQL? }
  - { id: switch, title: Switch the shop, kind: shell, run: ./switch.sh postgres, expected: 2m }
rollback:
  - { id: restore, title: Restore the shop, kind: restore, snapshot: snap }
  - { id: switch-back, title: Switch the shop back, kind: shell, run: ./switch.sh mysql }
`

// handJournal writes a journal by hand with a fixed clock, so that its
// report is the same on every run. Each step sets the clock to its offset
// from the start and appends one event.
type handJournal struct {
	t     *testing.T
	path  string
	store *journal.Store
	start time.Time
	now   time.Time
}

func newHandJournal(t *testing.T, opts ...journal.Option) *handJournal {
	t.Helper()
	return newHandJournalOf(t, goldenRunbook, opts...)
}

// newHandJournalOf is newHandJournal for another runbook.
func newHandJournalOf(t *testing.T, runbook string, opts ...journal.Option) *handJournal {
	t.Helper()
	h := &handJournal{t: t, path: filepath.Join(t.TempDir(), "golden.journal")}
	h.start = time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)
	h.now = h.start
	store, err := journal.Create(h.path, journal.RunStartedPayload{
		RunbookText: runbook, RunbookPath: "shop.yaml", ToolVersion: "test", Operator: "alice", Mode: journal.ModeLive,
	}, "alice", append([]journal.Option{journal.WithClock(func() time.Time { return h.now })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	h.store = store
	t.Cleanup(func() { store.Close() })
	return h
}

// at appends one event at offset d from the start.
func (h *handJournal) at(d time.Duration, actor, stepID string, typ journal.Type, payload any) journal.Event {
	h.t.Helper()
	h.now = h.start.Add(d)
	e, err := h.store.Append(context.Background(), actor, stepID, typ, payload)
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

// rejects stores reject rows and appends their rows_rejected event.
func (h *handJournal) rejects(d time.Duration, stepID, table string, rows []journal.RejectRow) {
	h.t.Helper()
	h.now = h.start.Add(d)
	digest, err := h.store.AddRejects(context.Background(), stepID, rows)
	if err != nil {
		h.t.Fatal(err)
	}
	by := map[string]int64{}
	for _, r := range rows {
		by[r.Reason]++
	}
	h.at(d, "alice", stepID, journal.RowsRejected, journal.RejectsPayload{Table: table, ByReason: by, RowsSHA256: digest})
}

// close closes the store, so readers see every event.
func (h *handJournal) close() {
	h.t.Helper()
	if err := h.store.Close(); err != nil {
		h.t.Fatal(err)
	}
}

// lines returns the lines of s that contain sub.
func lines(s, sub string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}
