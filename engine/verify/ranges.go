package verify

// Key ranges: for a single-column integer key, chunks are ranges of the
// key cut by the source's key order, every Sizes.ChunkRows converted rows. The
// source publishes each chunk's last key (its bound) as it reads; the
// target, read at the same time, puts each row into the chunk whose range
// holds its key, comparing in Go. Integers compare the same in every
// engine and in Go, so a chunk is also a range the databases can re-read
// on their own (keyset reads after the previous bound, up to this one).

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/runbooks"
)

// errUnordered stops a pass by key ranges when a key is not a signed
// 64-bit integer on one side, or the source's converted keys do not rise
// strictly in the source's order. The table is then verified by buckets,
// which need no order.
var errUnordered = errors.New("verify: keys are not ordered integers; using buckets")

// rangeable reports whether a table can be chunked by key ranges: one key
// column, an integer on both sides, and no cast rule on it (a cast could
// change a key, and with it the key's place in the order).
func rangeable(srcKey, dstKey convert.Type, keyCount int, keyCol, table string, casts []runbooks.Cast) bool {
	if keyCount != 1 || srcKey.Kind != convert.Integer || dstKey.Kind != convert.Integer {
		return false
	}
	for _, c := range casts {
		if strings.EqualFold(c.Table, table) && c.Column == keyCol {
			return false
		}
	}
	return true
}

// intKey returns a converted key value as an int64, if it is one.
func intKey(v any) (int64, bool) {
	k, ok := v.(int64)
	return k, ok
}

// targetKey returns a target key value as an int64, if its column holds
// it as one. The adapters deliver integers as int64 already; anything else
// goes through the column's type.
func targetKey(v any, t convert.Type) (int64, bool) {
	if k, ok := v.(int64); ok {
		return k, true
	}
	c, rej := convert.Convert(v, t)
	if rej != nil {
		return 0, false
	}
	return intKey(c)
}

// bounds are the last keys of the source's closed chunks, in rising
// order: chunk i holds the keys in (keys[i-1], keys[i]], and the chunk
// after the last bound (the tail) every greater key. The source appends as
// it reads; the target waits for the bound its keys need.
type bounds struct {
	mu   sync.Mutex
	cond *sync.Cond
	keys []int64
	done bool // the source has finished (or failed): no more bounds
}

func newBounds() *bounds {
	b := &bounds{}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// add publishes the last key of a closed chunk.
func (b *bounds) add(k int64) {
	b.mu.Lock()
	b.keys = append(b.keys, k)
	b.mu.Unlock()
	b.cond.Broadcast()
}

// finish says no more bounds will come. It must be called however the
// source's read ends, so that the target never waits forever.
func (b *bounds) finish() {
	b.mu.Lock()
	b.done = true
	b.mu.Unlock()
	b.cond.Broadcast()
}

// wait blocks until a bound at or above k is known or the source has
// finished, and returns the bounds known then. The slice is only ever
// appended to, so the caller may keep reading it without the lock.
func (b *bounds) wait(k int64) ([]int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for !b.done && (len(b.keys) == 0 || b.keys[len(b.keys)-1] < k) {
		b.cond.Wait()
	}
	return b.keys, b.done
}

// all returns every bound; call it once the source has finished.
func (b *bounds) all() []int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.keys
}

// assigner finds the chunk of a target key. It keeps its own view of the
// bounds and asks for more only when a key lies beyond them.
type assigner struct {
	b     *bounds
	known []int64
	done  bool
}

// chunk returns the index of the chunk holding key k, waiting for the
// source when the bound is not known yet. It returns the context's error
// when the verify was cancelled meanwhile.
func (a *assigner) chunk(ctx context.Context, k int64) (int, error) {
	for {
		if n := len(a.known); n > 0 && k <= a.known[n-1] {
			i, _ := slices.BinarySearch(a.known, k) // first bound >= k
			return i, nil
		}
		if a.done {
			return len(a.known), nil
		}
		a.known, a.done = a.b.wait(k)
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
}

// chunker accounts the source's rows into chunks by key range.
type chunker struct {
	b    *bounds
	rows int                // rows per chunk
	sums []convert.Checksum // closed chunks
	cur  convert.Checksum
	last int64
	any  bool
}

// add puts a converted source row (key k, hash h) into the current chunk
// and closes the chunk at c.rows rows. Keys must rise strictly.
func (c *chunker) add(k int64, h [32]byte) error {
	if c.any && k <= c.last {
		return errUnordered
	}
	c.any, c.last = true, k
	c.cur.Add(h)
	if c.cur.Count() == int64(c.rows) {
		c.sums = append(c.sums, c.cur)
		c.cur = convert.Checksum{}
		c.b.add(k)
	}
	return nil
}

// close appends the tail chunk and returns every chunk's checksum.
func (c *chunker) close() []convert.Checksum {
	return append(c.sums, c.cur)
}

// rangeOf returns the keyset bounds of chunk i for a re-read: the key to
// read after (nil for the first chunk) and the upper bound (nil for the
// tail).
func rangeOf(keys []int64, i int) (after []any, upper any) {
	if i > 0 {
		after = []any{keys[i-1]}
	}
	if i < len(keys) {
		upper = keys[i]
	}
	return after, upper
}
