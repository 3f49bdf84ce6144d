// Package verify proves that data arrived intact. Per table, the source
// rows (converted through the copy's plan, so casts are honoured and rows
// that do not convert — the copy's rejects — are expected to be missing)
// are compared with the target rows (normalised through the same target
// types) like a diff, not a yes/no:
//
//  1. One read of each side, both at once, computes the row count and the
//     order-independent checksum of canonical values of the whole table
//     and of every chunk: key ranges of Sizes.ChunkRows source rows for a
//     single-column integer key (ranges.go), buckets by key hash for any
//     other key (buckets.go). Equal chunks: done, the table is equal.
//  2. Only the chunks that differ are read again and compared row by row
//     in memory, naming each differing key as missing in the target,
//     extra in the target, or with other values (descend.go).
package verify

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/tightrope/tightrope/engine/convert"
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// Sizes are the sizes one verify works in. A field of zero (or less)
// takes its value from DefaultSizes; tests pass small sizes so that a
// table of a few hundred rows spans many batches, chunks and buckets.
type Sizes struct {
	ReadBatch int // keyset page size
	ChunkRows int // source rows per key range
	Buckets   int // buckets of a table verified by key hash
	// HeldRows bounds the source rows one round of a bucket descent holds
	// in memory; more mismatching rows take more rounds (full reads).
	HeldRows int
}

// DefaultSizes returns the sizes Table verifies with.
func DefaultSizes() Sizes {
	return Sizes{ReadBatch: 5000, ChunkRows: 10_000, Buckets: 4096, HeldRows: 20 * 10_000}
}

// orDefault returns s with every unset field taken from DefaultSizes.
func (s Sizes) orDefault() Sizes {
	d := DefaultSizes()
	set := func(v, def int) int {
		if v <= 0 {
			return def
		}
		return v
	}
	return Sizes{
		ReadBatch: set(s.ReadBatch, d.ReadBatch),
		ChunkRows: set(s.ChunkRows, d.ChunkRows),
		Buckets:   set(s.Buckets, d.Buckets),
		HeldRows:  set(s.HeldRows, d.HeldRows),
	}
}

// maxKeys is how many differing keys a table check lists.
const maxKeys = 20

// Table compares one table of the source with the target, in the
// DefaultSizes.
func Table(ctx context.Context, src, dst db.DB, name string, step runbooks.Step) (journal.TableCheck, error) {
	return TableWith(ctx, src, dst, name, step, Sizes{})
}

// TableWith is Table in the given sizes (unset fields: DefaultSizes).
func TableWith(ctx context.Context, src, dst db.DB, name string, step runbooks.Step, sizes Sizes) (journal.TableCheck, error) {
	return TableExcluding(ctx, src, dst, name, step, sizes, nil)
}

// TableExcluding is TableWith that also expects missing the source rows
// whose key is in rejected: the keys (journal.CanonicalKey of the copy's
// reject key, as the journal stores them) of the rows the copy rejected
// for any reason, such as the rows the target refused. Like the rows
// that do not convert, they are counted in Rejected and left out of the
// source side; a target that holds one anyway shows it as extra.
func TableExcluding(ctx context.Context, src, dst db.DB, name string, step runbooks.Step, sizes Sizes, rejected map[string]struct{}) (journal.TableCheck, error) {
	check := journal.TableCheck{Table: name}
	p, err := copyengine.MakePlan(ctx, src, dst, name, step, nil)
	if err != nil {
		return check, err
	}
	r := newRun(src, dst, p, step.Casts, sizes)
	r.known = rejected
	err = r.firstPass(ctx)
	if errors.Is(err, errUnordered) {
		r.ranges = false
		err = r.firstPass(ctx)
	}
	if err != nil {
		return check, fmt.Errorf("verifying %s: %w", name, err)
	}
	var srcSum, dstSum convert.Checksum
	for _, s := range r.srcSums {
		srcSum.Merge(s)
	}
	for _, s := range r.dstSums {
		dstSum.Merge(s)
	}
	check.SourceRows = srcSum.Count() + r.rejected
	check.Rejected = r.rejected
	check.TargetRows = dstSum.Count()
	check.SourceChecksum, check.TargetChecksum = srcSum.Hex(), dstSum.Hex()
	bad := r.mismatching()
	if len(bad) == 0 {
		return check, nil
	}
	d, err := r.descend(ctx, bad)
	if err != nil {
		return check, fmt.Errorf("verifying %s: %w", name, err)
	}
	if d.n == 0 {
		return check, fmt.Errorf("verifying %s: %d chunks differed on the first read but not on the second: is the table being written to?", name, len(bad))
	}
	check.Mismatches, check.MismatchKeys = d.n, d.keys
	return check, nil
}

// run is one table's verification.
type run struct {
	src, dst   db.DB
	p          *copyengine.Plan
	srcT, dstT db.Table // what is read on each side: the plan's tables, both by the source key
	sizes      Sizes    // every field set
	ranges     bool     // chunks are key ranges (else buckets)
	seed       maphash.Seed
	bounds     []int64            // ranges: the last key of each closed chunk
	srcSums    []convert.Checksum // per chunk or bucket
	dstSums    []convert.Checksum
	rejected   int64               // source rows that do not convert or are known rejected: expected missing
	known      map[string]struct{} // keys of rows the copy rejected (journal.CanonicalKey)
}

