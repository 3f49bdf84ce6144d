package journal

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// browseRows is n rejects over two tables and two reasons, interleaved as
// a copy writes them.
func browseRows(n int) []RejectRow {
	rows := make([]RejectRow, n)
	for i := range rows {
		tbl, reason := "payments", "not_integer"
		if i%3 == 1 {
			reason = "precision_loss"
		}
		if i%5 == 0 {
			tbl = "orders"
		}
		rows[i] = RejectRow{Table: tbl, Key: map[string]any{"id": int64(i)},
			Row:    map[string]any{"id": int64(i), "amount": "N/A", "n": int64(i)},
			Column: "amount", Reason: reason, Detail: fmt.Sprintf("row %d: not an integer", i)}
	}
	return rows
}

func TestRejectReaderGroupsPagesAndFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := newJournal(t)
	first, err := s.AppendRejects(ctx, "alice", "copy", browseRows(30), RejectsPayload{Table: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendRejects(ctx, "alice", "copy", browseRows(3), RejectsPayload{Table: "payments"}); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRejects(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	groups, err := r.Groups(ctx, RejectFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []RejectGroup{{"orders", "not_integer", 5}, {"orders", "precision_loss", 2},
		{"payments", "not_integer", 17}, {"payments", "precision_loss", 9}}
	if fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Fatalf("groups = %v, want %v", groups, want)
	}

	// Pages walk the groups in order, each row once.
	seen := map[int64]bool{}
	var order []string
	for off := 0; ; off += 7 {
		page, err := r.Page(ctx, RejectFilter{}, off, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, rec := range page {
			if seen[rec.ID] {
				t.Fatalf("row %d twice", rec.ID)
			}
			seen[rec.ID] = true
			order = append(order, rec.Table+"/"+rec.Reason)
		}
	}
	if len(seen) != 33 {
		t.Fatalf("paged %d rows, want 33", len(seen))
	}
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Fatalf("row %d (%s) after %s: not grouped", i, order[i], order[i-1])
		}
	}

	// A replay whose last applied event is the first batch's sees only it.
	groups, _ = r.Groups(ctx, RejectFilter{BeforeSeq: first.Seq})
	var n int64
	for _, g := range groups {
		n += g.Count
	}
	if n != 30 {
		t.Fatalf("before seq %d: %d rows, want 30", first.Seq, n)
	}

	// The filter matches text anywhere, and % is literal.
	page, _ := r.Page(ctx, RejectFilter{Text: "ROW 17:"}, 0, 10)
	if len(page) != 1 || page[0].Detail != "row 17: not an integer" {
		t.Fatalf("filter row 17: %v", page)
	}
	if page, _ := r.Page(ctx, RejectFilter{Text: "%"}, 0, 10); len(page) != 0 {
		t.Fatalf("%% matched %d rows", len(page))
	}
	if v, ok := page[0].Value(); !ok || v != "N/A" {
		t.Fatalf("value = %q %v, want N/A", v, ok)
	}
}

// TestRejectReaderPageIsFastAtScale: 100,000 rejects, the last page and a
// filtered count stay interactive (a browser asks for one per keypress).
func TestRejectReaderPageIsFastAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100,000 rejects")
	}
	t.Parallel()
	ctx := context.Background()
	s, path := newJournal(t)
	n := 100_000
	if raceDetector {
		n = 10_000 // the speed is measured without the detector; under it, the paging is still checked
	}
	rows := browseRows(n)
	for i := 0; i < n; i += 10_000 {
		if _, err := s.AppendRejects(ctx, "alice", "copy", rows[i:i+10_000], RejectsPayload{Table: "payments"}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := OpenRejects(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	start := time.Now()
	page, err := r.Page(ctx, RejectFilter{}, n-50, 50)
	if err != nil || len(page) != 50 {
		t.Fatalf("last page: %d rows, %v", len(page), err)
	}
	last := time.Since(start)
	start = time.Now()
	if _, err := r.Groups(ctx, RejectFilter{}); err != nil {
		t.Fatal(err)
	}
	groups := time.Since(start)
	t.Logf("%d rejects: last page %v, groups %v", n, last, groups)
	if last > 2*time.Second || groups > 2*time.Second {
		t.Fatalf("too slow: last page %v, groups %v", last, groups)
	}
}
