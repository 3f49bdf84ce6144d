package engine

import (
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
)

// An open writing transaction older than the lag is what cdc_lag judges,
// with it as the evidence (the app name escaped); a younger one leaves the
// lag judged, and is still in the evidence.
func TestCDCLagJudgesTheOpenTransaction(t *testing.T) {
	p := journal.CDCLagPayload{Stream: "s", LagMS: 300, Trend: "steady",
		OpenTx: &journal.CDCOpenTx{AgeMS: 12000, PID: 4242, App: "x\x1b[2J", State: "idle in transaction", Rows: 3}}
	m := cdcLag("soak", p)
	if m.observed != 12000 || m.evidence["open_tx_pid"] != int64(4242) || m.evidence["open_tx_rows"] != int64(3) {
		t.Fatalf("observed %v, evidence %v", m.observed, m.evidence)
	}
	msg := m.message(2000)
	for _, want := range []string{"source transaction open 12s on pid 4242 (app 'x\\x1b[2J'), idle in transaction, 3 rows modified, not yet in the log",
		"its changes will arrive at once when it commits", "over the 2.0s threshold"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\x1b") {
		t.Errorf("message %q carries a raw escape", msg)
	}
	p.OpenTx.AgeMS = 100
	if m := cdcLag("soak", p); m.observed != 300 || m.evidence["open_tx_age_ms"] != int64(100) || !strings.Contains(m.message(2000), "behind the source") {
		t.Errorf("a young open transaction: observed %v, %q", m.observed, m.message(2000))
	}
	p.OpenTx = nil
	if m := cdcLag("soak", p); m.observed != 300 || m.evidence["open_tx_pid"] != nil {
		t.Errorf("no open transaction: observed %v, evidence %v", m.observed, m.evidence)
	}
}
