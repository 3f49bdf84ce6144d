package copy_test

// Rows the target refuses by a rule of its own — a foreign key, a unique
// key, a check constraint, a trigger's error — are rejected with the
// reason target_refused and the rule named, and the rest of their batch is
// written: on every target engine, with exact counts, and a copy stopped
// while it sets refused rows aside resumes without duplicates or gaps.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tightrope/tightrope/engine/convert"
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/verify"
	"github.com/tightrope/tightrope/journal"
)

// refusedCase is a source table of n rows and the target rules it meets.
type refusedCase struct {
	n       int
	orphans map[int64]bool // parent_id 999, which the target's parent table lacks
	dupes   map[int64]bool // code equal to row 1's code (unique key)
	negs    map[int64]bool // qty -1 (check qty >= 0)
	booms   map[int64]bool // code 'boom' (a trigger raises an error)
}

// wantRule is the rule name each kind of refusal must name, per target.
func (rc refusedCase) wantRule(id int64, target string) string {
	switch {
	case rc.orphans[id] && target == db.SQLite:
		return "FOREIGN KEY" // SQLite names no foreign key
	case rc.orphans[id]:
		return "child_parent_fk"
	case rc.dupes[id] && target == db.SQLite:
		return "UNIQUE" // SQLite names the columns, not the constraint
	case rc.dupes[id]:
		return "child_code_uq"
	case rc.negs[id]:
		return "child_qty_ck"
	case rc.booms[id]:
		return "no boom" // the trigger's own message
	}
	return ""
}

func (rc refusedCase) refused(id int64, target string) bool {
	return rc.orphans[id] || rc.dupes[id] || rc.negs[id] || rc.booms[id]
}

// setupRefused creates the source (SQLite, no rules) and the target with
// its rules, and returns the table name.
func setupRefused(t *testing.T, src, dst db.DB, rc refusedCase) string {
	t.Helper()
	name := "child"
	mustExec(t, src, `CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER, qty INTEGER, code TEXT)`)
	var rows [][]any
	for i := int64(1); i <= int64(rc.n); i++ {
		parent, qty, code := any(i%5+1), any(i), any(fmt.Sprintf("c%d", i))
		switch {
		case rc.orphans[i]:
			parent = int64(999)
		case rc.dupes[i]:
			code = "c1"
		case rc.negs[i]:
			qty = int64(-1)
		case rc.booms[i]:
			code = "boom"
		}
		rows = append(rows, []any{i, parent, qty, code})
	}
	insertRows(t, src, name, []string{"id", "parent_id", "qty", "code"}, rows)

	fk := ", CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id)"
	switch dst.Driver() {
	case db.Postgres:
		mustExec(t, dst, `CREATE TABLE parent (id BIGINT PRIMARY KEY)`,
			`INSERT INTO parent SELECT generate_series(1, 5)`,
			`CREATE TABLE child (id BIGINT PRIMARY KEY, parent_id BIGINT, qty BIGINT, code TEXT`+fk+
				`, CONSTRAINT child_code_uq UNIQUE (code), CONSTRAINT child_qty_ck CHECK (qty >= 0))`,
			`CREATE FUNCTION child_no_boom() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.code = 'boom' THEN RAISE EXCEPTION 'no boom'; END IF; RETURN NEW; END $$`,
			`CREATE TRIGGER child_boom BEFORE INSERT ON child FOR EACH ROW EXECUTE FUNCTION child_no_boom()`)
	case db.MySQL:
		mustExec(t, dst, `CREATE TABLE parent (id BIGINT PRIMARY KEY) ENGINE=InnoDB`,
			`INSERT INTO parent VALUES (1), (2), (3), (4), (5)`,
			`CREATE TABLE child (id BIGINT PRIMARY KEY, parent_id BIGINT, qty BIGINT, code VARCHAR(50)`+fk+
				`, CONSTRAINT child_code_uq UNIQUE (code), CONSTRAINT child_qty_ck CHECK (qty >= 0)) ENGINE=InnoDB`,
			`CREATE TRIGGER child_boom BEFORE INSERT ON child FOR EACH ROW
			BEGIN IF NEW.code = 'boom' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no boom'; END IF; END`)
	default:
		mustExec(t, dst, `CREATE TABLE parent (id INTEGER PRIMARY KEY)`,
			`INSERT INTO parent VALUES (1), (2), (3), (4), (5)`,
			`CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER, qty INTEGER, code TEXT`+fk+
				`, CONSTRAINT child_code_uq UNIQUE (code), CONSTRAINT child_qty_ck CHECK (qty >= 0))`,
			`CREATE TRIGGER child_boom BEFORE INSERT ON child WHEN NEW.code = 'boom' BEGIN SELECT RAISE(ABORT, 'no boom'); END`)
	}
	return name
}

