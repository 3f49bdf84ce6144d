package copy_test

// Dropped connections: a proxy between the copy and the target (or the
// source) resets every connection several times while the copy runs, at
// chosen byte offsets so the cuts land inside batches. The copy must
// retry, finish with exact counts, and leave no duplicate and no missing
// row — the target tables have no primary key here, so a batch written
// twice would show. A server that stays unreachable fails the copy
// promptly, and a later copy resumes from the checkpoint.

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
)

const (
	resumeRows    = 3000
	resumeBatch   = 100
	resumeCodeLen = 8 // the target's code is varchar(8): longer codes are rejected
	resumeTable   = "mix"
)

// cut is a planned connection drop: after the batch-th committed batch,
// cut once bytes more bytes have passed (0: cut at once, between batches).
type cut struct {
	batch int
	bytes int64
}

var cutPlan = []cut{{2, 0}, {5, 1}, {9, 300}, {14, 2500}, {19, 6000}, {24, 9000}}

// setHook installs the sink's Progress hook.
func (s *memSink) setHook(f func(c copyengine.Counters) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onProgress = f
}

// armCuts makes the sink arm the planned cuts on the proxy as batches commit.
func armCuts(sink *memSink, p *proxy, plan []cut) {
	var batches atomic.Int64
	sink.setHook(func(c copyengine.Counters) error {
		n := int(batches.Add(1))
		for _, k := range plan {
			switch {
			case k.batch != n:
			case k.bytes == 0:
				p.cutAll()
			default:
				p.cutAfter(k.bytes)
			}
		}
		return nil
	})
}

// resumeFixture is a source with the typed mix and an empty target
// without a primary key.
type resumeFixture struct {
	src, dst *testDB
	want     [][]any // the rows the target must end with, in key order
	rejected int     // rows too long for the target's code column
}

func newResumeFixture(t *testing.T, from, to string) *resumeFixture {
	t.Helper()
	f := &resumeFixture{src: newDB(t, from), dst: newDB(t, to)}
	createMixTable(t, f.src, resumeTable)
	createMixTableAs(t, f.dst, resumeTable, false, resumeCodeLen)
	rows := mixRows(resumeRows)
	insertRows(t, f.src, resumeTable, mixCols, sourceArgs(from, rows))
	for _, r := range sortByIntKey(rows) {
		if s, ok := r[3].(string); ok && utf8.RuneCountInString(s) > resumeCodeLen {
			f.rejected++
			continue
		}
		f.want = append(f.want, r)
	}
	return f
}

// check asserts the end state of the copy, reading both sides directly.
func (f *resumeFixture) check(t *testing.T, c copyengine.Counters, sink *memSink) {
	t.Helper()
	step := copyStep(resumeBatch, resumeTable)
	checkCopied(t, f.src, f.dst, resumeTable, step, c, sink)
	if c.Read != resumeRows || c.Rejected != int64(f.rejected) {
		t.Errorf("read %d rejected %d, want %d and %d", c.Read, c.Rejected, resumeRows, f.rejected)
	}
	checkNoDuplicates(t, f.dst, resumeTable, "id")
	checkValues(t, f.dst, resumeTable, mixCols, f.want)
}

// checkNoDuplicates asserts that no key value occurs twice in a table.
func checkNoDuplicates(t *testing.T, d db.DB, table, key string) {
	t.Helper()
	q := fmt.Sprintf("SELECT %s, count(*) FROM %s GROUP BY %s HAVING count(*) > 1", d.Quote(key), d.Quote(table), d.Quote(key))
	rows, err := d.SQL().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var dups []string
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		dups = append(dups, fmt.Sprintf("%s×%d", k, n))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(dups) > 0 {
		t.Errorf("%s: %d keys are in the target more than once: %s", table, len(dups), strings.Join(dups[:min(len(dups), 10)], ", "))
	}
}

func TestCopySurvivesDroppedTargetConnections(t *testing.T) {
	for _, pair := range [][2]string{{db.MySQL, db.Postgres}, {db.Postgres, db.MySQL}} {
		t.Run(pair[0]+"_to_"+pair[1], func(t *testing.T) {
			f := newResumeFixture(t, pair[0], pair[1])
			p := startProxy(t, f.dst.addr)
			sink := newSink()
			armCuts(sink, p, cutPlan)
			c := copyTable(t, f.src, f.dst.reopenAt(t, p.addr()), resumeTable, copyStep(resumeBatch, resumeTable), sink)
			f.check(t, c, sink)
			if p.cutCount() < len(cutPlan)-1 || sink.retryCount() == 0 {
				t.Errorf("%d cuts of %d planned, %d retries reported", p.cutCount(), len(cutPlan), sink.retryCount())
			}
			t.Logf("%d cuts, %d retries, %d rejects delivered for %d stored", p.cutCount(), sink.retryCount(), sink.deliveries, len(sink.rejects))
		})
	}
}