// excluded tells whether a converted source row is one the copy rejected
// (its key is in r.known), built exactly as the copy builds a reject's key.
func (r *run) excluded(conv []any) (bool, error) {
	if len(r.known) == 0 {
		return false, nil
	}
	key := make(map[string]any, r.p.KeyCount)
	for i := range r.p.KeyCount {
		key[r.p.Cols[i]] = copyengine.JSONValue(conv[i])
	}
	k, err := journal.CanonicalKey(key)
	if err != nil {
		return false, fmt.Errorf("the key of a source row: %w", err)
	}
	_, ok := r.known[k]
	return ok, nil
}

func newRun(src, dst db.DB, p *copyengine.Plan, casts []runbooks.Cast, sizes Sizes) *run {
	r := &run{src: src, dst: dst, p: p, srcT: p.Source, dstT: p.Target, sizes: sizes.orDefault(), seed: maphash.MakeSeed()}
	r.dstT.Key = p.Source.Key
	if len(p.Source.Key) == 1 {
		sk, _ := p.Source.Column(p.Source.Key[0])
		r.ranges = rangeable(sk.Type, p.Types[0], p.KeyCount, p.Cols[0], p.Name, casts)
	}
	return r
}

// firstPass reads both sides once, at the same time, and fills the
// checksums of every chunk (ranges) or bucket.
func (r *run) firstPass(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.rejected, r.bounds = 0, nil
	r.srcSums, r.dstSums = nil, nil
	if !r.ranges {
		r.srcSums = make([]convert.Checksum, r.sizes.Buckets)
		r.dstSums = make([]convert.Checksum, r.sizes.Buckets)
	}
	b := newBounds()
	var wg sync.WaitGroup
	var srcErr, dstErr error
	wg.Go(func() {
		defer b.finish()
		if srcErr = r.scanSource(ctx, b); srcErr != nil {
			cancel()
		}
	})
	wg.Go(func() {
		if dstErr = r.scanTarget(ctx, b); dstErr != nil {
			cancel()
		}
	})
	wg.Wait()
	r.bounds = b.all()
	switch {
	case errors.Is(srcErr, errUnordered) || errors.Is(dstErr, errUnordered):
		return errUnordered
	case srcErr != nil && !errors.Is(srcErr, context.Canceled):
		return fmt.Errorf("reading the source: %w", srcErr)
	case dstErr != nil && !errors.Is(dstErr, context.Canceled):
		return fmt.Errorf("reading the target: %w", dstErr)
	case srcErr != nil:
		return srcErr
	}
	return dstErr
}

// scanSource reads the source in key order, converts every row through
// the plan, counts the rows that do not convert, and adds each converted
// row's hash to its chunk or bucket. With ranges it publishes the bounds.
func (r *run) scanSource(ctx context.Context, b *bounds) error {
	var h convert.RowHasher
	var enc []byte
	c := chunker{b: b, rows: r.sizes.ChunkRows}
	k := r.p.KeyCount
	err := stream(ctx, r.src, r.srcT, r.p.Cols, k, nil, r.sizes.ReadBatch, func(rows [][]any) error {
		for _, row := range rows {
			conv, _, rej := r.p.ConvertRow(row)
			if rej != nil {
				r.rejected++
				continue
			}
			if ex, err := r.excluded(conv); err != nil {
				return err
			} else if ex {
				r.rejected++
				continue
			}
			sum := h.SumConverted(conv, r.p.Types) // converted already: not again
			if !r.ranges {
				enc = appendConvertedKey(enc[:0], conv[:k], r.p.Types[:k])
				r.srcSums[bucketOf(r.seed, enc, r.sizes.Buckets)].Add(sum)
				continue
			}
			key, ok := intKey(conv[0])
			if !ok {
				return errUnordered
			}
			if err := c.add(key, sum); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && r.ranges {
		r.srcSums = c.close()
	}
	return err
}

// scanTarget reads the target in key order and adds each row's hash to its
// chunk (waiting for the source's bound when needed) or bucket. Values are
// hashed through the target types; one its own column cannot hold is
// hashed as invalid, so it shows as a difference, never disappears.
func (r *run) scanTarget(ctx context.Context, b *bounds) error {
	var h convert.RowHasher
	var enc []byte
	a := assigner{b: b}
	k, types := r.p.KeyCount, r.p.Types
	return stream(ctx, r.dst, r.dstT, r.p.Cols, k, nil, r.sizes.ReadBatch, func(rows [][]any) error {
		for _, row := range rows {
			sum := h.Sum(row, types)
			if !r.ranges {
				enc = appendKey(enc[:0], row[:k], types[:k])
				r.dstSums[bucketOf(r.seed, enc, r.sizes.Buckets)].Add(sum)
				continue
			}
			key, ok := targetKey(row[0], types[0])
			if !ok {
				return errUnordered
			}
			i, err := a.chunk(ctx, key)
			if err != nil {
				return err
			}
			for len(r.dstSums) <= i {
				r.dstSums = append(r.dstSums, convert.Checksum{})
			}
			r.dstSums[i].Add(sum)
		}
		return nil
	})
}

// mismatching returns the chunks or buckets whose count or checksum
// differs between the sides.
func (r *run) mismatching() []int {
	var bad []int
	for i := range max(len(r.srcSums), len(r.dstSums)) {
		var s, d convert.Checksum
		if i < len(r.srcSums) {
			s = r.srcSums[i]
		}
		if i < len(r.dstSums) {
			d = r.dstSums[i]
		}
		if s != d {
			bad = append(bad, i)
		}
	}
	return bad
}
