package report

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/tightrope/tightrope/journal/journalgen"
)

// The report at scale, at a twentieth of bench/journal.sh's size: a
// generated run of 50,000 events and 5,000 reject rows, reported in each
// format (Build, which verifies, folds and tallies in one read, then the
// rendering).
//
//	go test ./report -run XXX -bench Scale -benchtime 5x
func BenchmarkScaleReport(b *testing.B) {
	spec := journalgen.Spec{Events: 50_000, Steps: 200, Tables: 10, Rejects: 5_000}
	path := filepath.Join(b.TempDir(), "bench.journal")
	if _, err := journalgen.Generate(context.Background(), path, spec); err != nil {
		b.Fatal(err)
	}
	for _, format := range Formats {
		b.Run(format, func(b *testing.B) {
			for b.Loop() {
				r, err := Build(path)
				if err != nil || r.Summary.LastSeq != int64(spec.Events) {
					b.Fatalf("Build: %v", err)
				}
				if err := Render(io.Discard, r, format); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(spec.Events), "ns/event")
		})
	}
}
