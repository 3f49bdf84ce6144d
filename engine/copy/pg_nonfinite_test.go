package copy_test

// PostgreSQL's numeric NaN and ±Infinity and the ±infinity of its dates and
// timestamps: copied exactly PostgreSQL → PostgreSQL, rejected with a
// reason into MySQL and SQLite, which hold no such values, and kept whole
// in the journal's rejects.

import (
	"encoding/json"
	"testing"

	"github.com/tightrope/tightrope/engine/convert"
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

// pgNonFiniteRows are inserted as SQL text; id 5 is finite everywhere.
var pgNonFiniteRows = map[int64][]string{
	1: {"NaN", "NaN", "infinity", "infinity", "-infinity"},
	2: {"1.5", "2.25", "-infinity", "-infinity", "infinity"},
	3: {"Infinity", "1", "2020-01-01", "2020-01-01 12:00:00", "2020-01-01 12:00:00+00"},
	4: {"-Infinity", "-3.5", "2020-01-02", "infinity", "2020-01-02 00:00:00+00"},
	5: {"7.25", "0.5", "2021-06-30", "2021-06-30 01:02:03.456789", "2021-06-30 01:02:03+00"},
}

var pgNonFiniteCols = []string{"n", "n2", "d", "ts", "tz"}

func TestPostgresNonFiniteValuesAreCopiedOrRejected(t *testing.T) {
	for _, to := range drivers {
		t.Run("postgres_to_"+to, func(t *testing.T) {
			src, dst := newDB(t, db.Postgres), newDB(t, to)
			const table = "nonfinite"
			mustExec(t, src, `CREATE TABLE nonfinite (id bigint PRIMARY KEY, n numeric, n2 numeric(10,2), d date, ts timestamp, tz timestamptz)`)
			for id := int64(1); id <= 5; id++ {
				v := pgNonFiniteRows[id]
				if _, err := src.SQL().Exec(`INSERT INTO nonfinite VALUES ($1, $2::numeric, $3::numeric, $4::date, $5::timestamp, $6::timestamptz)`,
					id, v[0], v[1], v[2], v[3], v[4]); err != nil {
					t.Fatal(err)
				}
			}
			step := copyStep(2, table)
			step.Create = true
			sink := newJournalSink(t)
			c, err := copyengine.Table(testCtx(t), src, dst, table, step, "test/"+step.ID, sink)
			if err != nil {
				t.Fatalf("copy: %v", err)
			}
			checkCopied(t, src, dst, table, step, c, sink.memSink)
			wantRejected := map[int64]string{} // id → reason
			if to != db.Postgres {
				wantRejected = map[int64]string{1: convert.ReasonNotNumber, 2: convert.ReasonInvalidDate,
					3: convert.ReasonNotNumber, 4: convert.ReasonNotNumber}
			}
			recs, err := journal.ReadRejects(sink.store.Path())
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(wantRejected) {
				t.Errorf("%d rejects, want %d: %+v", len(recs), len(wantRejected), recs)
			}
			for _, r := range recs {
				var row map[string]any
				if err := json.Unmarshal(r.Row, &row); err != nil {
					t.Fatal(err)
				}
				id := int64(row["id"].(float64))
				if r.Reason != wantRejected[id] {
					t.Errorf("row %d rejected as %q (%s), want %q", id, r.Reason, r.Detail, wantRejected[id])
				}
				// The rejects keep the non-finite values as PostgreSQL spells them.
				for i, col := range pgNonFiniteCols[:3] {
					if want := pgNonFiniteRows[id][i]; (want == "NaN" || want == "Infinity" || want == "-Infinity" ||
						want == "infinity" || want == "-infinity") && row[col] != want {
						t.Errorf("reject %d: %s stored as %v, want %q", id, col, row[col], want)
					}
				}
			}
			if to == db.Postgres {
				var got []string
				rows, err := dst.SQL().Query(`SELECT n::text, n2::text, d::text, ts::text, tz::text FROM nonfinite WHERE id <= 2 ORDER BY id`)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var a, b, c, d, e string
					if err := rows.Scan(&a, &b, &c, &d, &e); err != nil {
						t.Fatal(err)
					}
					got = append(got, a, b, c, d, e)
				}
				rows.Close()
				want := append(append([]string{}, pgNonFiniteRows[1]...), pgNonFiniteRows[2]...)
				want[1], want[6] = "NaN", "2.25"
				for i := range want {
					if got[i] != want[i] {
						t.Errorf("the target holds %v, want %v", got, want)
						break
					}
				}
			}
		})
	}
}
