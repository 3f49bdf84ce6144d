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
// canonical values under its own column types. Snapshots of engines that
// cannot checksum in the server (SQLite) record these at capture and
// compare them after a restore, as every manifest written before the
// server-side kinds does (see package snapshot).
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
	// Canonical forms convert first, so raw values hash as their converted
	// selves; a value its own column cannot hold hashes as invalid.
	var sum convert.Checksum
	var h convert.RowHasher
	err = stream(ctx, d, t, cols, len(t.Key), nil, DefaultSizes().ReadBatch, func(batch [][]any) error {
		for _, row := range batch {
			sum.Add(h.Sum(row, types))
		}
		return nil
	})
	if err != nil {
		return journal.TableSnapshot{}, err
	}
	return journal.TableSnapshot{Table: name, Rows: sum.Count(), Checksum: sum.Hex()}, nil
}
