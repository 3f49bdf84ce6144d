package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/tightrope/tightrope/internal/markuptest"
	"github.com/tightrope/tightrope/journal"
)

const cdcRunbook = `version: 1
name: Orders with change capture
migration_id: MIG-2026-090
decision_maker: alice
objectives: { rto: 30m, expected: 40m, window: 2h }
connections:
  source: { driver: sqlite, path: shop.db }
  target: { driver: sqlite, path: target.db }
triggers: { cdc_lag: 30s }
steps:
  - { id: copy, title: Copy and capture, kind: shell, run: ./copy.sh, expected: 25m }
`

// writeCDCRun writes a run with two change streams. orders_stream's lag
// climbs from 2s past the 30s cdc_lag threshold (the trigger fires at
// 6m40s, alice continues with a 60s limit), peaks at 42s and converges to
// 1s by 20m. audit_stream's slot headroom shrinks until its WAL is lost and
// cdc_position_lost fires at 15m with its evidence.
func writeCDCRun(t *testing.T, stream string) string {
	t.Helper()
	h := newHandJournalOf(t, cdcRunbook)
	s, m := time.Second, time.Minute
	h.at(0, "alice", "copy", journal.StepStarted, journal.StepStartedPayload{Kind: "shell", Title: "Copy and capture"})
	h.at(10*s, "engine", "copy", journal.CDCStreamStarted, journal.CDCStreamPayload{Stream: stream, Source: "source", Engine: "postgres",
		Tables: []string{"orders", "order_lines"}, Start: "0/16B3748", SystemID: "7300000000000000001", Timeline: 1})
	h.at(10*s, "engine", "copy", journal.CDCStreamStarted, journal.CDCStreamPayload{Stream: "audit_stream", Source: "source", Engine: "postgres",
		Tables: []string{"audit"}, Start: "0/16B3748"})
	spooled, applied := 0, 0
	var lastSeq int64
	pos := func(n int) string { return fmt.Sprintf("0/%X", 0x16B3748+n*0x100) }
	for tick := 6; tick <= 120; tick++ { // every 10s from 1m to 20m
		d := time.Duration(tick) * 10 * s
		for range 3 {
			spooled++
			e := h.at(d, "engine", "copy", journal.CDCChanges, journal.CDCChangesPayload{Stream: stream, Position: pos(spooled), At: h.start.Add(d - 2*s),
				Changes: []journal.CDCChange{{Op: "insert", Table: "orders"}, {Op: "insert", Table: "order_lines"}}})
			lastSeq = e.Seq
		}
		// lag: up 1s a tick to 42s at 5m... then down to 1s at 20m
		var lag int64
		switch {
		case tick <= 46:
			lag = int64(2000 + (tick-6)*1000)
		default:
			lag = max(42000-int64(tick-46)*560, 1000)
		}
		behind := int(lag / 1000)
		if tick%2 == 0 && spooled-behind > applied {
			h.at(d, "engine", "copy", journal.CDCApplied, journal.CDCAppliedPayload{Stream: stream, Target: "target", Seq: lastSeq - int64(behind),
				Position: pos(spooled - behind), Txs: spooled - behind - applied, Changes: 2 * (spooled - behind - applied)})
			applied = spooled - behind
		}
		trend := "diverging"
		eta := int64(-1)
		if tick > 46 {
			trend, eta = "converging", int64(120-tick)*10000
		}
		h.at(d, "engine", "copy", journal.CDCLagSample, journal.CDCLagPayload{Stream: stream, SourceLagBytes: 4096, SourceLagMS: 500,
			ApplyLagTxs: int64(spooled - applied), ApplyLagMS: lag - 500, LagMS: lag, Trend: trend, ETAMS: eta, WALStatus: "reserved", HeadroomBytes: 3 << 30})
		if tick == 34 { // 30s crossed
			h.at(d, "engine", "copy", journal.TriggerFired, journal.TriggerPayload{Trigger: "cdc_lag", Observed: float64(lag), Threshold: 30000,
				Message: stream + " is 30s behind the source", Evidence: map[string]any{"stream": stream, "lag_ms": lag, "apply_lag_txs": spooled - applied}})
			h.at(d, "engine", "copy", journal.Awaiting, journal.AwaitingPayload{Kind: "trigger", Question: "cdc_lag — continue or roll back?", Choices: []string{"continue", "rollback"}, Who: "alice"})
			h.at(d+20*s, "alice", "copy", journal.Decision, journal.DecisionPayload{Kind: "trigger", Choice: "continue", Trigger: "cdc_lag", Limit: 60000,
				Justification: "the bulk copy is still running; the lag will fall"})
		}
		if tick%30 == 0 {
			wal, room := "reserved", int64(2<<30)/int64(tick/30)
			if tick >= 90 {
				wal, room = "lost", 0
			}
			h.at(d, "engine", "copy", journal.CDCLagSample, journal.CDCLagPayload{Stream: "audit_stream", SourceLagBytes: -1, SourceLagMS: -1,
				ApplyLagTxs: 0, ApplyLagMS: 0, LagMS: 0, Trend: "steady", ETAMS: -1, WALStatus: wal, HeadroomBytes: room})
		}
	}
	h.at(15*m, "engine", "copy", journal.TriggerFired, journal.TriggerPayload{Trigger: "cdc_position_lost",
		Message:  "slot audit_stream: wal_status lost — the source removed WAL the stream still needs",
		Evidence: map[string]any{"stream": "audit_stream", "wal_status": "lost", "confirmed_flush_lsn": "0/16B3748", "restart_lsn": "0/16B3748"}})
	h.at(15*m, "engine", "copy", journal.Awaiting, journal.AwaitingPayload{Kind: "trigger", Question: "cdc_position_lost — continue or roll back?", Choices: []string{"continue", "rollback"}, Who: "alice"})
	h.at(16*m, "alice", "copy", journal.Decision, journal.DecisionPayload{Kind: "trigger", Choice: "continue", Trigger: "cdc_position_lost", Justification: "audit is re-copied after the cutover"})
	h.at(21*m, "alice", "copy", journal.StepFinished, journal.StepFinishedPayload{Status: "done", DurationMS: 21 * 60000})
	h.at(21*m, "alice", "", journal.RunFinished, journal.RunFinishedPayload{Outcome: journal.OutcomeFinished, DurationMS: 21 * 60000})
	h.close()
	return h.path
}

