package convert

import "testing"

var (
	sink     any
	hashSink [32]byte
)

func BenchmarkConvertInt(b *testing.B) {
	b.Run("int64", func(b *testing.B) {
		var v any = int64(123456)
		b.ReportAllocs()
		for b.Loop() {
			sink, _ = Convert(v, pgInteger)
		}
	})
	b.Run("text", func(b *testing.B) {
		var v any = " 123 " // small results are boxed without allocating
		b.ReportAllocs()
		for b.Loop() {
			sink, _ = Convert(v, pgInteger)
		}
	})
	b.Run("bytes", func(b *testing.B) {
		var v any = []byte("123456")
		b.ReportAllocs()
		for b.Loop() {
			sink, _ = Convert(v, pgInteger)
		}
	})
}

func BenchmarkConvertDecimal(b *testing.B) {
	for _, c := range []struct {
		name string
		v    any
	}{{"canonical", "12345.67"}, {"trailing zeros", "12345.6700"}, {"float", 12345.67}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink, _ = Convert(c.v, pgNumeric)
			}
		})
	}
}

func BenchmarkConvertText(b *testing.B) {
	b.Run("string", func(b *testing.B) {
		var v any = "héllo"
		b.ReportAllocs()
		for b.Loop() {
			sink, _ = Convert(v, pgVarchar5)
		}
	})
	b.Run("bytes", func(b *testing.B) {
		var v any = []byte("héllo")
		b.ReportAllocs()
		for b.Loop() {
			sink, _ = Convert(v, pgVarchar5)
		}
	})
}

func BenchmarkRowHash(b *testing.B) {
	types := []Type{pgBigint, pgText, pgNumeric, pgTSTZ, pgBool}
	row := []any{int64(42), "customer@example.com", "1234.50", ts(2024, 2, 29, 13, 45, 10, 0), true}
	b.Run("RowHash", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hashSink = RowHash(row, types)
		}
	})
	b.Run("SumConverted", func(b *testing.B) {
		conv := make([]any, len(row))
		for i, v := range row {
			conv[i], _ = Convert(v, types[i])
		}
		var h RowHasher
		b.ReportAllocs()
		for b.Loop() {
			hashSink = h.SumConverted(conv, types)
		}
	})
	b.Run("RowHasher int+text", func(b *testing.B) {
		var h RowHasher
		b.ReportAllocs()
		for b.Loop() {
			hashSink = h.Sum(row[:2], types[:2])
		}
	})
}

func BenchmarkCanonicalTime(b *testing.B) {
	tm := ts(2024, 2, 29, 13, 45, 10, 123456000)
	buf := make([]byte, 0, 64)
	for _, ty := range []Type{pgDate, pgTS, pgTSTZ} {
		var v any = tm
		if ty.Kind == Date {
			v = date(2024, 2, 29)
		}
		b.Run(ty.Kind.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendConverted(buf[:0], v, ty)
			}
		})
	}
}