// checkRefused asserts the end state: every refused row rejected with
// target_refused and its rule named, every other row written, counts exact.
func checkRefused(t *testing.T, src, dst db.DB, name string, rc refusedCase, c copyengine.Counters, sink *memSink) {
	t.Helper()
	if !c.Done || c.Read != c.Written+c.Rejected {
		t.Errorf("%s: counters %+v: not done, or read != written + rejected", dst.Driver(), c)
	}
	if n := count(t, dst, name); n != c.Written {
		t.Errorf("%s: the target holds %d rows, the copy wrote %d", dst.Driver(), n, c.Written)
	}
	if n := len(sink.rejectList(name)); int64(n) != c.Rejected {
		t.Errorf("%s: the sink holds %d rejects, the copy counted %d", dst.Driver(), n, c.Rejected)
	}
	// Verify on its own knows only the rejects of conversion: the refused
	// rows are missing in the target, and nothing else differs.
	check, err := verify.Table(testCtx(t), src, dst, name, copyStep(100, name))
	if err != nil {
		t.Fatal(err)
	}
	if check.Mismatches != c.Rejected || check.TargetRows != c.Written {
		t.Errorf("%s: verify %+v, want %d rows missing and nothing else", dst.Driver(), check, c.Rejected)
	}
	for _, k := range check.MismatchKeys {
		if !strings.HasSuffix(k, "(missing in target)") {
			t.Errorf("%s: verify: %s", dst.Driver(), k)
		}
	}
	// Told the keys the copy rejected, as the journal stores them, verify
	// expects those rows missing: nothing differs.
	known := map[string]struct{}{}
	for _, r := range sink.rejectList(name) {
		k, err := journal.CanonicalKey(r.Key)
		if err != nil {
			t.Fatal(err)
		}
		known[k] = struct{}{}
	}
	check, err = verify.TableExcluding(testCtx(t), src, dst, name, copyStep(100, name), verify.Sizes{}, known)
	if err != nil {
		t.Fatal(err)
	}
	if check.Mismatches != 0 || check.Rejected != c.Rejected || check.SourceRows != c.Read {
		t.Errorf("%s: verify excluding the rejects: %+v, want no mismatch and %d rejected", dst.Driver(), check, c.Rejected)
	}
	target := dst.Driver()
	want := 0
	for id := int64(1); id <= int64(rc.n); id++ {
		if rc.refused(id, target) {
			want++
		}
	}
	if c.Rejected != int64(want) || c.Written != int64(rc.n-want) || c.Read != int64(rc.n) {
		t.Errorf("%s: counters %+v, want read %d written %d rejected %d", target, c, rc.n, rc.n-want, want)
	}
	for _, r := range sink.rejectList(name) {
		id, _ := r.Key["id"].(int64)
		if !rc.refused(id, target) {
			t.Errorf("%s: row %d rejected but should have been written: %s %s", target, id, r.Reason, r.Detail)
			continue
		}
		if r.Reason != convert.ReasonTargetRefused {
			t.Errorf("%s: row %d rejected as %q, want %q", target, id, r.Reason, convert.ReasonTargetRefused)
		}
		if rule := rc.wantRule(id, target); !strings.Contains(r.Detail, rule) {
			t.Errorf("%s: row %d: detail %q does not name %q", target, id, r.Detail, rule)
		}
		if r.Row["code"] == nil || len(r.Row) != 4 {
			t.Errorf("%s: row %d: the reject does not hold the whole row: %v", target, id, r.Row)
		}
	}
	var got int64
	if err := dst.SQL().QueryRow("SELECT count(*) FROM child WHERE parent_id = 999 OR qty < 0 OR code = 'boom'").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != 0 {
		t.Errorf("%s: %d refused rows in the target, want none", target, got)
	}
}

func ids(list ...int64) map[int64]bool {
	m := map[int64]bool{}
	for _, id := range list {
		m[id] = true
	}
	return m
}