// TestChangeCaptureSection: the report lists each stream with its
// positions and counts as the journal has them, its largest lag and when,
// the cdc_lag trigger's moment on that stream only, and the position-lost
// trigger under the stream its evidence names.
func TestChangeCaptureSection(t *testing.T) {
	t.Parallel()
	r, err := Build(writeCDCRun(t, "orders_stream"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.ChangeCapture) != 2 {
		t.Fatalf("%d streams, want 2", len(r.ChangeCapture))
	}
	o, a := r.ChangeCapture[0], r.ChangeCapture[1]
	min := int64(60000)
	if o.Stream != "orders_stream" || o.Start != "0/16B3748" || o.StartedMS != 10000 || o.Txs != 345 || o.Changes != 690 ||
		o.Spooled != fmt.Sprintf("0/%X", 0x16B3748+345*0x100) || o.MaxLagMS != 42000 || o.MaxLagAtMS != 460000 || o.LagLimitMS != 30000 {
		t.Errorf("orders_stream = %+v", o)
	}
	if o.AppliedTxs+o.Behind != o.Txs || o.Applied != fmt.Sprintf("0/%X", 0x16B3748+int(o.AppliedTxs)*0x100) {
		t.Errorf("applied %d (%s) + behind %d ≠ captured %d", o.AppliedTxs, o.Applied, o.Behind, o.Txs)
	}
	if len(o.Lag) != 115 || o.Lag[0].OffsetMS != min || o.Lag[114].LagMS != 1000 {
		t.Errorf("lag has %d points from %+v to %+v; want 115 from +1m to 1s", len(o.Lag), o.Lag[0], o.Lag[len(o.Lag)-1])
	}
	if !reflect.DeepEqual(o.LagFiredMS, []int64{340000}) || len(o.Alarms) != 0 {
		t.Errorf("orders_stream fired %v with alarms %+v, want cdc_lag at 340000 and no alarm", o.LagFiredMS, o.Alarms)
	}
	if len(a.LagFiredMS) != 0 || len(a.Alarms) != 1 || a.Alarms[0].Trigger != "cdc_position_lost" || a.Alarms[0].Decision == nil || a.LastLag.WALStatus != "lost" {
		t.Errorf("audit_stream = %+v, want the position-lost alarm with its decision", a)
	}
	out := renderAll(t, r)
	md := string(out["md"])
	for _, want := range []string{
		"### Change capture",
		"| `orders_stream` | source (postgres) | orders, order_lines | +10s | `0/16B3748` |",
		"| 344 txs (688 changes) | **1 tx** | **42s at +7m40s** |",
		"Lag of `orders_stream`: 115 samples, largest **42s at +7m40s** · cdc_lag threshold 30s · **cdc_lag fired at +5m40s**",
		"**cdc_position_lost** at +15m00s — slot audit_stream: wal_status lost",
		"last sample: steady, WAL lost, headroom 0 B **(position lost)**",
		"| `wal_status` | lost |",
		"Decision: alice chose **continue** at +16m00s",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	// The lag table is decimated to lagRowsMax rows and keeps the peak and the trigger.
	table := md[strings.Index(md, "| at | lag | txs behind | marks |"):]
	table = table[:strings.Index(table, "\n\n")]
	if rows := strings.Count(table, "\n") - 1; rows != lagRowsMax {
		t.Errorf("lag table has %d rows, want %d:\n%s", rows, lagRowsMax, table)
	}
	for _, want := range []string{"| 42s | ", "**largest**", "**cdc_lag fired +5m40s**"} {
		if !strings.Contains(table, want) {
			t.Errorf("lag table lacks %q:\n%s", want, table)
		}
	}
	var js struct {
		CC []struct {
			Stream string `json:"stream"`
			Lag    []struct {
				LagMS int64 `json:"lag_ms"`
			} `json:"lag"`
		} `json:"change_capture"`
	}
	if err := json.Unmarshal(out["json"], &js); err != nil || len(js.CC) != 2 || len(js.CC[0].Lag) != 115 {
		t.Errorf("json change_capture = %+v (%v)", js.CC, err)
	}
}

// TestLagChartIsSelfContainedSVG: one chart per stream with lag points,
// inline, well-formed, without external references, marking the threshold,
// the trigger and the peak.
func TestLagChartIsSelfContainedSVG(t *testing.T) {
	t.Parallel()
	r, err := Build(writeCDCRun(t, "orders_stream"))
	if err != nil {
		t.Fatal(err)
	}
	h := string(renderAll(t, r)["html"])
	i := strings.Index(h, `aria-label="lag of orders_stream over time"`)
	if i < 0 {
		t.Fatalf("no lag chart for orders_stream")
	}
	svg := h[i:]
	svg = svg[:strings.Index(svg, "</svg>")]
	pts := svg[strings.Index(svg, `points="`)+8:]
	pts = pts[:strings.Index(pts, `"`)]
	if n := len(strings.Fields(pts)); n != 115 {
		t.Errorf("the line has %d points, want 115", n)
	}
	for _, s := range []string{">cdc_lag threshold 30s<", `class="fired"`, ">cdc_lag fired &#43;5m40s<", "largest lag 42s at &#43;7m40s"} {
		if !strings.Contains(svg, s) {
			t.Errorf("the chart lacks %s", s)
		}
	}
	for _, s := range []string{"href", "src=", "url(", "<script", "<image"} {
		if strings.Contains(h, s) {
			t.Errorf("the HTML holds %q", s)
		}
	}
	markuptest.WellFormed(t, h)
}

// TestChangeCaptureStreamedEqualsWholeLoad: the streamed Build and the
// build from every event in memory give the same streams.
func TestChangeCaptureStreamedEqualsWholeLoad(t *testing.T) {
	t.Parallel()
	path := writeCDCRun(t, "orders_stream")
	r, err := Build(path)
	if err != nil {
		t.Fatal(err)
	}
	if w := wholeLoadBuild(t, path); !reflect.DeepEqual(r.ChangeCapture, w.ChangeCapture) || len(w.ChangeCapture) != 2 {
		t.Fatalf("streamed %+v\nwhole load %+v", r.ChangeCapture, w.ChangeCapture)
	}
}

// TestChangeCaptureEscapesHostileNames: a stream name with markup, pipes
// and escape sequences is shown escaped in Markdown and HTML, chart too.
func TestChangeCaptureEscapesHostileNames(t *testing.T) {
	t.Parallel()
	const hostile = "<script>alert(1)</script>\x1b[2J|`x`"
	r, err := Build(writeCDCRun(t, hostile))
	if err != nil {
		t.Fatal(err)
	}
	out := renderAll(t, r)
	for f, b := range out {
		if bytes.Contains(b, []byte("\x1b")) {
			t.Errorf("%s holds a raw escape", f)
		}
	}
	if bytes.Contains(out["html"], []byte("<script>")) {
		t.Errorf("the HTML holds the markup")
	}
	if md := string(out["md"]); !strings.Contains(md, "| `` <script>alert(1)</script>\\x1b[2J\\|`x` `` |") {
		t.Errorf("the Markdown does not hold the name as a code span:\n%s", md)
	}
	if !strings.Contains(string(out["html"]), `aria-label="lag of &lt;script&gt;alert(1)&lt;/script&gt;\x1b[2J|`) {
		t.Errorf("the chart's label is not the escaped name")
	}
}

// A run without change capture has no such part.
func TestNoChangeCaptureWithoutStreams(t *testing.T) {
	t.Parallel()
	r, err := Build(writeGoldenRun(t, true))
	if err != nil {
		t.Fatal(err)
	}
	for f, b := range renderAll(t, r) {
		if bytes.Contains(b, []byte("Change capture")) || bytes.Contains(b, []byte("change_capture")) {
			t.Errorf("%s mentions change capture", f)
		}
	}
}

// TestGoldenCDCMarkdown pins the Markdown of the run with two streams.
// Update with: go test ./report -run TestGoldenCDC -update
func TestGoldenCDCMarkdown(t *testing.T) {
	r, err := Build(writeCDCRun(t, "orders_stream"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Markdown(&buf, r); err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, buf.Bytes())
}

// TestGoldenCDCHTML pins the HTML, lag charts included.
func TestGoldenCDCHTML(t *testing.T) {
	r, err := Build(writeCDCRun(t, "orders_stream"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := HTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, buf.Bytes())
}

// The oldest writing transaction a sample saw open on the source is in
// the stream's lead, with when (its app name escaped in every form).
func TestChangeCaptureShowsTheOpenTransaction(t *testing.T) {
	t.Parallel()
	h := newHandJournalOf(t, cdcRunbook)
	s := time.Second
	h.at(0, "alice", "copy", journal.StepStarted, journal.StepStartedPayload{Kind: "shell", Title: "Copy and capture"})
	h.at(10*s, "engine", "copy", journal.CDCStreamStarted, journal.CDCStreamPayload{Stream: "orders_stream", Source: "source", Engine: "postgres",
		Tables: []string{"orders"}, Start: "0/16B3748"})
	for i, age := range []int64{0, 4000, 9000, 0} {
		p := journal.CDCLagPayload{Stream: "orders_stream", LagMS: 0, Trend: "steady", ETAMS: -1, HeadroomBytes: -1}
		if age > 0 {
			p.OpenTx = &journal.CDCOpenTx{AgeMS: age, PID: 4242, App: "x\x1b[2J", State: "idle in transaction", Rows: -1}
		}
		h.at(time.Duration(20+5*i)*s, "engine", "copy", journal.CDCLagSample, p)
	}
	h.at(time.Minute, "alice", "", journal.RunFinished, journal.RunFinishedPayload{Outcome: journal.OutcomeFinished, DurationMS: 60000})
	h.close()
	r, err := Build(h.path)
	if err != nil {
		t.Fatal(err)
	}
	if o := r.ChangeCapture[0]; o.MaxOpenTx == nil || o.MaxOpenTx.AgeMS != 9000 || o.MaxOpenTxAtMS != 30000 {
		t.Fatalf("stream %+v: want the 9s open transaction at +30s", o)
	}
	for f, b := range renderAll(t, r) {
		if f == "json" {
			continue
		}
		if !bytes.Contains(b, []byte("source transaction open 9s on pid 4242")) || bytes.Contains(b, []byte("\x1b")) {
			t.Errorf("%s does not show the open transaction (or holds a raw escape):\n%s", f, b)
		}
	}
}
