package verify

// The first pass's hot path per row, without a database: the source row
// through the plan (casts, conversion), its canonical row hash and its
// chunk; the target row's hash, its key and its chunk. Rows are shaped
// as the adapters deliver them (MySQL: decimals as text, datetimes as
// time.Time; PostgreSQL likewise, numeric as its text).

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/convert"
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// benchPlan plans the bench table's shape between two SQLite databases.
func benchPlan(b *testing.B) *copyengine.Plan {
	ddl := map[string]string{db.SQLite: "id INTEGER PRIMARY KEY, n BIGINT NOT NULL, name VARCHAR(32) NOT NULL, qty INT, " +
		"amount NUMERIC(12,4), code VARCHAR(16), note TEXT, at TIMESTAMP"}
	src, dst := newDB(b, db.SQLite), newDB(b, db.SQLite)
	createTable(b, src, "bench", ddl)
	createTable(b, dst, "bench", ddl)
	p, err := copyengine.MakePlan(testCtx(b), src, dst, "bench", runbooks.Step{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// benchRowsOf makes n rows of the bench table as an adapter delivers them.
func benchRowsOf(n int) [][]any {
	rows := make([][]any, n)
	at := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		g := int64(i + 1)
		var note any = fmt.Sprintf("note number %d", g)
		if g%5 == 0 {
			note = nil
		}
		rows[i] = []any{g, g * 7919 % 1000003, fmt.Sprintf("name-%027x", g*2654435761), g % 1000,
			fmt.Sprintf("%d.%04d", g*37%10000000/1000, g*37%1000*10), fmt.Sprintf("c%d", g%997), note,
			at.Add(time.Duration(g)*17*time.Second + time.Duration(g%1000000)*time.Microsecond)}
	}
	return rows
}

func BenchmarkFirstPassRow(b *testing.B) {
	p := benchPlan(b)
	sizes := DefaultSizes()
	rows := benchRowsOf(sizes.ChunkRows)
	b.Run("source", func(b *testing.B) {
		var h convert.RowHasher
		b.ReportAllocs()
		for b.Loop() {
			c := chunker{b: newBounds(), rows: sizes.ChunkRows}
			for _, row := range rows {
				conv, _, rej := p.ConvertRow(row)
				if rej != nil {
					b.Fatal(rej)
				}
				key, _ := intKey(conv[0])
				if err := c.add(key, h.SumConverted(conv, p.Types)); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
	})
	b.Run("target", func(b *testing.B) {
		var h convert.RowHasher
		bs := newBounds()
		bs.add(int64(len(rows)))
		b.ReportAllocs()
		for b.Loop() {
			a := assigner{b: bs}
			var sums []convert.Checksum
			for _, row := range rows {
				sum := h.Sum(row, p.Types)
				key, _ := targetKey(row[0], p.Types[0])
				i, err := a.chunk(context.Background(), key)
				if err != nil {
					b.Fatal(err)
				}
				for len(sums) <= i {
					sums = append(sums, convert.Checksum{})
				}
				sums[i].Add(sum)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
	})
	b.Run("bucket key", func(b *testing.B) {
		var enc []byte
		seed := newRun(nil, nil, p, nil, sizes).seed
		b.ReportAllocs()
		for b.Loop() {
			for _, row := range rows {
				enc = appendKey(enc[:0], row[:1], p.Types[:1])
				_ = bucketOf(seed, enc, sizes.Buckets)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
	})
}