// TestTargetRefusedRows copies 1000 rows in batches of 100 into a target
// whose foreign key, unique key, check constraint and trigger refuse some.
func TestTargetRefusedRows(t *testing.T) {
	rc := refusedCase{n: 1000, orphans: ids(5, 6, 7, 250, 999), dupes: ids(17, 518),
		negs: ids(100, 101, 600), booms: ids(333, 1000)}
	for _, target := range drivers {
		t.Run(target, func(t *testing.T) {
			src, dst := newDB(t, db.SQLite), newDB(t, target)
			name := setupRefused(t, src, dst, rc)
			sink := newSink()
			c := copyTable(t, src, dst, name, copyStep(100, name), sink)
			checkRefused(t, src, dst, name, rc, c, sink)
		})
	}
}

// stopSink stops the copy the first time rows refused by the target reach
// it, after storing them: the batch they belong to is not committed yet.
type stopSink struct {
	*memSink
	once   sync.Once
	cancel context.CancelFunc
}

func (s *stopSink) Rejects(ctx context.Context, table string, rows []copyengine.Rejected) error {
	err := s.memSink.Rejects(ctx, table, rows)
	stopped := false
	if rows[0].Reason == convert.ReasonTargetRefused {
		s.once.Do(func() { s.cancel(); stopped = true })
	}
	if stopped {
		return context.Canceled
	}
	return err
}

// TestTargetRefusedResume stops a copy while it sets refused rows aside,
// then resumes it: no duplicates, no gaps, every refused row rejected once.
func TestTargetRefusedResume(t *testing.T) {
	rc := refusedCase{n: 500, orphans: ids(150, 151), dupes: ids(160), negs: ids(420), booms: ids(421)}
	for _, target := range []string{db.Postgres, db.MySQL, db.SQLite} {
		t.Run(target, func(t *testing.T) {
			src, dst := newDB(t, db.SQLite), newDB(t, target)
			name := setupRefused(t, src, dst, rc)
			step := copyStep(100, name)
			ctx, cancel := context.WithCancel(testCtx(t))
			defer cancel()
			sink := newSink()
			_, err := copyengine.Table(ctx, src, dst, name, step, "test/"+step.ID, &stopSink{memSink: sink, cancel: cancel})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("the stopped copy returned %v, want context.Canceled", err)
			}
			if n := count(t, dst, name); n != 100 {
				t.Fatalf("after the stop the target holds %d rows, want the first batch's 100", n)
			}
			c := copyTable(t, src, dst, name, step, sink)
			if !c.Resumed {
				t.Errorf("the second copy did not resume: %+v", c)
			}
			checkRefused(t, src, dst, name, rc, c, sink)
			var dupes int64
			if err := dst.SQL().QueryRow("SELECT count(*) - count(DISTINCT id) FROM child").Scan(&dupes); err != nil || dupes != 0 {
				t.Errorf("duplicates in the target: %d (%v)", dupes, err)
			}
		})
	}
}

// cutSink arms a cut of the target's connections at the COMMIT of the
// transaction that sets refused rows aside: in the first such batch after
// the server committed (the batch is in, with its rejects counted), in the
// second before the server sees it (the batch must be set aside again).
type cutSink struct {
	*memSink
	p     *proxy
	armed int
}

func (s *cutSink) Rejects(ctx context.Context, table string, rows []copyengine.Rejected) error {
	if rows[0].Reason == convert.ReasonTargetRefused {
		s.armed++
		switch s.armed {
		case 1:
			s.p.cutAtCommit(afterCommitSent)
		case 2:
			s.p.cutAtCommit(beforeCommit)
		}
	}
	return s.memSink.Rejects(ctx, table, rows)
}

// TestTargetRefusedLostCommit loses the COMMIT of the transaction that
// sets refused rows aside, once after the server committed and once
// before: the counts stay exact and every refused row is rejected once.
func TestTargetRefusedLostCommit(t *testing.T) {
	rc := refusedCase{n: 500, orphans: ids(150, 151), dupes: ids(160), negs: ids(420), booms: ids(421)}
	for _, target := range []string{db.Postgres, db.MySQL} {
		t.Run(target, func(t *testing.T) {
			src, dst := newDB(t, db.SQLite), newDB(t, target)
			name := setupRefused(t, src, dst, rc)
			p := startProxy(t, dst.addr)
			sink := newSink()
			step := copyStep(100, name)
			c, err := copyengine.Table(testCtx(t), src, dst.reopenAt(t, p.addr()), name, step, "test/"+step.ID, &cutSink{memSink: sink, p: p})
			if err != nil {
				t.Fatal(err)
			}
			checkRefused(t, src, dst, name, rc, c, sink)
			if p.cutCount() != 2 || sink.retryCount() < 2 {
				t.Errorf("%d cuts at COMMIT of 2 planned, %d retries reported", p.cutCount(), sink.retryCount())
			}
		})
	}
}
