package journal

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// testRunbook is runbook text for RunStarted; whether it parses does not
// matter to these tests (State.Runbook may be nil).
const testRunbook = "version: 1\nname: Test\nmigration_id: MIG-TEST\ndecision_maker: alice\nsteps:\n  - { id: go, kind: gate, question: Go? }\n"

// testClock is a deterministic clock: each call is 1.25s and 1ns later
// than the previous one, starting at 2026-03-01 09:00 UTC.
func testClock() func() time.Time {
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var n atomic.Int64
	return func() time.Time {
		i := n.Add(1) - 1
		return base.Add(time.Duration(i) * (1250*time.Millisecond + time.Nanosecond))
	}
}

// newJournal creates a journal in a temporary directory with the test
// clock and closes it when the test ends.
func newJournal(t *testing.T, opts ...Option) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.journal")
	opts = append([]Option{WithClock(testClock())}, opts...)
	s, err := Create(path, RunStartedPayload{
		RunbookText: testRunbook, RunbookPath: "test.yaml", ToolVersion: "test", Operator: "alice", Mode: ModeDrill,
	}, "alice", opts...)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

// appendLogs appends n log events and returns them as Append returned them.
func appendLogs(t *testing.T, s *Store, n int) []Event {
	t.Helper()
	var out []Event
	for i := 0; i < n; i++ {
		ev, err := s.Append(context.Background(), "alice", "copy", Log, LogPayload{Stream: "stdout", Line: "hello world " + string(rune('a'+i%26))})
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		out = append(out, ev)
	}
	return out
}

// rawDB opens the journal as a person with the sqlite3 shell would: read
// and write, no help from the store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", fileDSN(path, "rw"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// tamper runs statements on the raw file after dropping the guard triggers.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db := rawDB(t, path)
	all := append([]string{
		`DROP TRIGGER IF EXISTS events_no_update`, `DROP TRIGGER IF EXISTS events_no_delete`,
		`DROP TRIGGER IF EXISTS rejects_no_update`, `DROP TRIGGER IF EXISTS rejects_no_delete`,
	}, stmts...)
	for _, q := range all {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_ = db.Close()
}

// mustVerify runs Verify and fails the test on an error.
func mustVerify(t *testing.T, path string) VerifyReport {
	t.Helper()
	res, err := Verify(path)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return res
}
