package copy

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

type retrySink struct {
	Sink
	retries int
	tuning  Tuning
}

func (s *retrySink) Tuning() Tuning { return s.tuning }

func (s *retrySink) Retry(string, int, time.Duration, error) { s.retries++ }

// TestASilentConnectionIsRetriedThenSurfaced: an attempt that never
// answers (a partition: the socket stays open, nothing comes back) times
// out, is retried like a dropped connection, and fails the copy in bounded
// time instead of stalling it.
func TestASilentConnectionIsRetriedThenSurfaced(t *testing.T) {
	sink := &retrySink{tuning: Tuning{BatchTimeout: 50 * time.Millisecond, RetryWait: time.Millisecond, Retries: 3}}
	attempts := 0
	start := time.Now()
	err := retry(context.Background(), sink, "orders", "writing a batch", func(ctx context.Context) error {
		attempts++
		<-ctx.Done() // the server never answers
		return ctx.Err()
	})
	if err == nil || !strings.Contains(err.Error(), "no answer within") || !db.IsTransient(err) {
		t.Fatalf("err %v", err)
	}
	if attempts != 4 || sink.retries != 3 {
		t.Errorf("%d attempts, %d retries reported", attempts, sink.retries)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s", took)
	}
}

// TestACancelledRunIsNotRetried: the run's own cancellation is final.
func TestACancelledRunIsNotRetried(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sink := &retrySink{}
	err := retry(ctx, sink, "orders", "reading a batch", func(ctx context.Context) error { return ctx.Err() })
	if !errors.Is(err, context.Canceled) || sink.retries != 0 {
		t.Fatalf("err %v, %d retries", err, sink.retries)
	}
}

// TestALateCommitOfTheSameBatchIsRecognised: a batch whose COMMIT landed
// after this copy read its checkpoint fails with a duplicate key; the
// checkpoint then shows the batch, and the copy goes on. Without the
// checkpoint showing it, the duplicate is an error.
func TestALateCommitOfTheSameBatchIsRecognised(t *testing.T) {
	ctx := context.Background()
	dst, tbl := sqliteTarget(t)
	p := &Plan{Name: "t", Target: tbl, Cols: []string{"id", "v"}}
	rows := [][]any{{int64(1), "a"}, {int64(2), "b"}}
	m := db.Marker{CopyID: "c", Table: "t", LastKey: []any{int64(2)}, Read: 2, Written: 2}
	if err := dst.LoadBatch(ctx, tbl, p.Cols, rows, m); err != nil { // the late commit
		t.Fatal(err)
	}
	if err := load(ctx, dst, &retrySink{}, p, rows, m); err != nil {
		t.Fatalf("the batch is in place with its checkpoint, yet: %v", err)
	}
	more := db.Marker{CopyID: "c", Table: "t", LastKey: []any{int64(2)}, Read: 4, Written: 4}
	if err := load(ctx, dst, &retrySink{}, p, rows, more); err == nil {
		t.Fatal("a duplicate the checkpoint does not explain was accepted")
	}
}

// sqliteTarget is a fresh SQLite target holding an empty table t (id
// INTEGER PRIMARY KEY, v TEXT), opened through the adapter, and that table.
func sqliteTarget(t *testing.T) (db.DB, db.Table) {
	t.Helper()
	path := t.TempDir() + "/t.db"
	d, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	d.Close()
	dst, err := db.Open(context.Background(), runbooks.Connection{Name: "t", Driver: db.SQLite, Path: path}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dst.Close() })
	tbl, err := dst.Table(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	return dst, tbl
}
