package copy_test

// `create: true`: a copy into a target without the table creates it from
// the source's shape, reports the mapping of every column, and then copies
// exactly.

import (
	"errors"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
)

func TestCopyCreatesTheTargetTable(t *testing.T) {
	// The target declarations each engine must choose for the typed mix.
	wantTypes := map[string]map[string]string{
		db.Postgres: {"id": "bigint", "qty": "integer", "amount": "numeric(12,4)", "code": "character varying(16)",
			"note": "text", "at": "timestamp(6) without time zone", "day": "date"},
		db.MySQL: {"id": "bigint", "qty": "int", "amount": "decimal(12,4)", "code": "varchar(16)",
			"at": "datetime(6)", "day": "date"},
	}
	for _, pair := range [][2]string{{db.MySQL, db.Postgres}, {db.Postgres, db.MySQL}} {
		t.Run(pair[0]+"_to_"+pair[1], func(t *testing.T) {
			src, dst := newDB(t, pair[0]), newDB(t, pair[1])
			const table = "mix"
			createMixTable(t, src, table)
			rows := mixRows(800)
			insertRows(t, src, table, mixCols, sourceArgs(pair[0], rows))
			if _, err := dst.Table(testCtx(t), table); !errors.Is(err, db.ErrNoTable) {
				t.Fatalf("the target has the table before the copy: %v", err)
			}
			step := copyStep(150, table)
			step.Create = true
			sink := newSink()
			c := copyTable(t, src, dst, table, step, sink)

			maps := sink.created[table]
			if len(maps) != len(mixCols) {
				t.Fatalf("Created reported %d mappings, want one per column: %+v", len(maps), maps)
			}
			for i, m := range maps {
				if m.Column != mixCols[i] || m.Source == "" || m.Target == "" {
					t.Errorf("mapping %d: %+v", i, m)
				}
				if w, ok := wantTypes[pair[1]][m.Column]; ok && !strings.EqualFold(m.Target, w) {
					t.Errorf("%s: created as %s, want %s", m.Column, m.Target, w)
				}
			}
			tb, err := dst.Table(testCtx(t), table)
			if err != nil {
				t.Fatal(err)
			}
			if len(tb.Key) != 1 || tb.Key[0] != "id" {
				t.Errorf("created table's key is %v, want [id]", tb.Key)
			}
			checkCopied(t, src, dst, table, step, c, sink)
			checkValues(t, dst, table, mixCols, sortByIntKey(rows))
		})
	}
}

func TestCopyCreatesAQuotedTable(t *testing.T) {
	src, dst := newDB(t, db.MySQL), newDB(t, db.Postgres)
	const name = "Order Items"
	createQuotedTable(t, src, name, false)
	rows, _ := quotedRows(120)
	insertRows(t, src, name, quotedCols, rows)
	step := copyStep(50, name)
	step.Create = true
	sink := newSink()
	c := copyTable(t, src, dst, name, step, sink)
	if len(sink.created[name]) != len(quotedCols) {
		t.Errorf("Created: %+v", sink.created)
	}
	if c.Rejected != 0 {
		t.Errorf("a created table rejected %d rows: %+v", c.Rejected, sink.rejectList(name))
	}
	checkCopied(t, src, dst, name, step, c, sink)
	checkValues(t, dst, name, quotedCols, rows)
}
