package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/tightrope/tightrope/journal"
)

// cdcEvents are two change streams' events from seq first on, at offsets
// from t0: orders_stream (PostgreSQL) catching up, its lag falling from
// 9s to 3.2s with 412 transactions behind; legacy_audit (MariaDB) falling
// behind with little binlog left before the position is purged.
func cdcEvents(first int64) []journal.Event {
	var evs []journal.Event
	seq := first
	add := func(d time.Duration, typ journal.Type, p any) {
		evs = append(evs, event(seq, d, typ, "copy", "engine", p))
		seq++
	}
	add(8*time.Minute, journal.CDCStreamStarted, journal.CDCStreamPayload{Stream: "orders_stream", Source: "source", Engine: "postgres",
		Tables: []string{"orders", "order_lines"}, Start: "0/16B3748"})
	add(8*time.Minute, journal.CDCStreamStarted, journal.CDCStreamPayload{Stream: "legacy_audit", Source: "legacy", Engine: "mysql",
		Tables: []string{"audit"}, Start: "0-1-4410"})
	ordersSpooled, auditSpooled, ordersApplied, auditApplied := 0, 0, 0, 0
	for i := range 24 {
		d := 30*time.Minute + time.Duration(i)*5*time.Second
		n := 40
		if i == 0 {
			n = 940 // the backlog the bulk copy left
		}
		for j := range n {
			add(d, journal.CDCChanges, journal.CDCChangesPayload{Stream: "orders_stream", Position: fmt.Sprintf("0/16B%04X", ordersSpooled+j),
				At: at(d - 3*time.Second), Changes: make([]journal.CDCChange, 3)})
		}
		ordersSpooled += n
		behind := 900 - i*21
		add(d, journal.CDCApplied, journal.CDCAppliedPayload{Stream: "orders_stream", Target: "target", Seq: seq - 1,
			Position: fmt.Sprintf("0/16B%04X", ordersSpooled-behind), Txs: ordersSpooled - behind - ordersApplied, Changes: 3 * (ordersSpooled - behind - ordersApplied)})
		ordersApplied = ordersSpooled - behind
		lag := int64(9000 - i*250)
		if i == 23 {
			lag = 3200
		}
		add(d, journal.CDCLagSample, journal.CDCLagPayload{Stream: "orders_stream", SourceLagBytes: 2048, SourceLagMS: 400,
			ApplyLagTxs: int64(behind), ApplyLagMS: lag - 400, LagMS: lag, Trend: "converging", ETAMS: 20000,
			WALStatus: "reserved", HeadroomBytes: 1288490189})
		n = 5
		if i == 0 {
			n = 10
		}
		for range n {
			add(d, journal.CDCChanges, journal.CDCChangesPayload{Stream: "legacy_audit", Position: fmt.Sprintf("0-1-%d", 4410+auditSpooled),
				At: at(d - 2*time.Second), Changes: make([]journal.CDCChange, 1)})
			auditSpooled++
		}
		if i > 0 {
			add(d, journal.CDCApplied, journal.CDCAppliedPayload{Stream: "legacy_audit", Target: "target", Seq: seq - 1,
				Position: fmt.Sprintf("0-1-%d", 4410+2*i), Txs: 2*i - auditApplied, Changes: 2*i - auditApplied})
			auditApplied = 2 * i
		}
		add(d, journal.CDCLagSample, journal.CDCLagPayload{Stream: "legacy_audit", SourceLagBytes: -1, SourceLagMS: 2000,
			ApplyLagTxs: int64(10 + i*3), ApplyLagMS: 1000, LagMS: int64(2000 + i*900), Trend: "diverging", ETAMS: -1,
			HeadroomBytes: 200 << 20, OldestLog: "mysql-bin.000042"})
	}
	return evs
}

// cdcState is the mid-copy state with both streams folded in, and a
// cdc_lag trigger of 30s in the runbook.
func cdcState() journal.State {
	s := copyState()
	s.Runbook.Triggers.CDCLag = ptr(30 * time.Second)
	for _, e := range cdcEvents(s.LastSeq + 1) {
		s.Apply(e)
	}
	return s
}

