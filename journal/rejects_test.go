package journal

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sampleRejects are rows with the awkward values a real copy meets.
func sampleRejects() []RejectRow {
	return []RejectRow{
		{
			Table: "orders", Key: map[string]any{"id": int64(9007199254740993)},
			Row: map[string]any{
				"id":       int64(9007199254740993), // not representable as float64
				"price":    json.Number("12345678901234567890.123456789"),
				"qty":      []byte("N/A"),
				"blob":     []byte{0xff, 0x00, 0xfe},
				"ratio":    math.NaN(),
				"shipped":  time.Date(2026, 2, 28, 23, 59, 59, 123456789, time.FixedZone("CET", 3600)),
				"note":     nil,
				"coupon":   sql.NullString{},
				"customer": "Zoë <zoe@example.com>",
			},
			Column: "qty", Reason: "not_an_integer", Detail: `"N/A" is not an integer`,
		},
		{
			Table: "orders", Key: []any{int64(42), "EU"},
			Row:    map[string]any{"id": int64(42), "region": "EU", "price": 1.1},
			Column: "", Reason: "duplicate_key", Detail: "key (42, EU) already in the target",
		},
	}
}

// addBatch stores rows and chains their digest, as the copy does.
func addBatch(t *testing.T, s *Store, rows []RejectRow) string {
	t.Helper()
	ctx := context.Background()
	digest, err := s.AddRejects(ctx, "copy", rows)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "alice", "copy", RowsRejected, RejectsPayload{
		Table: "orders", ByReason: map[string]int64{"x": int64(len(rows))}, RowsSHA256: digest,
	}); err != nil {
		t.Fatal(err)
	}
	return digest
}

func TestRejectsRoundTripExactly(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	appendLogs(t, s, 2)
	digest := addBatch(t, s, sampleRejects())
	recs, err := ReadRejects(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("ReadRejects returned %d rows, want 2", len(recs))
	}
	r := recs[0]
	if r.ID != 1 || r.RunSeq != 3 || r.StepID != "copy" || r.Table != "orders" || r.Column != "qty" ||
		r.Reason != "not_an_integer" || r.Batch != digest || recs[1].Batch != digest {
		t.Errorf("record = %+v", r)
	}
	wantRow := `{"blob":{"$base64":"/wD+"},"coupon":null,"customer":"Zoë <zoe@example.com>","id":9007199254740993,` +
		`"note":null,"price":12345678901234567890.123456789,"qty":"N/A","ratio":"NaN","shipped":"2026-02-28T23:59:59.123456789+01:00"}`
	if string(r.Row) != wantRow {
		t.Errorf("row_json\n got %s\nwant %s", r.Row, wantRow)
	}
	if string(r.Key) != `{"id":9007199254740993}` || string(recs[1].Key) != `[42,"EU"]` || !strings.Contains(string(recs[1].Row), `"price":1.1`) {
		t.Errorf("keys %s %s, row %s", r.Key, recs[1].Key, recs[1].Row)
	}
	if res := mustVerify(t, path); !res.OK() || res.Rejects != 2 {
		t.Fatalf("Verify = %+v", res)
	}
	if d, err := s.AddRejects(context.Background(), "copy", nil); d != "" || err != nil {
		t.Errorf("AddRejects(nil) = %q, %v; want no digest, no error", d, err)
	}
}

