package db

import "unsafe"

// rowAlloc hands out the rows of one ReadBatch from shared backing arrays
// instead of one allocation per row. Every row is capped at its own
// columns, so appending to one never touches the next.
type rowAlloc struct {
	ncols int
	chunk int // rows per backing array
	left  int // rows the batch may still ask for beyond vals (limit - handed out - len(vals)/ncols)
	vals  []any
}

// newRowAlloc prepares rows of ncols values for a batch of up to limit rows.
func newRowAlloc(ncols, limit int) rowAlloc {
	limit = max(limit, 1)
	return rowAlloc{ncols: ncols, chunk: min(limit, 4096), left: limit}
}

// row returns a fresh row of nil values. No backing array reaches past
// the batch's limit, so a batch does not carry values it cannot have.
func (r *rowAlloc) row() []any {
	if len(r.vals) < r.ncols {
		n := r.chunk
		if r.left > 0 {
			n = min(n, r.left)
		}
		r.left -= n
		r.vals = make([]any, r.ncols*n)
	}
	row := r.vals[:r.ncols:r.ncols]
	r.vals = r.vals[r.ncols:]
	return row
}

// batchMem is the shared memory of one batch's values: their bytes and
// their interface boxes.
type batchMem struct {
	arena byteArena
	box   boxes
}

// text returns a copy of b as a string, boxed.
func (m *batchMem) text(b []byte) any { return m.box.string(m.arena.str(b)) }

// byteArena copies values that a driver hands out in a reused buffer into
// shared chunks, so a batch's text costs a few allocations instead of one
// per value. Bytes once handed out are never written again: a string made
// from them stays immutable, and a chunk lives as long as any value in it.
type byteArena struct {
	buf []byte
}

const (
	arenaChunk = 64 << 10
	arenaLarge = arenaChunk / 8 // larger values get an allocation of their own
)

// str returns b as a string.
func (a *byteArena) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > arenaLarge {
		return string(b)
	}
	p := a.take(b)
	return unsafe.String(&p[0], len(p))
}

// bytes returns a copy of b (not nil, also when b is empty), capped so that
// appending to it reallocates.
func (a *byteArena) bytes(b []byte) []byte {
	if len(b) > arenaLarge {
		return append([]byte(nil), b...)
	}
	if len(b) == 0 {
		return []byte{}
	}
	return a.take(b)
}

// take copies b into the current chunk, starting a new one when it is full.
func (a *byteArena) take(b []byte) []byte {
	if cap(a.buf)-len(a.buf) < len(b) {
		a.buf = make([]byte, 0, arenaChunk)
	}
	off := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[off:len(a.buf):len(a.buf)]
}
