package cdc

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BenchmarkPGCaptureApply measures a steady single-row writer's changes
// through capture (source -> journal) and apply (journal -> target), in
// changes per second: go test ./engine/cdc -run '^$' -bench PGCaptureApply -benchtime 2000x
func BenchmarkPGCaptureApply(b *testing.B) {
	w := newPGWorldB(b)
	ctx := context.Background()
	snap, _, err := w.streamDef().Create(ctx, w.journal, "cdc", "start")
	if err != nil {
		b.Fatal(err)
	}
	snap.Release(ctx)
	src, err := pgx.Connect(ctx, w.source)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close(ctx)
	b.ResetTimer()
	start := time.Now()
	stop := runCapture(w.capture())
	for i := range b.N {
		if _, err := src.Exec(ctx, `INSERT INTO items (id, name, qty) VALUES ($1, 'n', $1)`, i+1); err != nil {
			b.Fatal(err)
		}
	}
	for {
		sp, _, err := ReadSpooled(ctx, w.journal.Path(), w.stream)
		if err != nil {
			b.Fatal(err)
		}
		if sp.Count >= int64(b.N) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	captured := time.Since(start)
	if err := stop(); err != nil {
		b.Fatal(err)
	}
	applyStart := time.Now()
	n, err := (&PGApplier{DSN: w.target, Stream: w.stream, JournalPath: w.journal.Path()}).Apply(ctx)
	if err != nil || n != b.N {
		b.Fatalf("applied %d of %d: %v", n, b.N, err)
	}
	applied := time.Since(applyStart)
	b.ReportMetric(float64(b.N)/captured.Seconds(), "captured-changes/s")
	b.ReportMetric(float64(b.N)/applied.Seconds(), "applied-changes/s")
}