func TestCDCPaneShowsLagTrendAndHeadroom(t *testing.T) {
	t.Parallel()
	m, _ := newTestModel(t, "alice", cdcState())
	mustContain(t, m, "CHANGE CAPTURE", "trigger > 30s",
		"orders_stream", "lag 3.2s · 417 txs behind", "↘ converging ETA 20s", "spooled 1,860 · applied 1,443 txs", "WAL reserved, 1.2 GiB headroom",
		"legacy_audit", "↗ diverging", "⚠ 200.0 MiB headroom, oldest binlog mysql-bin.000042")
	mustNotContain(t, m, "diverging ETA")
	m = update(t, m, tea.WindowSizeMsg{Width: 200, Height: 60})
	mustContain(t, m, "⚠ 200.0 MiB headroom, oldest binlog mysql-bin.000042 · spooled 125 · applied 46 txs (46/125 changes)",
		"spooled 1,860 · applied 1,443 txs (4,329/5,580 changes) · WAL reserved, 1.2 GiB headroom  █")
}

// The pane takes no room while the run has no stream.
func TestCDCPaneHiddenWithoutAStream(t *testing.T) {
	t.Parallel()
	for _, w := range []int{80, 120, 200} {
		m, _ := newTestModel(t, "alice", copyState())
		m = update(t, m, tea.WindowSizeMsg{Width: w, Height: 40})
		mustNotContain(t, m, "CHANGE CAPTURE")
	}
}

// Update keeps the latest state: a stream appearing shows the pane, and
// a replay going back to before it hides it again.
func TestCDCPaneUpdate(t *testing.T) {
	t.Parallel()
	p := newCDC(&Common{Styles: DefaultStyles(DefaultTheme()), Now: fixedNow})
	p.Update(stateMsg{State: copyState()})
	if p.active() {
		t.Fatal("active without a stream")
	}
	p.Update(stateMsg{State: cdcState()})
	if !p.active() || len(p.state.CDC) != 2 {
		t.Fatalf("after a state with two streams: active %v, %d streams", p.active(), len(p.state.CDC))
	}
	p.SetSize(120, 10)
	if v := p.View(); !strings.Contains(v, "lag 3.2s") || strings.Count(v, "\n") != 9 {
		t.Errorf("view of 10 lines with the lag expected:\n%s", v)
	}
	p.Update(stateMsg{State: copyState()})
	if p.active() {
		t.Error("still active after going back before the streams")
	}
}

// Past the cdc_lag threshold the lag is red; unmeasured lag says so; a
// position-lost trigger is shown under its stream, before the counters
// when room is short.
func TestCDCPaneAlarms(t *testing.T) {
	t.Parallel()
	s := cdcState()
	s.Apply(event(s.LastSeq+1, 33*time.Minute, journal.CDCLagSample, "copy", "engine", journal.CDCLagPayload{Stream: "orders_stream",
		LagMS: 45000, ApplyLagTxs: 3000, Trend: "diverging", ETAMS: -1, WALStatus: "lost", HeadroomBytes: 0}))
	s.Apply(event(s.LastSeq+1, 33*time.Minute, journal.CDCLagSample, "copy", "engine", journal.CDCLagPayload{Stream: "legacy_audit",
		LagMS: -1, ApplyLagTxs: -1, ETAMS: -1, HeadroomBytes: -1}))
	s.Apply(event(s.LastSeq+1, 33*time.Minute, journal.TriggerFired, "copy", "engine", journal.TriggerPayload{Trigger: trigCDCPositionLost,
		Message: "slot orders_stream: wal_status lost", Evidence: map[string]any{"stream": "orders_stream", "wal_status": "lost"}}))
	p := newCDC(&Common{Styles: DefaultStyles(DefaultTheme()), Now: fixedNow})
	p.Update(stateMsg{State: s})
	lines := p.lines(120, 5)
	text := strings.Join(lines, "\n")
	if n := strings.Count(text, "spooled"); n != 1 {
		t.Errorf("with room for 4 lines, %d counter lines are shown; want only the lost stream's:\n%s", n, text)
	}
	for _, want := range []string{"lag 45s · 3,000 txs behind", "⚠ position lost: slot orders_stream: wal_status lost", "⚠ WAL lost, 0 B headroom", "lag not measured"} {
		if !strings.Contains(text, want) {
			t.Errorf("4 lines lack %q:\n%s", want, text)
		}
	}
	red := p.c.Styles.Danger.Render("lag 45s · 3,000 txs behind")
	if !strings.Contains(text, red) {
		t.Errorf("a lag past the 30s threshold is not in the danger style:\n%q", text)
	}
}

