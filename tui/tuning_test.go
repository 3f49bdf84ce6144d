package tui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tightrope/tightrope/journal"
)

// The throughput pane shows a copying table's batch size and workers in
// force, from the fold of its copy_tuned events; a finished table does not.
func TestThroughputShowsTheBatchInForce(t *testing.T) {
	s := copyState()
	s.Tables = append([]journal.TableState(nil), s.Tables...)
	s.Tables[0].Tuning = journal.CopyTunedPayload{Table: "customers", Batch: 4000, Parallel: 1, Reason: "chosen"}
	s.Tables[1].Tuning = journal.CopyTunedPayload{Table: "orders", Batch: 8200, Parallel: 2, Workers: 2, AutoBatch: true, Reason: "grew"}
	m, _ := newTestModel(t, "alice", s)
	m = update(t, m, tea.WindowSizeMsg{Width: 200, Height: 50})
	mustContain(t, m, "batch 8,200 ×2 ↑")
	if strings.Contains(screen(m), "batch 4,000") {
		t.Error("a finished table shows its batch size")
	}
}

// TestPlainCopyTunedLines: the chosen values and a resize, one line each.
func TestPlainCopyTunedLines(t *testing.T) {
	s := time.Second
	events := []journal.Event{
		event(1, 0, journal.RunStarted, "", "alice", journal.RunStartedPayload{Operator: "alice", Mode: "live"}),
		event(2, 1*s, journal.CopyTuned, "copy", "alice", journal.CopyTunedPayload{Table: "orders", Batch: 2600, Parallel: 2, Workers: 2,
			AutoBatch: true, AutoParallel: true, Reason: "chosen", RowBytes: 98}),
		event(3, 2*s, journal.CopyTuned, "copy", "alice", journal.CopyTunedPayload{Table: "orders", Batch: 5200, Parallel: 2, Workers: 2,
			AutoBatch: true, AutoParallel: true, Reason: "grew", RowBytes: 101, TookMS: 40, Rows: 2600}),
		event(4, 3*s, journal.CopyTuned, "copy", "alice", journal.CopyTunedPayload{Table: "orders", Batch: 1300, Parallel: 2, Workers: 2,
			AutoBatch: true, AutoParallel: true, Reason: "shrank", RowBytes: 101, TookMS: 900, Rows: 5200, TargetMS: 250}),
		event(5, 4*s, journal.RunResumed, "", "alice", journal.RunResumedPayload{Operator: "alice", FromSeq: 4}),
		event(6, 5*s, journal.CopyTuned, "copy", "alice", journal.CopyTunedPayload{Table: "orders", Batch: 1300, Parallel: 2, Workers: 2,
			AutoBatch: true, AutoParallel: true, Reason: "resumed", RowBytes: 101, TargetMS: 250}),
	}
	var out bytes.Buffer
	p := NewPlain(&out)
	var st journal.State
	for _, e := range events {
		st.Apply(e)
		p.Event(e, &st)
	}
	got := out.String()
	for _, want := range []string{
		"orders: batch 2,600 rows (auto, ~98 bytes a row) · 2 of 2 workers (auto)",
		"orders: batch grew to 5,200 rows (a batch of 2,600 took 40 ms; ~101 bytes a row)",
		"orders: batch shrank to 1,300 rows (a batch of 5,200 took 900 ms, over twice the 250 ms target; ~101 bytes a row)",
		"orders: batch 1,300 rows (auto, as in force before the restart, ~101 bytes a row) · 2 of 2 workers (auto)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if tb := st.Tables[0]; tb.Tuning.Batch != 1300 || tb.Resizes != 2 || tb.TunedStep != "copy" {
		t.Errorf("folded table %+v: want batch 1300 of step copy after 2 resizes (a resumed start is none)", tb)
	}
}
