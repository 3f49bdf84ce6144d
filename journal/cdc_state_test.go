package journal

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// appendCDCRun writes two streams' events through the store and returns
// them as appended: orders captures three transactions (4 changes), two are
// applied, and three lag samples come in (one unmeasured); audit only
// starts.
func appendCDCRun(t *testing.T, s *Store) []Event {
	t.Helper()
	ctx := context.Background()
	out := []Event{s.First()}
	add := func(typ Type, p any) {
		ev, err := s.Append(ctx, "engine", "cdc", typ, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	str := func(v string) *string { return &v }
	commit := time.Date(2026, 3, 1, 8, 59, 0, 0, time.UTC)
	add(CDCStreamStarted, CDCStreamPayload{Stream: "orders_stream", Source: "source", Engine: "postgres", Tables: []string{"orders", "lines"}, Start: "0/16B3748"})
	add(CDCStreamStarted, CDCStreamPayload{Stream: "audit", Source: "legacy", Engine: "mysql", Tables: []string{"audit"}, Start: "0-1-10"})
	add(CDCChanges, CDCChangesPayload{Stream: "orders_stream", Position: "0/16B3800", At: commit, Changes: []CDCChange{
		{Op: "insert", Table: "orders", Columns: []string{"id"}, New: []*string{str("1")}},
		{Op: "insert", Table: "lines", Columns: []string{"id"}, New: []*string{str("1")}}}})
	add(CDCChanges, CDCChangesPayload{Stream: "orders_stream", Position: "0/16B3900", At: commit.Add(time.Second), Changes: []CDCChange{
		{Op: "delete", Table: "orders", KeyColumns: []string{"id"}, Key: []*string{str("1")}}}})
	add(CDCLagSample, CDCLagPayload{Stream: "orders_stream", SourceLagBytes: 512, SourceLagMS: 900, ApplyLagTxs: 2, ApplyLagMS: 4000,
		LagMS: 5000, Trend: "diverging", ETAMS: -1, WALStatus: "reserved", HeadroomBytes: -1})
	spooled := out[len(out)-2] // the second transaction
	add(CDCApplied, CDCAppliedPayload{Stream: "orders_stream", Target: "target", Seq: spooled.Seq, Position: "0/16B3900", Txs: 2, Changes: 3})
	add(CDCChanges, CDCChangesPayload{Stream: "orders_stream", Position: "0/16B3A00", At: commit.Add(2 * time.Second), Changes: []CDCChange{
		{Op: "update", Table: "lines", Columns: []string{"id"}, New: []*string{str("2")}}}})
	add(CDCLagSample, CDCLagPayload{Stream: "orders_stream", SourceLagBytes: 0, ApplyLagTxs: 1, ApplyLagMS: 1200,
		LagMS: 1200, Trend: "converging", ETAMS: 3000, WALStatus: "unreserved", HeadroomBytes: 300 << 20})
	add(CDCLagSample, CDCLagPayload{Stream: "orders_stream", SourceLagBytes: -1, SourceLagMS: -1, ApplyLagTxs: -1, ApplyLagMS: -1,
		LagMS: -1, ETAMS: -1, HeadroomBytes: -1})
	return out
}

// TestCDCFoldPerStream: each stream keeps its own source, positions and
// counts; the latest sample is the last one even when it measured nothing,
// while the chart and the maximum keep only measured lags.
func TestCDCFoldPerStream(t *testing.T) {
	t.Parallel()
	s, _ := newJournal(t)
	evs := appendCDCRun(t, s)
	st := Fold(evs)
	if len(st.CDC) != 2 || st.CDC[0].Stream != "orders_stream" || st.CDC[1].Stream != "audit" {
		t.Fatalf("streams = %+v, want orders_stream then audit", st.CDC)
	}
	o, a := st.CDC[0], st.CDC[1]
	if o.Source != "source" || o.Engine != "postgres" || !reflect.DeepEqual(o.Tables, []string{"orders", "lines"}) || o.Start != "0/16B3748" || o.StartedAt != evs[1].At {
		t.Errorf("orders_stream opening = %+v", o)
	}
	if o.Spooled != "0/16B3A00" || o.SpooledSeq != evs[7].Seq || o.Txs != 3 || o.Changes != 4 {
		t.Errorf("spooled %s at seq %d, %d txs %d changes; want 0/16B3A00 at %d, 3 txs 4 changes", o.Spooled, o.SpooledSeq, o.Txs, o.Changes, evs[7].Seq)
	}
	if o.Applied != "0/16B3900" || o.AppliedSeq != evs[4].Seq || o.AppliedTxs != 2 || o.AppliedChanges != 3 || o.AppliedAt != evs[6].At {
		t.Errorf("applied %s seq %d, %d txs %d changes at %v", o.Applied, o.AppliedSeq, o.AppliedTxs, o.AppliedChanges, o.AppliedAt)
	}
	if o.Lag == nil || o.Lag.LagMS != -1 || o.LagAt != evs[9].At || o.Samples != 3 {
		t.Errorf("latest sample = %+v at %v (%d samples), want the unmeasured last one", o.Lag, o.LagAt, o.Samples)
	}
	if o.MaxLagMS != 5000 || o.MaxLagAt != evs[5].At {
		t.Errorf("max lag %d at %v, want 5000 at %v", o.MaxLagMS, o.MaxLagAt, evs[5].At)
	}
	if got := o.Points(); len(got) != 2 || got[0].LagMS != 5000 || got[1].LagMS != 1200 || len(o.Recent) != 2 {
		t.Errorf("points %+v recent %+v, want the two measured samples", got, o.Recent)
	}
	if o.Behind() != 1 { // the unmeasured sample falls back on spooled − applied
		t.Errorf("behind = %d, want 3 spooled − 2 applied", o.Behind())
	}
	if a.Source != "legacy" || a.Txs != 0 || a.Lag != nil || a.MaxLagMS != -1 || len(a.Points()) != 0 {
		t.Errorf("audit = %+v, want opened and nothing else", a)
	}
}

// TestCDCHeadroomLevel: lost is lost; unreserved or under a GiB is low; an
// unmeasured headroom (-1) is not low.
func TestCDCHeadroomLevel(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		p    CDCLagPayload
		want int
	}{
		{CDCLagPayload{WALStatus: "reserved", HeadroomBytes: -1}, CDCHeadroomOK},
		{CDCLagPayload{WALStatus: "extended", HeadroomBytes: 2 << 30}, CDCHeadroomOK},
		{CDCLagPayload{WALStatus: "reserved", HeadroomBytes: 512 << 20}, CDCHeadroomLow},
		{CDCLagPayload{WALStatus: "unreserved", HeadroomBytes: -1}, CDCHeadroomLow},
		{CDCLagPayload{WALStatus: "lost", HeadroomBytes: 0}, CDCHeadroomLostLvl},
		{CDCLagPayload{OldestLog: "bin.000003", HeadroomBytes: -1}, CDCHeadroomOK},
	} {
		if got := c.p.HeadroomLevel(); got != c.want {
			t.Errorf("%+v: level %d, want %d", c.p, got, c.want)
		}
	}
}

// TestCDCStreamedFoldEqualsInMemory: FoldFile (streamed, decoded off the
// caller's goroutine) and Fold of the events as appended give the same
// streams, history included.
func TestCDCStreamedFoldEqualsInMemory(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	evs := appendCDCRun(t, s)
	ctx := context.Background()
	for i := range 600 { // past CDCHistoryMax: the history has been merged
		ev, err := s.Append(ctx, "engine", "cdc", CDCLagSample, CDCLagPayload{Stream: "audit", LagMS: int64(i % 97 * 10), ApplyLagTxs: int64(i % 5), ETAMS: -1, HeadroomBytes: -1})
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	streamed, err := FoldFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mem := Fold(evs)
	if !reflect.DeepEqual(streamed.CDC, mem.CDC) {
		t.Fatalf("streamed fold differs:\n got %+v\nwant %+v", streamed.CDC, mem.CDC)
	}
	if n := len(mem.CDC[1].History); n == 0 || n > CDCHistoryMax {
		t.Errorf("audit history has %d points, want 1..%d", n, CDCHistoryMax)
	}
}

// TestCDCHistoryStaysBoundedAndKeepsThePeak: a million samples fold into
// at most CDCHistoryMax points in time order, the single peak among them
// survives every merge, Recent is the last samples as they came, and the
// fold stays fast (the time per sample is logged).
func TestCDCHistoryStaysBoundedAndKeepsThePeak(t *testing.T) {
	t.Parallel()
	n := 1_000_000
	if testing.Short() || raceDetector {
		n = 100_000
	}
	var s State
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	peak := n*2/3 + 17
	began := time.Now()
	for i := range n {
		lag := int64(1000 + i%300)
		if i == peak {
			lag = 99_000
		}
		p := CDCLagPayload{Stream: "s", LagMS: lag, ApplyLagTxs: int64(i), ETAMS: -1, HeadroomBytes: -1}
		s.ApplyDecoded(Event{Seq: int64(i + 1), At: base.Add(time.Duration(i) * time.Second), Type: CDCLagSample}, p, nil)
	}
	took := time.Since(began)
	t.Logf("%d samples folded in %v (%v a sample)", n, took, took/time.Duration(n))
	c := s.CDC[0]
	pts := c.Points()
	if len(c.History) > CDCHistoryMax || len(c.History) < CDCHistoryMax/2 {
		t.Fatalf("history has %d points, want between %d and %d", len(c.History), CDCHistoryMax/2, CDCHistoryMax)
	}
	found := false
	for i, p := range pts {
		if i > 0 && !p.At.After(pts[i-1].At) {
			t.Fatalf("points out of time order at %d: %v after %v", i, p.At, pts[i-1].At)
		}
		found = found || p.LagMS == 99_000 && p.At.Equal(base.Add(time.Duration(peak)*time.Second))
	}
	if !found {
		t.Errorf("the peak at sample %d is not in the history", peak)
	}
	if c.MaxLagMS != 99_000 || c.Samples != int64(n) {
		t.Errorf("max %d over %d samples, want 99000 over %d", c.MaxLagMS, c.Samples, n)
	}
	if len(c.Recent) != CDCRecentMax || c.Recent[CDCRecentMax-1].ApplyLagTxs != int64(n-1) || c.Recent[0].ApplyLagTxs != int64(n-CDCRecentMax) {
		t.Errorf("recent = %d points from %d to %d, want the last %d", len(c.Recent), c.Recent[0].ApplyLagTxs, c.Recent[len(c.Recent)-1].ApplyLagTxs, CDCRecentMax)
	}
	if last := pts[len(pts)-1].ApplyLagTxs; int64(n-1)-last > int64(2*n/CDCHistoryMax) {
		t.Errorf("the last point is sample %d of %d: the chart stops too early", last, n)
	}
}

// TestCDCCloneIsIndependent: a clone's streams share nothing with the
// state folding on.
func TestCDCCloneIsIndependent(t *testing.T) {
	t.Parallel()
	s, _ := newJournal(t)
	st := Fold(appendCDCRun(t, s))
	c := st.Clone()
	st.CDC[0].Tables[0], st.CDC[0].History[0].LagMS, st.CDC[0].Recent[0].LagMS, st.CDC[0].Lag.Trend = "x", 1, 1, "x"
	o := c.CDC[0]
	if o.Tables[0] != "orders" || o.History[0].LagMS != 5000 || o.Recent[0].LagMS != 5000 || o.Lag.Trend != "" {
		t.Errorf("the clone changed with the original: %+v", o)
	}
}

// TestCDCCopyLiveFold: each cdc_copy_live adds its tables with the
// source's head; a later live copy of a table raises its head, an unknown
// head (-1) bounds nothing and stays; the clone does not share the map.
func TestCDCCopyLiveFold(t *testing.T) {
	t.Parallel()
	s, _ := newJournal(t)
	evs := appendCDCRun(t, s)
	for _, p := range []CDCCopyLivePayload{
		{Stream: "orders_stream", Tables: []string{"orders", "lines"}, Reason: "it ended with the process that was stopped", Head: 500},
		{Stream: "orders_stream", Tables: []string{"orders"}, Reason: "again", Head: 900},
		{Stream: "orders_stream", Tables: []string{"lines"}, Reason: "head unknown", Head: -1},
		{Stream: "orders_stream", Tables: []string{"lines"}, Reason: "later", Head: 1200},
	} {
		ev, err := s.Append(context.Background(), "engine", "copy", CDCCopyLive, p)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	st := Fold(evs)
	if got, want := st.CDC[0].LiveCopied, map[string]int64{"orders": 900, "lines": -1}; !reflect.DeepEqual(got, want) {
		t.Errorf("LiveCopied = %v, want %v", got, want)
	}
	if st.CDC[1].LiveCopied != nil {
		t.Errorf("audit LiveCopied = %v, want none", st.CDC[1].LiveCopied)
	}
	c := st.Clone()
	st.CDC[0].LiveCopied["orders"] = 1
	if c.CDC[0].LiveCopied["orders"] != 900 {
		t.Error("the clone shares LiveCopied with the original")
	}
}

// The fold keeps the oldest open writing transaction any sample saw; a
// journal from before samples carried one folds with none.
func TestCDCFoldKeepsTheOldestOpenTx(t *testing.T) {
	t.Parallel()
	var s State
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s.ApplyDecoded(Event{Seq: 1, At: at, Type: CDCStreamStarted}, CDCStreamPayload{Stream: "s"}, nil)
	for i, age := range []int64{0, 3000, 8000, 1000, 0} {
		p := CDCLagPayload{Stream: "s", LagMS: 10, ETAMS: -1, HeadroomBytes: -1}
		if age > 0 {
			p.OpenTx = &CDCOpenTx{AgeMS: age, PID: int64(i), Rows: -1}
		}
		s.ApplyDecoded(Event{Seq: int64(i + 2), At: at.Add(time.Duration(i) * time.Second), Type: CDCLagSample}, p, nil)
	}
	c := s.CDC[0]
	if c.MaxOpenTx == nil || c.MaxOpenTx.AgeMS != 8000 || c.MaxOpenTx.PID != 2 || !c.MaxOpenTxAt.Equal(at.Add(2*time.Second)) || c.Lag.OpenTx != nil {
		t.Errorf("max open tx %+v at %v, latest %+v", c.MaxOpenTx, c.MaxOpenTxAt, c.Lag.OpenTx)
	}
	old, err := Decode(Event{Type: CDCLagSample, Payload: []byte(`{"stream":"s","lag_ms":5,"eta_ms":-1,"headroom_bytes":-1}`)})
	if err != nil || old.(CDCLagPayload).OpenTx != nil {
		t.Errorf("an older sample decodes as %+v, %v", old, err)
	}
}
