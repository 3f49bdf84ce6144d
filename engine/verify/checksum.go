package verify

import (
	"context"
	"slices"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

// Checksums reads every listed table of a database in key order and
// returns its row count and the order-independent checksum of its
// canonical values under its own column types. Snapshots record these at
// capture and compare them after a restore.
func Checksums(ctx context.Context, d db.DB, tables []string) ([]journal.TableSnapshot, error) {
	out := make([]journal.TableSnapshot, 0, len(tables))
	for _, name := range tables {
		ts, err := tableChecksum(ctx, d, name)
		if err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	return out, nil
}

func tableChecksum(ctx context.Context, d db.DB, name string) (journal.TableSnapshot, error) {
	t, err := d.Table(ctx, name)
	if err != nil {
		return journal.TableSnapshot{}, err
	}
	var cols []string
	if len(t.Key) == 0 { // no key: order by every column, still exact
		for _, c := range t.Columns {
			t.Key = append(t.Key, c.Name)
		}
	}
	cols = append(cols, t.Key...)
	for _, c := range t.Columns {
		if !slices.Contains(t.Key, c.Name) {
			cols = append(cols, c.Name)
		}
	}
	types := make([]convert.Type, len(cols))
	for i, name := range cols {
		c, _ := t.Column(name)
		types[i] = c.Type
	}
	var sum convert.Checksum
	var rows int64
	var after []any
	vals := make([]any, len(cols))
	for {
		batch, err := d.ReadBatch(ctx, t, cols, after, readBatch)
		if err != nil {
			return journal.TableSnapshot{}, err
		}
		for _, row := range batch {
			for i, v := range row {
				c, r := convert.Convert(v, types[i])
				if r != nil {
					c = v // a value its own column cannot hold: hash it as stored
				}
				vals[i] = c
			}
			sum.Add(convert.RowHash(vals, types))
			rows++
		}
		if len(batch) < readBatch {
			break
		}
		after = batch[len(batch)-1][:len(t.Key)]
	}
	return journal.TableSnapshot{Table: name, Rows: rows, Checksum: sum.Hex()}, nil
}
