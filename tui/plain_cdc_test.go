package tui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// plainOf prints events through a Plain as the run would, folding each.
func plainOf(t *testing.T, evs []journal.Event) string {
	t.Helper()
	var out bytes.Buffer
	p := NewPlain(&out)
	s := journal.State{StartedAt: t0}
	for _, e := range evs {
		s.Apply(e)
		p.Event(e, &s)
	}
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestPlainCDCLagLines: a stream's opening is printed; its lag samples (one
// every 5s) at most every 10s; a change of trend or of headroom level at
// once; captured and applied transactions never.
func TestPlainCDCLagLines(t *testing.T) {
	t.Parallel()
	evs := cdcEvents(2)
	next := int64(len(evs) + 2)
	add := func(d time.Duration, p journal.CDCLagPayload) {
		evs = append(evs, event(next, d, journal.CDCLagSample, "copy", "engine", p))
		next++
	}
	end := 31*time.Minute + 55*time.Second // the last sample of cdcEvents
	add(end+time.Second, journal.CDCLagPayload{Stream: "orders_stream", LagMS: 3300, ApplyLagTxs: 420, Trend: "steady", ETAMS: -1, WALStatus: "reserved", HeadroomBytes: 1288490189})
	add(end+2*time.Second, journal.CDCLagPayload{Stream: "orders_stream", LagMS: 3300, ApplyLagTxs: 420, Trend: "steady", ETAMS: -1, WALStatus: "unreserved", HeadroomBytes: -1})
	add(end+3*time.Second, journal.CDCLagPayload{Stream: "orders_stream", LagMS: -1, ApplyLagTxs: -1, Trend: "steady", ETAMS: -1, WALStatus: "unreserved", HeadroomBytes: -1})
	got := plainOf(t, evs)
	for _, want := range []string{
		"[08:00.0] cdc orders_stream: started on source (postgres) · 2 tables: orders, order_lines · from 0/16B3748",
		"[08:00.0] cdc legacy_audit: started on legacy (mysql) · 1 table: audit · from 0-1-4410",
		"[30:00.0] cdc orders_stream: lag 9.0s (900 txs), converging, ETA 20s, WAL reserved, headroom 1.2 GiB",
		"[31:50.0] cdc orders_stream: lag 3.5s (438 txs), converging, ETA 20s, WAL reserved, headroom 1.2 GiB",
		"[31:50.0] cdc legacy_audit: lag 21s (76 txs), diverging, headroom 200.0 MiB, oldest binlog mysql-bin.000042 — headroom LOW",
		"[31:56.0] cdc orders_stream: lag 3.3s (420 txs), steady, WAL reserved, headroom 1.2 GiB",
		"[31:57.0] cdc orders_stream: lag 3.3s (420 txs), steady, WAL unreserved — headroom LOW",
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("output lacks %q", want)
		}
	}
	// 24 samples 5s apart: one line every 10s is 12 per stream, plus the
	// trend change and the headroom change (the unmeasured sample 1s
	// later changes neither and is held back).
	if n := strings.Count(got, "cdc orders_stream: lag"); n != 14 {
		t.Errorf("%d lag lines for orders_stream, want 14:\n%s", n, got)
	}
	if n := strings.Count(got, "cdc legacy_audit: lag"); n != 12 {
		t.Errorf("%d lag lines for legacy_audit, want 12", n)
	}
	if strings.Contains(got, "lag not measured") || strings.Contains(got, "0/16B0") {
		t.Errorf("held-back sample or a captured transaction printed:\n%s", got)
	}
}

// A stream name carrying escape sequences is printed escaped.
func TestPlainCDCEscapes(t *testing.T) {
	t.Parallel()
	got := plainOf(t, []journal.Event{
		event(1, time.Second, journal.CDCStreamStarted, "", "engine", journal.CDCStreamPayload{Stream: "s\x1b[2J\nforged line", Source: "src", Tables: []string{"t"}}),
		event(2, 2*time.Second, journal.CDCLagSample, "", "engine", journal.CDCLagPayload{Stream: "s\x1b[2J\nforged line", LagMS: 10, ApplyLagTxs: 1, ETAMS: -1, HeadroomBytes: -1, WALStatus: "\x1b]0;x\x07"}),
	})
	if strings.Contains(got, "\x1b") || strings.Count(got, "\n") != 2 {
		t.Errorf("raw escape or a forged line:\n%q", got)
	}
}

// An open writing transaction on the source prints at once when it appears
// (its app name escaped) and again when it goes.
func TestPlainCDCOpenTx(t *testing.T) {
	t.Parallel()
	evs := cdcEvents(1)
	next := int64(len(evs) + 2)
	add := func(d time.Duration, p journal.CDCLagPayload) {
		evs = append(evs, event(next, d, journal.CDCLagSample, "copy", "engine", p))
		next++
	}
	end := 31*time.Minute + 55*time.Second
	base := journal.CDCLagPayload{Stream: "orders_stream", LagMS: 0, ApplyLagTxs: 0, Trend: "steady", ETAMS: -1, HeadroomBytes: -1}
	add(end+time.Second, base)
	open := base
	open.OpenTx = &journal.CDCOpenTx{AgeMS: 12000, PID: 4242, App: "x\x1b[2J", State: "idle in transaction", Rows: -1}
	add(end+2*time.Second, open)
	add(end+3*time.Second, base)
	got := plainOf(t, evs)
	want := "[31:57.0] cdc orders_stream: lag 0.0s (0 txs), steady — source transaction open 12s on pid 4242 (app 'x\\x1b[2J'), idle in transaction, not yet in the log\n"
	if !strings.Contains(got, want) || !strings.Contains(got, "[31:58.0] cdc orders_stream: lag") || strings.Contains(got, "\x1b") {
		t.Errorf("output lacks %q and the line after it (or holds a raw escape):\n%s", want, got)
	}
}

// The console's CDC pane names an open writing transaction, escaped.
func TestCDCPaneOpenTxWords(t *testing.T) {
	t.Parallel()
	l := &journal.CDCLagPayload{HeadroomBytes: -1, WALStatus: "reserved",
		OpenTx: &journal.CDCOpenTx{AgeMS: 12000, PID: 4242, App: "x\x1b[2J", Rows: 3}}
	want := "WAL reserved, source tx open 12s on pid 4242 (app 'x\\x1b[2J'), 3 rows modified, not in the log yet"
	if got := cdcHeadroomWords(l); got != want {
		t.Errorf("pane words %q, want %q", got, want)
	}
}