func TestCopySurvivesDroppedSourceConnections(t *testing.T) {
	for _, pair := range [][2]string{{db.MySQL, db.Postgres}, {db.Postgres, db.MySQL}} {
		t.Run(pair[0]+"_to_"+pair[1], func(t *testing.T) {
			f := newResumeFixture(t, pair[0], pair[1])
			p := startProxy(t, f.src.addr)
			sink := newSink()
			armCuts(sink, p, cutPlan)
			c := copyTable(t, f.src.reopenAt(t, p.addr()), f.dst, resumeTable, copyStep(resumeBatch, resumeTable), sink)
			f.check(t, c, sink)
			if p.cutCount() < len(cutPlan)-1 || sink.retryCount() == 0 {
				t.Errorf("%d cuts of %d planned, %d retries reported", p.cutCount(), len(cutPlan), sink.retryCount())
			}
			t.Logf("%d cuts, %d retries", p.cutCount(), sink.retryCount())
		})
	}
}

// TestCopyGivesUpOnAnUnreachableServer closes the proxy to the target (or
// the source) for good after a few batches: the copy must fail after its
// retries, promptly, with the target holding exactly the rows of its last
// checkpoint; a copy through a new proxy then resumes from there and
// finishes exactly.
func TestCopyGivesUpOnAnUnreachableServer(t *testing.T) {
	cases := []struct {
		name, from, to string
		viaSource      bool
	}{
		{"target_postgres", db.SQLite, db.Postgres, false},
		{"target_mysql", db.SQLite, db.MySQL, false},
		{"source_mysql", db.MySQL, db.SQLite, true},
		{"source_postgres", db.Postgres, db.SQLite, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newResumeFixture(t, tc.from, tc.to)
			far := f.dst
			if tc.viaSource {
				far = f.src
			}
			// through returns the source and the target, one through a proxy.
			through := func(p *proxy) (db.DB, db.DB) {
				if tc.viaSource {
					return far.reopenAt(t, p.addr()), f.dst
				}
				return f.src, far.reopenAt(t, p.addr())
			}
			p := startProxy(t, far.addr)
			sink := newSink()
			var batches atomic.Int64
			sink.setHook(func(copyengine.Counters) error {
				if batches.Add(1) == 3 {
					p.close()
				}
				return nil
			})
			step := copyStep(resumeBatch, resumeTable)
			src, dst := through(p)
			start := time.Now()
			_, err := copyengine.Table(testCtx(t), src, dst, resumeTable, step, "test/copy", sink)
			elapsed := time.Since(start)
			if err == nil {
				t.Fatal("the copy succeeded with a server unreachable")
			}
			if elapsed > 15*time.Second {
				t.Errorf("the copy took %s to give up", elapsed)
			}
			if !strings.Contains(err.Error(), "gave up") || sink.retryCount() < copyengine.DefaultTuning.Retries {
				t.Errorf("error %q after %d retries; want it to give up after %d", err, sink.retryCount(), copyengine.DefaultTuning.Retries)
			}
			t.Logf("gave up after %s and %d retries: %v", elapsed.Round(time.Millisecond), sink.retryCount(), err)

			mark, found, err := f.dst.Progress(testCtx(t), "test/copy", resumeTable)
			if err != nil || !found {
				t.Fatalf("no checkpoint after three batches: %v", err)
			}
			if n := count(t, f.dst, resumeTable); n != mark.Written || mark.Read < 3*resumeBatch {
				t.Errorf("the target holds %d rows, its checkpoint says %d written of %d read", n, mark.Written, mark.Read)
			}
			checkNoDuplicates(t, f.dst, resumeTable, "id")

			sink.setHook(nil)
			src, dst = through(startProxy(t, far.addr))
			c := copyTable(t, src, dst, resumeTable, step, sink)
			if !c.Resumed {
				t.Error("the second copy did not resume from the checkpoint")
			}
			f.check(t, c, sink)
		})
	}
}

// TestCopyLostCommit cuts the target's connections at COMMIT: once before
// the server sees it (the batch is not in and must be written again), once
// after the server committed but before the copy heard so (the batch is in
// and must not be written again; the checkpoint says so).
func TestCopyLostCommit(t *testing.T) {
	for _, to := range []string{db.Postgres, db.MySQL} {
		t.Run(to, func(t *testing.T) {
			f := newResumeFixture(t, db.SQLite, to)
			p := startProxy(t, f.dst.addr)
			sink := newSink()
			var batches atomic.Int64
			sink.setHook(func(copyengine.Counters) error {
				switch batches.Add(1) {
				case 4, 17:
					p.cutAtCommit(afterCommitSent)
				case 9, 22:
					p.cutAtCommit(beforeCommit)
				}
				return nil
			})
			c := copyTable(t, f.src, f.dst.reopenAt(t, p.addr()), resumeTable, copyStep(resumeBatch, resumeTable), sink)
			f.check(t, c, sink)
			if p.cutCount() != 4 || sink.retryCount() < 4 {
				t.Errorf("%d cuts at COMMIT of 4 planned, %d retries reported", p.cutCount(), sink.retryCount())
			}
			for _, chunk := range p.commits {
				if len(chunk) > 40 {
					t.Errorf("a cut at COMMIT was triggered by a message of %d bytes, not a COMMIT: %q", len(chunk), chunk[:40])
				}
			}
		})
	}
}
