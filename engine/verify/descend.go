package verify

// The descent: the chunks or buckets whose checksums differ are read again
// and compared row by row, naming each differing key. A key range is read
// on its own (keyset reads after the previous bound, up to its bound), so
// the cost is proportional to the differences. Buckets are read in rounds:
// each round is one more full read of each side, keeping the rows of as
// many mismatching buckets as Sizes.HeldRows allows.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
)

// diffs are the differing keys found: all counted, the first maxKeys
// listed as "key (why)".
type diffs struct {
	n    int64
	keys []string
}

// Why a key differs.
const (
	whyMissing = "missing in target"
	whyExtra   = "extra in target"
	whyDiffer  = "values differ"
)

// descend names the differing keys of the mismatching chunks or buckets.
func (r *run) descend(ctx context.Context, bad []int) (*diffs, error) {
	d := &diffs{}
	if r.ranges {
		for _, i := range bad {
			if err := r.descendRange(ctx, i, d); err != nil {
				return nil, err
			}
		}
		return d, nil
	}
	for len(bad) > 0 {
		n, held := 0, int64(0)
		for n < len(bad) && (n == 0 || held+r.srcSums[bad[n]].Count() <= int64(r.sizes.HeldRows)) {
			held += r.srcSums[bad[n]].Count()
			n++
		}
		if err := r.descendBuckets(ctx, bad[:n], d); err != nil {
			return nil, err
		}
		bad = bad[n:]
	}
	return d, nil
}

// descendRange compares the rows of chunk i, a key range, on both sides.
func (r *run) descendRange(ctx context.Context, i int, d *diffs) error {
	after, upper := rangeOf(r.bounds, i)
	st, dt := r.srcT, r.dstT
	st.Upper, dt.Upper = upper, upper
	m := &matcher[int64]{want: map[int64][32]byte{}, d: d, show: func(k int64) string { return strconv.FormatInt(k, 10) }}
	srcKey := func(conv []any) (int64, bool) { return intKey(conv[0]) }
	dstKey := func(row []any) (int64, bool) { return targetKey(row[0], r.p.Types[0]) }
	return compare(ctx, r, st, dt, after, m, srcKey, dstKey)
}

// descendBuckets compares the rows of some buckets, reading both sides
// whole and keeping only those buckets' rows.
func (r *run) descendBuckets(ctx context.Context, set []int, d *diffs) error {
	in := make([]bool, r.sizes.Buckets)
	for _, b := range set {
		in[b] = true
	}
	k, types := r.p.KeyCount, r.p.Types[:r.p.KeyCount]
	// Each key function runs on one goroutine only, so each has its buffer.
	// The source's values are converted already, the target's raw.
	keyIn := func(buf *[]byte, appendKey func([]byte, []any, []convert.Type) []byte) func(vals []any) (string, bool) {
		return func(vals []any) (string, bool) {
			*buf = appendKey((*buf)[:0], vals[:k], types)
			if !in[bucketOf(r.seed, *buf, r.sizes.Buckets)] {
				return "", false
			}
			return string(*buf), true
		}
	}
	var srcBuf, dstBuf []byte
	m := &matcher[string]{want: map[string][32]byte{}, d: d, show: showKey}
	return compare(ctx, r, r.srcT, r.dstT, nil, m, keyIn(&srcBuf, appendConvertedKey), keyIn(&dstBuf, appendKey))
}

// compare reads a part of the source into m (the rows for which srcKey
// says yes), then streams the same part of the target against it, and
// finally notes the source rows the target lacks. Both reads start at
// once; the target's reader holds at most two batches ahead while the
// source is read.
func compare[K cmp.Ordered](ctx context.Context, r *run, st, dt db.Table, after []any, m *matcher[K],
	srcKey func(conv []any) (K, bool), dstKey func(row []any) (K, bool)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	k, types := r.p.KeyCount, r.p.Types
	srcDone := make(chan struct{})
	var srcErr error
	go func() {
		defer close(srcDone)
		var h convert.RowHasher
		srcErr = stream(ctx, r.src, st, r.p.Cols, k, after, r.sizes.ReadBatch, func(rows [][]any) error {
			for _, row := range rows {
				conv, _, rej := r.p.ConvertRow(row)
				if rej != nil {
					continue // expected missing
				}
				if ex, err := r.excluded(conv); err != nil {
					return err
				} else if ex {
					continue // rejected by the copy: expected missing
				}
				if key, ok := srcKey(conv); ok {
					m.want[key] = h.SumConverted(conv, types)
				}
			}
			return nil
		})
		if srcErr != nil {
			cancel()
		}
	}()
	var h convert.RowHasher
	waited := false
	err := stream(ctx, r.dst, dt, r.p.Cols, k, after, r.sizes.ReadBatch, func(rows [][]any) error {
		if !waited {
			<-srcDone
			if waited = true; srcErr != nil {
				return context.Canceled // the source's error is returned below
			}
		}
		for _, row := range rows {
			if key, ok := dstKey(row); ok {
				m.target(key, h.Sum(row, types))
			}
		}
		return nil
	})
	if err != nil {
		cancel()
	}
	<-srcDone
	switch {
	case srcErr != nil && !errors.Is(srcErr, context.Canceled):
		return fmt.Errorf("reading the source: %w", srcErr)
	case err != nil:
		return fmt.Errorf("reading the target: %w", err)
	case srcErr != nil:
		return srcErr
	}
	m.finish()
	return nil
}

// matcher holds the row hashes of a part of the source by key and matches
// the target's rows against them.
type matcher[K cmp.Ordered] struct {
	want map[K][32]byte
	show func(K) string
	d    *diffs
}

// target matches one target row. A key seen again (a target without a
// unique key) is extra.
func (m *matcher[K]) target(k K, h [32]byte) {
	w, ok := m.want[k]
	switch {
	case !ok:
		m.note(k, whyExtra)
	case w != h:
		m.note(k, whyDiffer)
	}
	delete(m.want, k)
}

// finish notes the source rows no target row matched, in key order.
func (m *matcher[K]) finish() {
	for _, k := range slices.Sorted(maps.Keys(m.want)) {
		m.note(k, whyMissing)
	}
	clear(m.want)
}

func (m *matcher[K]) note(k K, why string) {
	m.d.n++
	if len(m.d.keys) < maxKeys {
		m.d.keys = append(m.d.keys, m.show(k)+" ("+why+")")
	}
}
