package copy

import (
	"context"
	"testing"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
)

// rejectSink records the rejects it receives.
type rejectSink struct {
	retrySink
	rejects []Rejected
}

func (s *rejectSink) Rejects(_ context.Context, _ string, rows []Rejected) error {
	s.rejects = append(s.rejects, rows...)
	return nil
}

// TestALateCommitIsNotARefusal: the duplicate keys of a batch whose own
// lost COMMIT landed are not rows the target refuses — the checkpoint is
// read first, and nothing is rejected. Duplicates the checkpoint does not
// explain are refused rows: rejected, the rest written, counts moved.
func TestALateCommitIsNotARefusal(t *testing.T) {
	ctx := context.Background()
	dst, tbl := sqliteTarget(t)
	p := &Plan{Name: "t", Target: tbl, Cols: []string{"id", "v"}, KeyCount: 1}
	rows := [][]any{{int64(1), "a"}, {int64(2), "b"}}
	m := db.Marker{CopyID: "c", Table: "t", LastKey: []any{int64(2)}, Read: 2, Written: 2}
	if err := dst.LoadBatch(ctx, tbl, p.Cols, rows, m); err != nil { // the late commit
		t.Fatal(err)
	}
	sink := &rejectSink{}
	if n, err := write(ctx, dst, sink, p, rows, m); err != nil || n != 0 || len(sink.rejects) != 0 {
		t.Fatalf("the batch is in place with its checkpoint, yet: %d refused, %v, rejects %+v", n, err, sink.rejects)
	}
	more := [][]any{{int64(2), "b"}, {int64(3), "c"}}
	next := db.Marker{CopyID: "c", Table: "t", LastKey: []any{int64(3)}, Read: 4, Written: 4}
	n, err := write(ctx, dst, sink, p, more, next)
	if err != nil || n != 1 || len(sink.rejects) != 1 || sink.rejects[0].Reason != convert.ReasonTargetRefused {
		t.Fatalf("a duplicate the checkpoint does not explain: %d refused, %v, rejects %+v", n, err, sink.rejects)
	}
	got, _, err := dst.Progress(ctx, "c", "t")
	if err != nil || got.Read != 4 || got.Written != 3 || got.Rejected != 1 {
		t.Errorf("checkpoint %+v (%v), want read 4 written 3 rejected 1", got, err)
	}
}
