package cdc

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkMyCaptureApply measures MariaDB change capture and MySQL apply
// in changes per second: a backlog of b.N row changes (transactions of 10:
// inserts, then updates of the same rows) is written to the throwaway
// MariaDB, then captured into the journal (binlog -> journal), then applied
// to a database on the same server (journal -> target):
// go test ./engine/cdc -run '^$' -bench MyCaptureApply -benchtime 20000x
func BenchmarkMyCaptureApply(b *testing.B) {
	w := newMyItemsWorld(b)
	ctx := context.Background()
	const per = 10
	rows := max(per, b.N/2/per*per)
	for i := 0; i < rows; i += per {
		vals := make([]string, per)
		for k := range per {
			vals[k] = fmt.Sprintf("(%d, 'item-%d', %d, 'note', '%d.25')", i+k+1, i+k+1, k, k)
		}
		if _, err := w.src.Exec("INSERT INTO items (id, name, qty, note, price) VALUES " + strings.Join(vals, ", ")); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < rows; i += per {
		if _, err := w.src.Exec("UPDATE items SET qty = qty + 1, name = CONCAT(name, '+') WHERE id > ? AND id <= ?", i, i+per); err != nil {
			b.Fatal(err)
		}
	}
	changes, txs := 2*rows, int64(2*rows/per)
	b.ResetTimer()
	start := time.Now()
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.capture(9021).Run(cctx) }()
	for {
		sp, _, err := ReadSpooled(ctx, w.j.Path(), w.stream)
		if err != nil {
			b.Fatal(err)
		}
		if sp.Count >= txs {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	captured := time.Since(start)
	cancel()
	<-done
	dst := cdctestMariaDBDatabase(b)
	if _, err := myOpen(b, dst).Exec(itemsMyDDL); err != nil {
		b.Fatal(err)
	}
	applyStart := time.Now()
	n, err := (&MyApplier{DSN: dst, Stream: w.stream, JournalPath: w.j.Path()}).Apply(ctx)
	if err != nil || int64(n) != txs {
		b.Fatalf("applied %d of %d transactions: %v", n, txs, err)
	}
	applied := time.Since(applyStart)
	b.ReportMetric(float64(changes)/captured.Seconds(), "captured-changes/s")
	b.ReportMetric(float64(changes)/applied.Seconds(), "applied-changes/s")
}