func TestRejectsDigestChangesWithTheRows(t *testing.T) {
	t.Parallel()
	digest := func(mutate func([]RejectRow)) string {
		s, _ := newJournal(t)
		rows := sampleRejects()
		mutate(rows)
		d, err := s.AddRejects(context.Background(), "copy", rows)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := digest(func([]RejectRow) {})
	if again := digest(func([]RejectRow) {}); again != base {
		t.Fatalf("the same rows gave digests %s and %s", base, again)
	}
	for name, m := range map[string]func([]RejectRow){
		"value":  func(r []RejectRow) { r[1].Row["price"] = 1.2 },
		"key":    func(r []RejectRow) { r[1].Key = []any{int64(43), "EU"} },
		"reason": func(r []RejectRow) { r[0].Detail += "!" },
		"order":  func(r []RejectRow) { r[0], r[1] = r[1], r[0] },
	} {
		if d := digest(m); d == base {
			t.Errorf("changing the %s left the digest unchanged", name)
		}
	}
}

func TestVerifyDetectsTamperedRejects(t *testing.T) {
	t.Parallel()
	for name, stmt := range map[string]string{
		"changed":  `UPDATE rejects SET row_json = replace(row_json, 'N/A', '7') WHERE id = 1`,
		"deleted":  `DELETE FROM rejects WHERE id = 2`,
		"all gone": `DELETE FROM rejects`,
		"forged": `INSERT INTO rejects (run_seq, step_id, tbl, key_json, row_json, col, reason, detail, batch)
			VALUES (3, 'copy', 'orders', '[1]', '{}', '', 'x', 'x', 'feed')`,
	} {
		t.Run(name, func(t *testing.T) {
			s, path := newJournal(t)
			addBatch(t, s, sampleRejects())
			tamper(t, path, stmt)
			res := mustVerify(t, path)
			if res.OK() || res.RejectsReason == "" || res.BrokenSeq != 0 {
				t.Fatalf("Verify = %+v, want the chain whole and the rejects flagged", res)
			}
		})
	}
	t.Run("unbound", func(t *testing.T) {
		s, path := newJournal(t)
		if _, err := s.AddRejects(context.Background(), "copy", sampleRejects()); err != nil {
			t.Fatal(err)
		}
		if res := mustVerify(t, path); res.OK() || !strings.Contains(res.RejectsReason, "no rows_rejected event") {
			t.Fatalf("Verify = %+v, want the unbound batch reported", res)
		}
		if _, err := OpenWriter(path); err != nil { // a crash before the event must not block resume
			t.Fatalf("OpenWriter: %v", err)
		}
	})
}

func TestRejectsAreAppendOnly(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	addBatch(t, s, sampleRejects())
	db := rawDB(t, path)
	for _, q := range []string{`UPDATE rejects SET reason = 'x'`, `DELETE FROM rejects`} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only", q, err)
		}
	}
}

func TestWriteRejectsCSVAndJSON(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	addBatch(t, s, sampleRejects())
	recs, err := ReadRejects(path)
	if err != nil {
		t.Fatal(err)
	}

	var csvOut bytes.Buffer
	if err := WriteRejectsCSV(&csvOut, recs); err != nil {
		t.Fatal(err)
	}
	lines, err := csv.NewReader(&csvOut).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || strings.Join(lines[0], ",") != "id,run_seq,step_id,table,key,row,column,reason,detail" {
		t.Fatalf("CSV = %q", lines)
	}
	if lines[1][5] != string(recs[0].Row) || lines[1][8] != recs[0].Detail {
		t.Errorf("CSV row = %q", lines[1])
	}

	var jsonOut bytes.Buffer
	if err := WriteRejectsJSON(&jsonOut, recs); err != nil {
		t.Fatal(err)
	}
	var back []RejectRecord
	if err := json.Unmarshal(jsonOut.Bytes(), &back); err != nil {
		t.Fatalf("JSON output does not parse: %v\n%s", err, jsonOut.String())
	}
	if !reflect.DeepEqual(back, recs) {
		t.Errorf("JSON round trip differs:\n got %+v\nwant %+v", back, recs)
	}
	if n := strings.Count(jsonOut.String(), "\n"); n != 4 {
		t.Errorf("JSON output has %d lines, want one per record plus brackets:\n%s", n, jsonOut.String())
	}
	var empty bytes.Buffer
	_ = WriteRejectsJSON(&empty, nil)
	if empty.String() != "[]\n" {
		t.Errorf("empty JSON = %q", empty.String())
	}
}

func TestNewRejectsKeepsAResumedBatchOnce(t *testing.T) {
	s, _ := newJournal(t)
	rows := sampleRejects()
	addBatch(t, s, rows)
	again, err := s.NewRejects(context.Background(), "copy", rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Fatalf("%d rows of a stored batch counted as new", len(again))
	}
	other := rows[0]
	other.Key = map[string]any{"id": 999999}
	fresh, err := s.NewRejects(context.Background(), "copy", append(rows, other))
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) != 1 || fresh[0].Key.(map[string]any)["id"] != 999999 {
		t.Fatalf("fresh rows: %+v", fresh)
	}
	elsewhere, err := s.NewRejects(context.Background(), "copy-again", rows)
	if err != nil || len(elsewhere) != len(rows) {
		t.Fatalf("another step's rejects are its own: %d of %d, %v", len(elsewhere), len(rows), err)
	}
}
