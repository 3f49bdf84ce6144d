package copy

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
)

// keyRange is one unit of a table: keys after `after` up to `upper`
// (nil: unbounded), with the name of its checkpoint.
type keyRange struct {
	marker string
	after  []any
	upper  any
}

// split cuts a table into key ranges of about equal width when it is worth
// it: several workers, a single integer key and at least four batches per
// range. The bounds are stored as a checkpoint of their own the first time,
// so a resumed copy cuts the table exactly as before — also when it runs
// with another number of workers or batch size, which the engine may pick
// differently after a restart: a table with a split keeps it, a table
// begun whole (its own checkpoint exists) stays whole.
func split(ctx context.Context, src, dst db.DB, p *Plan, copyID string, total int64, batch, parallel int, sink Sink) ([]keyRange, error) {
	whole := []keyRange{{marker: p.Name}}
	if len(p.Source.Key) != 1 || p.Types[0].Kind != convert.Integer {
		return whole, nil
	}
	splitMarker := p.Name + "#split"
	var bounds []any
	begunWhole := false
	err := retry(ctx, sink, p.Name, "reading the split", func(ctx context.Context) error {
		m, found, err := dst.Progress(ctx, copyID, splitMarker)
		if err != nil || found {
			bounds = m.LastKey
			return err
		}
		_, begunWhole, err = dst.Progress(ctx, copyID, p.Name)
		return err
	})
	if err != nil || begunWhole {
		return whole, err
	}
	if bounds == nil && (parallel < 2 || total < int64(4*batch*parallel)) {
		return whole, nil
	}
	if bounds == nil {
		var lo, hi int64
		var ok bool
		err := retryLong(ctx, sink, p.Name, "reading the key span", func(ctx context.Context) (err error) {
			lo, hi, ok, err = keySpan(ctx, src, p)
			return err
		})
		if err != nil || !ok {
			return whole, err
		}
		step := (hi - lo) / int64(parallel)
		if step < 1 {
			return whole, nil
		}
		for i := 1; i < parallel; i++ {
			bounds = append(bounds, lo+step*int64(i))
		}
		mark := db.Marker{CopyID: copyID, Table: splitMarker, LastKey: bounds}
		if err := load(ctx, dst, sink, p, nil, mark); err != nil {
			return nil, fmt.Errorf("recording the split of %s: %w", p.Name, err)
		}
	}
	out := make([]keyRange, len(bounds)+1)
	for i := range out {
		out[i].marker = fmt.Sprintf("%s#%d/%d", p.Name, i+1, len(out))
		if i > 0 {
			out[i].after = []any{bounds[i-1]}
		}
		if i < len(bounds) {
			out[i].upper = bounds[i]
		}
	}
	return out, nil
}

// keySpan reads the smallest and largest key. ok is false when the span
// does not fit int64 arithmetic (then the table is not split).
func keySpan(ctx context.Context, src db.DB, p *Plan) (lo, hi int64, ok bool, err error) {
	k := src.Quote(p.Source.Key[0])
	var minV, maxV any
	q := "SELECT min(" + k + "), max(" + k + ") FROM " + src.Quote(p.Name)
	if err := src.SQL().QueryRowContext(ctx, q).Scan(&minV, &maxV); err != nil {
		return 0, 0, false, fmt.Errorf("reading the key span of %s: %w", p.Name, err)
	}
	asInt := convert.Type{Kind: convert.Integer, Bits: 64}
	a, r1 := convert.Convert(minV, asInt)
	b, r2 := convert.Convert(maxV, asInt)
	if r1 != nil || r2 != nil || minV == nil {
		return 0, 0, false, nil
	}
	lo, hi = a.(int64), b.(int64)
	if hi < lo || (lo < 0 && hi > 0 && hi-lo < 0) {
		return 0, 0, false, nil
	}
	return lo, hi, true, nil
}

// tableRun adds up the counters of a table's units and reports the sum.
type tableRun struct {
	mu    sync.Mutex
	name  string
	total int64
	start time.Time
	units []Counters
	done  bool
	sizer *sizer // sizes the batches of every unit
	// committed is what the target holds, per unit, updated at each commit
	// (before the report), for a Holder.
	committed committed
}

func (tr *tableRun) unitCounters(i int) Counters {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.units[i]
}

// sum is the table's counters; the caller holds mu.
func (tr *tableRun) sum() Counters {
	c := Counters{Table: tr.name, Total: tr.total, TotalExact: true, Elapsed: time.Since(tr.start)}
	for _, u := range tr.units {
		c.Read += u.Read
		c.Written += u.Written
		c.Rejected += u.Rejected
		c.Bytes += u.Bytes
		c.Resumed = c.Resumed || u.Resumed
	}
	c.Done = tr.done
	return c
}

// report records a unit's counters after a committed batch and hands the
// table's sum to the sink. The lock is held across the sink call, so the
// sums a table reports never go backwards and a held sink holds the table.
func (tr *tableRun) report(ctx context.Context, sink Sink, i int, c Counters) error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.units[i] = c
	return sink.Progress(ctx, tr.sum())
}

// finish checks the invariant and reports the table done.
func (tr *tableRun) finish(ctx context.Context, sink Sink) error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	c := tr.sum()
	if c.Read != c.Written+c.Rejected {
		return fmt.Errorf("table %s: read %d rows but wrote %d and rejected %d", c.Table, c.Read, c.Written, c.Rejected)
	}
	tr.done = true
	c.Done = true
	return sink.Progress(ctx, c)
}

// counters returns the sums of every table.
func counters(runs []*tableRun) []Counters {
	out := make([]Counters, 0, len(runs))
	for _, tr := range runs {
		if tr == nil {
			continue
		}
		tr.mu.Lock()
		out = append(out, tr.sum())
		tr.mu.Unlock()
	}
	return out
}
