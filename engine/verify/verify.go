// Package verify proves that data arrived intact: per table, the source rows
// (converted through the copy's plan, so casts are honoured and rejected
// rows are expected to be missing) are compared with the target rows by
// count and by an order-independent checksum of canonical values; when they
// differ, the differing keys are named.
package verify

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tightrope/tightrope/engine/convert"
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// readBatch is the keyset page size used while verifying.
const readBatch = 5000

// maxKeys is how many differing keys a table check lists.
const maxKeys = 20

// Table compares one table of the source with the target.
func Table(ctx context.Context, src, dst db.DB, name string, step runbooks.Step) (journal.TableCheck, error) {
	check := journal.TableCheck{Table: name}
	p, err := copyengine.MakePlan(ctx, src, dst, name, step, nil)
	if err != nil {
		return check, err
	}
	srcSum, err := scan(ctx, src, p.Source, p, true, nil)
	if err != nil {
		return check, fmt.Errorf("reading %s in the source: %w", name, err)
	}
	targetTable := p.Target
	targetTable.Key = p.Source.Key
	dstSum, err := scan(ctx, dst, targetTable, p, false, nil)
	if err != nil {
		return check, fmt.Errorf("reading %s in the target: %w", name, err)
	}
	check.SourceRows = srcSum.rows + srcSum.rejected
	check.Rejected = srcSum.rejected
	check.TargetRows = dstSum.rows
	check.SourceChecksum, check.TargetChecksum = srcSum.sum.Hex(), dstSum.sum.Hex()
	if srcSum.rows == dstSum.rows && check.SourceChecksum == check.TargetChecksum {
		return check, nil
	}
	keys, n, err := diff(ctx, src, dst, p, targetTable)
	if err != nil {
		return check, err
	}
	check.Mismatches, check.MismatchKeys = n, keys
	return check, nil
}

// summary is what one scan of a table yields.
type summary struct {
	rows     int64 // rows that convert (source) or exist (target)
	rejected int64 // source rows that do not convert: expected missing
	sum      convert.Checksum
}

// scan reads a table in key order and sums the hashes of its canonical
// rows. With fromSource, values go through the plan's casts and conversion;
// target values are normalised through the same target types. each, when
// set, sees every canonical key with its row hash.
func scan(ctx context.Context, d db.DB, t db.Table, p *copyengine.Plan, fromSource bool, each func(key string, h [32]byte)) (summary, error) {
	var s summary
	var after []any
	for {
		rows, err := d.ReadBatch(ctx, t, p.Cols, after, readBatch)
		if err != nil {
			return s, err
		}
		for _, row := range rows {
			conv, _, rej := normalise(p, row, fromSource)
			if rej != nil {
				s.rejected++
				continue
			}
			h := convert.RowHash(conv, p.Types)
			s.sum.Add(h)
			s.rows++
			if each != nil {
				each(keyText(conv[:p.KeyCount], p.Types[:p.KeyCount]), h)
			}
		}
		if len(rows) < readBatch {
			return s, nil
		}
		after = rows[len(rows)-1][:p.KeyCount]
	}
}

func normalise(p *copyengine.Plan, row []any, fromSource bool) ([]any, string, *convert.Reject) {
	if fromSource {
		return p.ConvertRow(row)
	}
	out := make([]any, len(row))
	for i, v := range row {
		c, r := convert.Convert(v, p.Types[i])
		if r != nil {
			return nil, p.Cols[i], r
		}
		out[i] = c
	}
	return out, "", nil
}

// diff names the keys whose rows differ: missing in the target, extra in
// the target, or present on both sides with other values. It holds one
// hash per source row in memory.
func diff(ctx context.Context, src, dst db.DB, p *copyengine.Plan, targetTable db.Table) ([]string, int64, error) {
	want := map[string][32]byte{}
	if _, err := scan(ctx, src, p.Source, p, true, func(k string, h [32]byte) { want[k] = h }); err != nil {
		return nil, 0, err
	}
	var keys []string
	var n int64
	note := func(k, why string) {
		n++
		if len(keys) < maxKeys {
			keys = append(keys, k+" ("+why+")")
		}
	}
	_, err := scan(ctx, dst, targetTable, p, false, func(k string, h [32]byte) {
		w, ok := want[k]
		switch {
		case !ok:
			note(k, "extra in target")
		case w != h:
			note(k, "values differ")
		}
		delete(want, k)
	})
	if err != nil {
		return nil, 0, err
	}
	missing := make([]string, 0, len(want))
	for k := range want {
		missing = append(missing, k)
	}
	slices.Sort(missing)
	for _, k := range missing {
		note(k, "missing in target")
	}
	return keys, n, nil
}

// keyText renders a key as key=value pairs of canonical values.
func keyText(vals []any, types []convert.Type) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = convert.Canonical(v, types[i])
	}
	return strings.Join(parts, ",")
}
