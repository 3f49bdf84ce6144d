//go:build linux

package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// smallDisk mounts a tmpfs of size bytes for the test, or skips where
// that cannot be done (not root, not Linux).
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root on Linux): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file that leaves about free bytes on dir's filesystem.
func fill(t *testing.T, dir string, free int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	avail := int64(st.Bavail) * int64(st.Bsize)
	path := filepath.Join(dir, "filler")
	if err := os.WriteFile(path, make([]byte, max(0, avail-free)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFailedOnFullDiskResumes: the journal's disk fills up in the middle of
// a copy whose rejected rows are large, the run ends failed; once space is
// freed, the decision-maker resumes it with a retry of the failed step and
// the copy goes on from its checkpoints to the end, every row counted once.
func TestFailedOnFullDiskResumes(t *testing.T) {
	disk := smallDisk(t, 16<<20)
	data := t.TempDir()
	for _, f := range []string{"a.db", "b.db"} {
		if err := os.WriteFile(filepath.Join(data, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := openSQLite(t, filepath.Join(data, "a.db"))
	dst := openSQLite(t, filepath.Join(data, "b.db"))
	mustExec(t, src, "CREATE TABLE big (id INTEGER PRIMARY KEY, n TEXT, pad TEXT)")
	mustExec(t, dst, "CREATE TABLE big (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, pad TEXT)")
	// Every other row cannot fit (n is not an integer) and carries 4 KB.
	mustExec(t, src, `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM g WHERE i < 2000)
		INSERT INTO big SELECT i, CASE WHEN i % 2 = 0 THEN 'N/A' ELSE i END, hex(randomblob(2048)) FROM g`)

	text := fmt.Sprintf(`version: 1
name: Full disk
migration_id: MIG-FULL
decision_maker: alice
connections:
  source: { driver: sqlite, path: %s }
  target: { driver: sqlite, path: %s }
steps:
  - { id: ready, kind: gate, question: "copy now?" }
  - { id: copy, kind: copy, tables: [big], batch: 100 }
  - { id: check, kind: verify, tables: [big] }
`, filepath.Join(data, "a.db"), filepath.Join(data, "b.db"))
	rbPath := filepath.Join(disk, "rb.yaml")
	if err := os.WriteFile(rbPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(rbPath)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(rb.Text)
	jpath := filepath.Join(disk, "run.journal")
	store, err := journal.Create(jpath, journal.RunStartedPayload{
		RunbookText: string(rb.Text), RunbookSHA256: hex.EncodeToString(sum[:]), RunbookPath: rb.Path,
		ToolVersion: "test", Operator: "alice", Mode: journal.ModeLive,
	}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	c := New(Options{Runbook: rb, Journal: store, State: journal.Fold([]journal.Event{store.First()}),
		Operator: "alice", BaseDir: disk, SnapshotDir: filepath.Join(data, "snapshots")})
	go func() {
		for range c.Updates() {
		}
	}()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var filler string
	go answerer(ctx, c, func(p journal.Pending) Command {
		filler = fill(t, disk, 600<<10) // the disk fills up during the run, after the pre-flight
		return Command{Kind: CmdDecide, Actor: "alice", StepID: p.StepID, Choice: journal.ChoiceGo}
	})
	outcome, err := c.Run(ctx)
	cancel()
	store.Close()
	if outcome != journal.OutcomeFailed || err == nil || !strings.Contains(err.Error(), "full") {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	t.Logf("on a full disk: %v", err)

	events, err := journal.ReadAll(jpath)
	if err != nil {
		t.Fatal(err)
	}
	state := journal.Fold(events)
	if state.Outcome != journal.OutcomeFailed || FailedStep(state) != "copy" {
		t.Fatalf("the journal says %q, failed step %q", state.Outcome, FailedStep(state))
	}
	if err := os.Remove(filler); err != nil { // space is freed
		t.Fatal(err)
	}

	// Without the decision-maker's choice the failed run stays ended.
	store, err = journal.OpenWriter(jpath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	again := func(opts Options) (string, error, *Conductor) {
		opts.Runbook, opts.Journal, opts.BaseDir, opts.SnapshotDir = rb, store, disk, filepath.Join(data, "snapshots")
		c := New(opts)
		go func() {
			for range c.Updates() {
			}
		}()
		outcome, err := c.Run(t.Context())
		return outcome, err, c
	}
	if _, err, _ := again(Options{State: state.Clone(), Operator: "alice"}); err == nil || !strings.Contains(err.Error(), "--retry-failed") {
		t.Fatalf("a failed run was resumed unasked: %v", err)
	}
	if _, err, _ := again(Options{State: state.Clone(), Operator: "bob", RetryFailed: true}); err == nil || !strings.Contains(err.Error(), "only alice") {
		t.Fatalf("someone else than the decision-maker retried the run: %v", err)
	}
	outcome, err, c = again(Options{State: state.Clone(), Operator: "alice", RetryFailed: true, AutoDecide: journal.ChoiceContinue})
	if outcome != journal.OutcomeFinished || err != nil {
		t.Fatalf("resumed: outcome %q, err %v", outcome, err)
	}
	s := c.State()
	if len(s.Tables) != 1 || s.Tables[0].Read != 2000 || s.Tables[0].Written != 1000 || s.Tables[0].Rejected != 1000 {
		t.Errorf("tables: %+v", s.Tables)
	}
	if n, err := dst.Count(t.Context(), "big"); err != nil || n != 1000 {
		t.Errorf("the target holds %d rows (err %v), want 1000", n, err)
	}
	rejects, err := journal.ReadRejects(jpath)
	if err != nil || len(rejects) != 1000 {
		t.Errorf("%d rejects in the journal (err %v), want 1000", len(rejects), err)
	}
	events, err = journal.ReadAll(jpath)
	if err != nil {
		t.Fatal(err)
	}
	reopened := 0
	for _, e := range events {
		if e.Type != journal.RunResumed {
			continue
		}
		if p, err := journal.Decode(e); err == nil && p.(journal.RunResumedPayload).Reopened &&
			p.(journal.RunResumedPayload).RetryStep == "copy" && e.Actor == "alice" {
			reopened++
		}
	}
	if reopened != 1 {
		t.Errorf("%d reopening run_resumed events by alice, want 1", reopened)
	}
}

// TestPreflightChecksDiskSpace: a journal and a snapshot directory on a 4 MB
// disk cannot hold a copy and a snapshot of an 8 MB source: the run is
// refused before its first step, saying how much it may need.
func TestPreflightChecksDiskSpace(t *testing.T) {
	disk := smallDisk(t, 4<<20)
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "a.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	src := openSQLite(t, filepath.Join(data, "a.db"))
	mustExec(t, src, "CREATE TABLE big (id INTEGER PRIMARY KEY, pad TEXT)")
	mustExec(t, src, `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM g WHERE i < 2000)
		INSERT INTO big SELECT i, hex(randomblob(2048)) FROM g`)
	if err := os.WriteFile(filepath.Join(data, "b.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rbPath := filepath.Join(disk, "rb.yaml")
	if err := os.WriteFile(rbPath, fmt.Appendf(nil, `version: 1
name: Space
migration_id: MIG-SPACE
decision_maker: alice
connections:
  source: { driver: sqlite, path: %s }
  target: { driver: sqlite, path: %s }
steps:
  - { id: hello, kind: shell, run: "true" }
  - { id: snap, kind: snapshot, of: source }
  - { id: copy, kind: copy, tables: [big], create: true }
`, filepath.Join(data, "a.db"), filepath.Join(data, "b.db")), 0o600); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(rbPath)
	if err != nil {
		t.Fatal(err)
	}
	r := startRun(t, rb, disk, "alice", journal.ChoiceContinue)
	outcome, err := r.c.Run(t.Context())
	if outcome != journal.OutcomeFailed || err == nil {
		t.Fatalf("outcome %q, err %v", outcome, err)
	}
	for _, want := range []string{"pre-flight", "free", "journal", "snapshots"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if st := stepStatus(r.c.State(), "hello"); st != journal.StatusPending {
		t.Errorf("a step ran before the pre-flight passed: %s", st)
	}
	t.Logf("refused: %v", err)
}
