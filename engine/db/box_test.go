package db

import (
	"reflect"
	"runtime"
	"testing"
	"time"
)

// TestBoxes: values made by boxes behave as any(x) in every way a caller
// can tell: type switches, equality, reflection, and they survive the GC.
func TestBoxes(t *testing.T) {
	var b boxes
	var got, want []any
	tm := time.Date(2024, 2, 29, 1, 2, 3, 4, time.FixedZone("X", 3600))
	for i := range 3 * boxChunk {
		got = append(got, b.int64(int64(i)-5), b.string("s"+string(rune('a'+i%26))), b.time(tm.Add(time.Duration(i))),
			b.float64(float64(i)/3))
		want = append(want, int64(i)-5, "s"+string(rune('a'+i%26)), tm.Add(time.Duration(i)), float64(i)/3)
	}
	runtime.GC()
	for i := range got {
		if got[i] != want[i] || !reflect.DeepEqual(got[i], want[i]) || reflect.TypeOf(got[i]) != reflect.TypeOf(want[i]) {
			t.Fatalf("value %d: got %#v, want %#v", i, got[i], want[i])
		}
		switch x := got[i].(type) {
		case int64, string, float64:
		case time.Time:
			if !x.Equal(want[i].(time.Time)) {
				t.Fatalf("value %d: time %v", i, x)
			}
		default:
			t.Fatalf("value %d: type %T", i, x)
		}
	}
}

// BenchmarkBoxes is the cost of a boxed value of each kind (compare
// BenchmarkAny).
func BenchmarkBoxes(b *testing.B) {
	var bx boxes
	b.ReportAllocs()
	var sink any
	for i := 0; i < b.N; i++ {
		sink = bx.int64(int64(i) + 1000)
	}
	_ = sink
}

func BenchmarkAny(b *testing.B) {
	b.ReportAllocs()
	var sink any
	x := int64(1000)
	for i := 0; i < b.N; i++ {
		sink = x + int64(i)
	}
	_ = sink
}
