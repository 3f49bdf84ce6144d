package journal_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/journal/journalgen"
)

// The journal at scale, at a twentieth of bench/journal.sh's size: a
// generated run of 50,000 events and 5,000 reject rows (journalgen), read
// the ways the commands read it. Per-event costs times a million are the
// 1M-event figures; bench/journal.sh measures those with peak RSS.
//
//	go test ./journal -run XXX -bench Scale -benchtime 5x

var benchSpec = journalgen.Spec{Events: 50_000, Steps: 200, Tables: 10, Rejects: 5_000}

func benchJournal(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.journal")
	if _, err := journalgen.Generate(context.Background(), path, benchSpec); err != nil {
		b.Fatal(err)
	}
	return path
}

// perEvent reports the time per event, the figure that scales.
func perEvent(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/event")
}

func BenchmarkScaleVerify(b *testing.B) {
	path := benchJournal(b)
	for b.Loop() {
		res, err := journal.Verify(path)
		if err != nil || !res.OK() {
			b.Fatalf("Verify = %s, %v", res, err)
		}
	}
	perEvent(b, benchSpec.Events)
}

func BenchmarkScaleFold(b *testing.B) {
	path := benchJournal(b)
	for b.Loop() {
		s, err := journal.FoldFile(context.Background(), path)
		if err != nil || s.LastSeq != int64(benchSpec.Events) {
			b.Fatalf("FoldFile: last seq %d, %v", s.LastSeq, err)
		}
	}
	perEvent(b, benchSpec.Events)
}

func BenchmarkScaleRejectsExport(b *testing.B) {
	path := benchJournal(b)
	for _, f := range []struct {
		name string
		w    func(io.Writer) journal.RejectsWriter
	}{{"csv", journal.NewRejectsCSV}, {"json", journal.NewRejectsJSON}} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				w := f.w(io.Discard)
				if err := journal.EachReject(context.Background(), path, w.Write); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(benchSpec.Rejects), "ns/row")
		})
	}
}
