package db

import (
	"time"
	"unsafe"
)

// boxes hands out interface values (any) of the common scalar types whose
// data lives in shared arrays, one allocation per few thousand values
// instead of one per value: converting an int64, a string or a time.Time
// to any normally allocates a copy of it on the heap, and ReadBatch does
// that for nearly every value it reads.
//
// An interface value is a pair of words, the dynamic type and a pointer to
// the data; box builds that pair pointing into an array element. Elements
// are written once, before the interface is made, and never again, which
// is what the runtime assumes of interface data; the array lives as long
// as any value made from it.
type boxes struct {
	ints  []int64
	flts  []float64
	strs  []string
	times []time.Time
}

// boxChunk is the number of values per shared array.
const boxChunk = 1024

// eface is the runtime's layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// typeWord returns the dynamic-type word of v.
func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	int64Type  = typeWord(int64(0))
	floatType  = typeWord(float64(0))
	stringType = typeWord("")
	timeType   = typeWord(time.Time{})
)

// box makes the interface value of dynamic type typ whose data is *p.
func box(typ, p unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, p
	return v
}

// int64 returns x as an any, as any(x) would.
func (b *boxes) int64(x int64) any {
	if len(b.ints) == cap(b.ints) {
		b.ints = make([]int64, 0, boxChunk)
	}
	b.ints = append(b.ints, x)
	return box(int64Type, unsafe.Pointer(&b.ints[len(b.ints)-1]))
}

// float64 returns x as an any, as any(x) would.
func (b *boxes) float64(x float64) any {
	if len(b.flts) == cap(b.flts) {
		b.flts = make([]float64, 0, boxChunk)
	}
	b.flts = append(b.flts, x)
	return box(floatType, unsafe.Pointer(&b.flts[len(b.flts)-1]))
}

// string returns s as an any, as any(s) would.
func (b *boxes) string(s string) any {
	if len(b.strs) == cap(b.strs) {
		b.strs = make([]string, 0, boxChunk)
	}
	b.strs = append(b.strs, s)
	return box(stringType, unsafe.Pointer(&b.strs[len(b.strs)-1]))
}

// time returns t as an any, as any(t) would.
func (b *boxes) time(t time.Time) any {
	if len(b.times) == cap(b.times) {
		b.times = make([]time.Time, 0, boxChunk)
	}
	b.times = append(b.times, t)
	return box(timeType, unsafe.Pointer(&b.times[len(b.times)-1]))
}
