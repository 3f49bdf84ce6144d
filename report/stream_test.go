package report

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/journal/journalgen"
)

// wholeLoadBuild is the report as it was built before it streamed: every
// event and every reject row read into memory first (ReadAll,
// ReadRejects), each event decoded by Apply and again by the builder, and
// the rejects tallied per table over the whole slice (oldData, the
// previous code). The streamed Build must equal it.
func wholeLoadBuild(t *testing.T, path string, opts ...journal.Option) *Report {
	t.Helper()
	vr, err := journal.Verify(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	events, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	rejects, err := journal.ReadRejects(path)
	if err != nil {
		t.Fatal(err)
	}
	b := newBuilder(filepath.Base(path))
	for _, e := range events {
		b.s.Apply(e)
		p, err := journal.Decode(e)
		b.event(e, p, err)
	}
	b.steps()
	b.summary()
	b.integrity(vr)
	b.oldData(rejects)
	b.cdc()
	b.safetyNet()
	b.r.Lessons = lessons(b.r, &b.s)
	finish(b.r)
	return b.r
}

// oldData fills the per-table counters, rejects by reason with an example
// each, the casts and the verify results.
func (b *builder) oldData(rejects []journal.RejectRecord) {
	names := []string{}
	for _, t := range b.s.Tables {
		names = appendNew(names, t.Table)
	}
	for _, rec := range rejects {
		names = appendNew(names, rec.Table) // rows kept for a table no event counted
	}
	for _, name := range names {
		t := Table{Table: name}
		counted := map[string]int64{}
		for _, ts := range b.s.Tables {
			if ts.Table == name {
				t.Read, t.Written, t.Rejected, t.Total, t.TotalExact, t.Done = ts.Read, ts.Written, ts.Rejected, ts.Total, ts.TotalExact, ts.Done
				counted = ts.ByReason
			}
		}
		t.Balanced = t.Read == t.Written+t.Rejected
		t.Check = "OK"
		if !t.Balanced {
			t.Check = "MISMATCH"
		}
		t.Reasons = oldReasons(name, counted, rejects)
		for _, r := range t.Reasons {
			t.Counted += r.Count
			t.Stored += r.Stored
		}
		b.r.Data.Tables = append(b.r.Data.Tables, t)
	}
	for _, c := range b.s.Casts {
		i := slices.IndexFunc(b.r.Data.Casts, func(x Cast) bool {
			return x.Table == c.Table && x.Column == c.Column && x.From == c.From && x.To == c.To
		})
		if i < 0 {
			b.r.Data.Casts = append(b.r.Data.Casts, Cast{Table: c.Table, Column: c.Column, From: c.From, To: c.To})
			i = len(b.r.Data.Casts) - 1
		}
		b.r.Data.Casts[i].Count += c.Count
	}
}

// oldReasons lists a table's reject reasons, largest first, each with the
// rows kept in the rejects table and the first of them as the example.
func oldReasons(table string, counted map[string]int64, rejects []journal.RejectRecord) []Reason {
	byReason := map[string]*Reason{}
	for r, n := range counted {
		byReason[r] = &Reason{Reason: r, Count: n}
	}
	for _, rec := range rejects {
		if rec.Table != table {
			continue
		}
		r := byReason[rec.Reason]
		if r == nil {
			r = &Reason{Reason: rec.Reason}
			byReason[rec.Reason] = r
		}
		value := columnValue(rec.Row, rec.Column)
		if r.Stored == 0 {
			r.Column, r.Key, r.Value, r.Detail = rec.Column, keyText(rec.Key), value, rec.Detail
		}
		r.Stored++
		i := slices.IndexFunc(r.Columns, func(c Tally) bool { return c.Column == rec.Column })
		if i < 0 {
			r.Columns = append(r.Columns, Tally{Column: rec.Column, Value: value})
			i = len(r.Columns) - 1
		}
		r.Columns[i].Count++
	}
	out := make([]Reason, 0, len(byReason))
	for _, r := range byReason {
		sort.SliceStable(r.Columns, func(i, j int) bool { return r.Columns[i].Count > r.Columns[j].Count })
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := max(out[i].Count, out[i].Stored), max(out[j].Count, out[j].Stored); a != b {
			return a > b
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// renderAll renders a report in the three formats.
func renderAll(t *testing.T, r *Report) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range Formats {
		var buf bytes.Buffer
		if err := Render(&buf, r, f); err != nil {
			t.Fatal(err)
		}
		out[f] = buf.Bytes()
	}
	return out
}

func TestStreamedReportEqualsTheWholeLoadReport(t *testing.T) {
	gen := filepath.Join(t.TempDir(), "gen.journal")
	if _, err := journalgen.Generate(context.Background(), gen, generatedSpec()); err != nil {
		t.Fatal(err)
	}
	demoContinue, _ := runDemo(t, journal.ChoiceContinue)
	demoRollback, _ := runDemo(t, journal.ChoiceRollback)
	cases := map[string]struct {
		path string
		opts []journal.Option
	}{
		"golden run":               {path: writeGoldenRun(t, true)},
		"golden run, interrupted":  {path: writeGoldenRun(t, false)},
		"keyed golden run, no key": {path: writeGoldenRun(t, true, journal.WithKey(reportKey))},
		"keyed golden run, key":    {path: writeGoldenRun(t, true, journal.WithKey(reportKey)), opts: []journal.Option{journal.WithKey(reportKey)}},
		"demo, continue":           {path: demoContinue},
		"demo, rollback":           {path: demoRollback},
		"generated, 20k events":    {path: gen},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			streamed, err := Build(c.path, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			want, got := renderAll(t, wholeLoadBuild(t, c.path, c.opts...)), renderAll(t, streamed)
			for _, f := range Formats {
				if !bytes.Equal(got[f], want[f]) {
					t.Errorf("%s: the streamed report differs from the whole-load report:\n%s\n-- want --\n%s", f, got[f], want[f])
				}
			}
		})
	}
}

// peakHeap runs fn while sampling the heap in use, and returns the
// highest sample above what was in use before.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base && m.HeapInuse-base > peak.Load() {
				peak.Store(m.HeapInuse - base)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	return peak.Load()
}

// TestReportMemoryStaysBounded reports on a journal of 100,000 events and
// 10,000 reject rows within a heap ceiling that loading it whole exceeds
// several times over.
func TestReportMemoryStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 100,000-event journal")
	}
	if raceDetector {
		t.Skip("a heap ceiling measured under the race detector says nothing, and the journal takes minutes to write there")
	}
	path := filepath.Join(t.TempDir(), "big.journal")
	if _, err := journalgen.Generate(context.Background(), path, journalgen.Spec{Events: 100_000, Steps: 300, Tables: 10, Rejects: 10_000}); err != nil {
		t.Fatal(err)
	}
	const ceiling = 24 << 20
	var r *Report
	streamed := peakHeap(func() {
		var err error
		if r, err = Build(path); err != nil {
			t.Error(err)
		}
	})
	if r == nil || r.Summary.LastSeq != 100_000 || !r.Integrity.OK {
		t.Fatalf("report of the big journal: %+v", r)
	}
	var whole int
	loaded := peakHeap(func() {
		evs, _ := journal.ReadAll(path)
		rejects, _ := journal.ReadRejects(path)
		whole = len(evs) + len(rejects)
		runtime.KeepAlive(evs)
		runtime.KeepAlive(rejects)
	})
	t.Logf("heap: report %d MB, the journal loaded whole %d MB (%d records)", streamed>>20, loaded>>20, whole)
	if streamed > ceiling {
		t.Errorf("the report took %d MB of heap, over the %d MB ceiling", streamed>>20, ceiling>>20)
	}
	if loaded < 2*ceiling {
		t.Errorf("loading the journal whole took only %d MB: the ceiling proves nothing", loaded>>20)
	}
}

// generatedSpec is the generated journal the streamed report is compared
// on: smaller under the race detector, which slows SQLite tenfold.
func generatedSpec() journalgen.Spec {
	if raceDetector {
		return journalgen.Spec{Events: 4_000, Steps: 40, Tables: 6, Rejects: 600}
	}
	return journalgen.Spec{Events: 20_000, Steps: 120, Tables: 6, Rejects: 3_000}
}