// Hostile stream names and statuses reach the screen escaped.
func TestCDCPaneEscapesUntrustedText(t *testing.T) {
	t.Parallel()
	s := copyState()
	s.Apply(event(900, 31*time.Minute, journal.CDCStreamStarted, "copy", "engine", journal.CDCStreamPayload{Stream: "evil\x1b]0;pwned\x07\nname", Engine: "postgres"}))
	s.Apply(event(901, 32*time.Minute, journal.CDCLagSample, "copy", "engine", journal.CDCLagPayload{Stream: "evil\x1b]0;pwned\x07\nname",
		LagMS: 1000, ApplyLagTxs: 1, ETAMS: -1, WALStatus: "res\x1b[2Jerved", HeadroomBytes: -1, OldestLog: "bin\r.1"}))
	m, _ := newTestModel(t, "alice", s)
	sc := m.View().Content
	for _, bad := range []string{"\x1b]0;pwned", "\x1b[2J", "\r"} {
		if strings.Contains(sc, bad) {
			t.Errorf("screen holds %q", bad)
		}
	}
	mustContain(t, m, `evil\x1b]0;pwned`)
}

func TestGoldenCDC80x24(t *testing.T) {
	golden.RequireEqual(t, goldenSized(t, "", 80, 24, nil, cdcState()))
}

func TestGoldenCDC200x60(t *testing.T) {
	golden.RequireEqual(t, goldenSized(t, "", 200, 60, nil, cdcState()))
}

func TestGoldenCDC120x40(t *testing.T) {
	golden.RequireEqual(t, goldenSized(t, "", 120, 40, nil, cdcState()))
}

// TestReplayShowsTheCDCPane: a journal with change streams, written
// through the store and replayed, shows the pane at its end (the replay
// folds the same events), and seeking back before the streams hides it.
func TestReplayShowsTheCDCPane(t *testing.T) {
	t.Parallel()
	clock := t0
	path := filepath.Join(t.TempDir(), "cdc.journal")
	store, err := journal.Create(path, journal.RunStartedPayload{Operator: "alice", Mode: journal.ModeLive, ToolVersion: "test",
		RunbookText: "version: 1\nname: CDC\nmigration_id: MIG-CDC\ndecision_maker: alice\ntriggers: { cdc_lag: 30s }\nsteps:\n  - { id: copy, kind: shell, run: ./copy.sh }\n"},
		"alice", journal.WithClock(func() time.Time { return clock }))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cdcEvents(2) {
		clock = e.At
		p, err := journal.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Append(context.Background(), e.Actor, e.StepID, e.Type, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	evs, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReplay(evs, 1, (&fakeClock{t: time.Now()}).now)
	defer r.Close()
	m := New(r, Options{Operator: "alice", Mode: ModeReplay})
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = update(t, m, stateMsg{State: nextState(t, r)})
	mustNotContain(t, m, "CHANGE CAPTURE")
	r.SeekEnd()
	s := nextState(t, r)
	for s.LastSeq != evs[len(evs)-1].Seq {
		s = nextState(t, r)
	}
	m = update(t, m, stateMsg{State: s})
	mustContain(t, m, "CHANGE CAPTURE", "trigger > 30s", "orders_stream  lag 3.2s · 417 txs behind  ↘ converging ETA 20s", "legacy_audit")
	r.SeekStart()
	m = update(t, m, stateMsg{State: nextState(t, r)})
	mustNotContain(t, m, "CHANGE CAPTURE")
}

// At every size from tiny to wide the screen with the pane fits, and from
// 80x24 up every stream's lag line is on it.
func TestCDCPaneFitsEverySize(t *testing.T) {
	t.Parallel()
	m, _ := newTestModel(t, "alice", cdcState())
	for _, w := range []int{30, 52, 69, 70, 80, 109, 110, 140, 200, 260} {
		for _, h := range []int{8, 16, 24, 40, 60} {
			m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
			assertFits(t, m.View().Content, w, h)
			if w >= 80 && h >= 24 {
				mustContain(t, m, "orders_stream  lag 3.2s", "legacy_audit   lag 22s")
			}
		}
	}
}
