package copy_test

// An in-memory copy.Sink (a test seam, not a mock of a database) and the
// checks every copy test ends with.

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/verify"
	"github.com/tightrope/tightrope/runbooks"
)

// memSink records what a copy reports. Rejects are stored once per table
// and key, as the journal does; deliveries counts every row handed over.
type memSink struct {
	mu         sync.Mutex
	rejects    map[string]copyengine.Rejected // table + key JSON → row
	deliveries int
	casts      []castCall
	progress   []copyengine.Counters
	created    map[string][]db.Mapping
	retries    []retryCall
	tunes      []copyengine.Tune
	onProgress func(c copyengine.Counters) error // called outside the lock
	onTuned    func(t copyengine.Tune)           // called outside the lock
}

type castCall struct {
	table, column, from, to string
	n                       int64
}

type retryCall struct {
	table   string
	attempt int
	wait    time.Duration
	err     error
}

func newSink() *memSink {
	return &memSink{rejects: map[string]copyengine.Rejected{}, created: map[string][]db.Mapping{}}
}

// Tuning makes the copy wait 5ms before its first retry, for these tests.
func (s *memSink) Tuning() copyengine.Tuning {
	return copyengine.Tuning{RetryWait: 5 * time.Millisecond}
}

func rejectKey(table string, key map[string]any) string {
	b, _ := json.Marshal(key) // map keys marshal sorted
	return table + "\x00" + string(b)
}

func (s *memSink) Rejects(_ context.Context, table string, rows []copyengine.Rejected) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rows {
		s.rejects[rejectKey(table, r.Key)] = r
		s.deliveries++
	}
	return nil
}

func (s *memSink) Cast(table, column, from, to string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.casts = append(s.casts, castCall{table, column, from, to, n})
}

func (s *memSink) Progress(_ context.Context, c copyengine.Counters) error {
	s.mu.Lock()
	s.progress = append(s.progress, c)
	hook := s.onProgress
	s.mu.Unlock()
	if hook != nil {
		return hook(c)
	}
	return nil
}

func (s *memSink) Created(table string, maps []db.Mapping) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.created[table] = maps
}

func (s *memSink) Retry(table string, attempt int, wait time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retries = append(s.retries, retryCall{table, attempt, wait, err})
}

// rejectList returns the stored rejects of a table.
func (s *memSink) rejectList(table string) []copyengine.Rejected {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []copyengine.Rejected
	for k, r := range s.rejects {
		if len(k) > len(table) && k[:len(table)+1] == table+"\x00" {
			out = append(out, r)
		}
	}
	return out
}

func (s *memSink) retryCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.retries)
}

// copyStep is a copy step over the given tables.
func copyStep(batch int, tables ...string) runbooks.Step {
	return runbooks.Step{ID: "copy", Kind: runbooks.KindCopy, Tables: tables, Batch: batch, Parallel: 1}
}

// copyTable copies one table and fails the test on an error.
func copyTable(t *testing.T, src, dst db.DB, name string, step runbooks.Step, sink *memSink) copyengine.Counters {
	t.Helper()
	c, err := copyengine.Table(testCtx(t), src, dst, name, step, "test/"+step.ID, sink)
	if err != nil {
		t.Fatalf("copy %s (%s → %s): %v", name, src.Driver(), dst.Driver(), err)
	}
	return c
}

// checkCopied asserts the end state of a finished copy of one table:
// read = written + rejected, the source holds read rows, the target holds
// written rows, the sink holds rejected rows, and verify finds the
// target's values equal to the source's (with rejected rows missing).
func checkCopied(t *testing.T, src, dst db.DB, name string, step runbooks.Step, c copyengine.Counters, sink *memSink) {
	t.Helper()
	if !c.Done {
		t.Errorf("%s: the last counters are not marked done: %+v", name, c)
	}
	if c.Read != c.Written+c.Rejected {
		t.Errorf("%s: read %d != written %d + rejected %d", name, c.Read, c.Written, c.Rejected)
	}
	if n := count(t, src, name); n != c.Read {
		t.Errorf("%s: the source holds %d rows, the copy read %d", name, n, c.Read)
	}
	if n := count(t, dst, name); n != c.Written {
		t.Errorf("%s: the target holds %d rows, the copy wrote %d", name, n, c.Written)
	}
	if n := len(sink.rejectList(name)); int64(n) != c.Rejected {
		t.Errorf("%s: the sink holds %d rejects, the copy counted %d", name, n, c.Rejected)
	}
	check, err := verify.Table(testCtx(t), src, dst, name, step)
	if err != nil {
		t.Fatalf("verify %s: %v", name, err)
	}
	if check.Mismatches != 0 || check.SourceChecksum != check.TargetChecksum ||
		check.TargetRows != c.Written || check.Rejected != c.Rejected {
		t.Errorf("verify %s (%s → %s): %+v; copy counters %+v", name, src.Driver(), dst.Driver(), check, c)
	}
}

// keyOf renders a key value as the text tests compare keys by.
func keyOf(v any) string { return fmt.Sprint(v) }
