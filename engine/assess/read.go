package assess

import (
	"context"
	"fmt"
	"time"

	"github.com/tightrope/tightrope/engine/convert"
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// readBatch is the rows a read asks for when the step names no batch
// (the copy then sizes its own; the rows and their order are the same).
const readBatch = 1000

// sampleChunk is how many consecutive rows one read of a spread sample
// takes.
const sampleChunk = 200

// minChunks is the fewest chunks a spread sample takes, so a small
// sample still covers the whole key range.
const minChunks = 10

// readThrough reads the table's rows (all of them, or the sample) in key
// order exactly as the copy reads them, and passes every row through the
// plan's cast rules and converters: a row the converters refuse is a row
// the copy would reject, for the same column and reason.
// It returns up to writeSample of the converted rows, to measure the
// write rate with.
func (a *assessor) readThrough(ctx context.Context, src db.DB, p *copyengine.Plan, step runbooks.Step, tr *TableResult) ([][]any, error) {
	batch := step.Batch
	if batch <= 0 {
		batch = readBatch
	}
	r := &tally{p: p, tr: tr, groups: map[[2]string]*RejectGroup{}, keep: a.o.MeasureWrite}
	want := a.o.Sample.target(tr.Rows)
	var err error
	switch {
	case want >= tr.Rows:
		err = r.readRange(ctx, src, nil, nil, batch, -1)
	case len(p.Source.Key) == 1 && keyKind(p) == convert.Integer:
		err = a.readSpread(ctx, src, p, r, want)
	default:
		tr.Estimate, tr.Sampling = true, fmt.Sprintf("the first %d rows in key order", want)
		err = r.readRange(ctx, src, nil, nil, batch, want)
	}
	if err != nil {
		return nil, err
	}
	tr.ReadTime = r.elapsed
	if secs := r.elapsed.Seconds(); secs > 0 {
		tr.ReadRate = float64(tr.Read) / secs
	}
	scale := 1.0
	if tr.Estimate && tr.Read > 0 {
		scale = float64(tr.Rows) / float64(tr.Read)
		tr.Bytes = int64(float64(tr.Bytes) * scale)
	}
	for _, g := range r.order {
		g.Predicted = int64(float64(g.Found)*scale + 0.5)
		tr.Rejects = append(tr.Rejects, *g)
	}
	sortGroups(tr.Rejects)
	tr.Rejected = int64(float64(tr.RejectedRead)*scale + 0.5)
	return r.kept, nil
}

func keyKind(p *copyengine.Plan) convert.Kind {
	c, _ := p.Source.Column(p.Source.Key[0])
	return c.Type.Kind
}

// readSpread reads a sample of about want rows of a table with a single
// integer key as chunks spread evenly over the key range, so the sample
// covers the whole table rather than its first rows.
func (a *assessor) readSpread(ctx context.Context, src db.DB, p *copyengine.Plan, r *tally, want int64) error {
	k := src.Quote(p.Source.Key[0])
	var lo, hi *int64
	q := "SELECT min(" + k + "), max(" + k + ") FROM " + src.Quote(p.Name)
	if err := src.SQL().QueryRowContext(ctx, q).Scan(&lo, &hi); err != nil {
		return fmt.Errorf("reading the key range: %w", err)
	}
	if lo == nil || hi == nil {
		return nil
	}
	chunks := max((want+sampleChunk-1)/sampleChunk, min(want, minChunks))
	per := (want + chunks - 1) / chunks
	span := float64(*hi-*lo+1) / float64(chunks)
	r.tr.Estimate = true
	r.tr.Sampling = fmt.Sprintf("a sample of %d chunks of up to %d rows spread over the key range", chunks, per)
	for i := range chunks {
		after := []any{*lo - 1 + int64(float64(i)*span)}
		var upper any
		if i+1 < chunks {
			upper = *lo - 1 + int64(float64(i+1)*span)
		}
		if err := r.readRange(ctx, src, after, upper, int(per), per); err != nil {
			return err
		}
	}
	return nil
}

// tally counts what the converters make of the rows read.
type tally struct {
	p       *copyengine.Plan
	tr      *TableResult
	groups  map[[2]string]*RejectGroup
	order   []*RejectGroup
	elapsed time.Duration
	keep    bool    // keep converted rows (up to writeSample)
	kept    [][]any // the converted rows kept
}

// readRange reads rows after the key after (nil: from the start) up to
// the key upper (nil: no bound), at most limit of them (negative: all),
// in batches of batch rows.
func (r *tally) readRange(ctx context.Context, src db.DB, after []any, upper any, batch int, limit int64) error {
	t := r.p.Source
	t.Upper = upper
	var n int64
	for limit < 0 || n < limit {
		size := batch
		if limit >= 0 {
			size = int(min(int64(batch), limit-n))
		}
		start := time.Now()
		rows, err := src.ReadBatch(ctx, t, r.p.Cols, after, size)
		r.elapsed += time.Since(start)
		if err != nil {
			return err
		}
		for _, row := range rows {
			r.row(row)
		}
		n += int64(len(rows))
		if len(rows) < size {
			return nil
		}
		after = append([]any(nil), rows[len(rows)-1][:r.p.KeyCount]...)
	}
	return nil
}

// row passes one source row through the plan.
func (r *tally) row(row []any) {
	r.tr.Read++
	for _, v := range row {
		r.tr.Bytes += copyengine.ValueSize(v)
	}
	out, col, rej := r.p.ConvertRow(row)
	if rej == nil {
		if r.keep && len(r.kept) < writeSample {
			r.kept = append(r.kept, out)
		}
		return
	}
	r.tr.RejectedRead++
	k := [2]string{col, rej.Reason}
	g := r.groups[k]
	if g == nil {
		g = &RejectGroup{Column: col, Reason: rej.Reason}
		r.groups[k] = g
		r.order = append(r.order, g)
	}
	g.Found++
	if len(g.Examples) < MaxExamples {
		key := make(map[string]any, r.p.KeyCount)
		var value any
		for i, v := range row {
			if i < r.p.KeyCount {
				key[r.p.Cols[i]] = copyengine.JSONValue(v)
			}
			if r.p.Cols[i] == col {
				value = copyengine.JSONValue(v)
			}
		}
		g.Examples = append(g.Examples, Example{Key: key, Value: value, Detail: rej.Message})
	}
}
