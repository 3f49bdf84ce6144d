package engine

import (
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/cdc"
)

// TestLagTrend: the trend fitted over recent samples — falling lag is
// converging with the time to zero, rising lag diverging, flat or too few
// samples steady, no lag steady and already there.
func TestLagTrend(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	series := func(lags ...int64) []lagPoint {
		out := make([]lagPoint, len(lags))
		for i, l := range lags {
			out[i] = lagPoint{at.Add(time.Duration(i) * 2 * time.Second), l}
		}
		return out
	}
	for _, c := range []struct {
		lags  []int64
		trend string
		eta   int64
	}{
		{[]int64{10000, 8000, 6000, 4000}, "converging", 4000}, // 1000 ms of lag per s: 4 s to go
		{[]int64{1000, 3000, 5000}, "diverging", -1},
		{[]int64{500, 520, 490, 510}, "steady", -1},
		{[]int64{9000, 4000}, "steady", -1}, // two samples: no trend yet
		{[]int64{3000, 0}, "steady", 0},
	} {
		trend, eta := trend(series(c.lags...))
		if trend != c.trend || eta != c.eta {
			t.Errorf("%v: %s, eta %d; want %s, %d", c.lags, trend, eta, c.trend, c.eta)
		}
	}
}

// TestSourceLagIsTheOldestUnreadHead: the source lag is the age of the
// oldest sampled head the capture's decoder has not reached — WAL written
// since the last sample is no lag, and a decoder at the head has none.
func TestSourceLagIsTheOldestUnreadHead(t *testing.T) {
	s := &cdcStream{name: "s"}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := s.measure(t0, cdc.SourceSample{Head: 1000, Decoded: 1000, BehindBytes: 0})
	if p.SourceLagMS != 0 || p.LagMS != 0 {
		t.Fatalf("decoder at the head: %+v", p)
	}
	p = s.measure(t0.Add(2*time.Second), cdc.SourceSample{Head: 5000, Decoded: 1200, BehindBytes: 3800})
	if p.SourceLagMS != 0 {
		t.Fatalf("behind only the WAL written since the last sample: source lag %d, want 0", p.SourceLagMS)
	}
	p = s.measure(t0.Add(4*time.Second), cdc.SourceSample{Head: 9000, Decoded: 1200, BehindBytes: 7800})
	if p.SourceLagMS != 2000 || p.LagMS != 2000 || p.SourceLagBytes != 7800 {
		t.Fatalf("decoder still before the head sampled 2 s ago: %+v", p)
	}
	s.unapplied = []spooledTx{{seq: 9, at: t0}}
	p = s.measure(t0.Add(6*time.Second), cdc.SourceSample{Head: 9100, Decoded: 9100})
	if p.SourceLagMS != 0 || p.ApplyLagTxs != 1 || p.ApplyLagMS != 6000 || p.LagMS != 6000 {
		t.Fatalf("read to the head, one transaction 6 s old unapplied: %+v", p)
	}
}
