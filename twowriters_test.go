package main

// One writer per journal, whatever people do: a run is SIGKILLed mid-copy
// into a target table without a primary key (so a second writer would
// show as duplicates), then two resumes start at the same instant, or a
// second run is pointed at a live run's journal, or a watcher follows the
// dead run. Exactly one process writes; the other is refused naming the
// holder; every source row ends in the target or the rejects exactly once,
// with one run_finished and a chain that verifies.

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// twoWriters is a SQLite copy, slow enough (batches of 100, each committed
// with its checkpoint) to be killed and raced mid-copy.
type twoWriters struct {
	kc       killCase
	dir      string
	runbook  string
	journal  string
	src, dst *sql.DB
}

// holdStep is a first step that keeps the run alive, before its copy,
// until the test creates the file "go" beside the runbook.
const holdStep = `  - { id: hold, kind: shell, run: "while [ ! -e go ]; do sleep 0.02; done" }
`

func newTwoWriters(t *testing.T, rows int, extraSteps ...string) *twoWriters {
	t.Helper()
	dir := t.TempDir()
	w := &twoWriters{kc: killCase{name: "two_writers", tables: []string{"items"}, rows: rows, parallel: 1}, dir: dir,
		runbook: filepath.Join(dir, "two.yaml"), journal: filepath.Join(dir, "two.journal")}
	keepJournalOnFailure(t, w.journal)
	w.src = openSQLite(t, filepath.Join(dir, "src.db"))
	w.dst = openSQLite(t, filepath.Join(dir, "dst.db"))
	mustExec(t, w.src, "CREATE TABLE items (id INTEGER PRIMARY KEY, qty TEXT, name TEXT)")
	tx, err := w.src.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		qty := strconv.Itoa(i % 1000)
		if i%killRejectEvery == 7 { // rejected: the target wants an integer
			qty = "N/A"
		}
		if _, err := tx.Exec("INSERT INTO items VALUES (?, ?, ?)", killKey(i), qty, fmt.Sprintf("item %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	mustExec(t, w.dst, "CREATE TABLE items (id INTEGER, qty INTEGER, name TEXT)") // no primary key: duplicates would stay
	text := `version: 1
name: Two writers
migration_id: MIG-TWO-WRITERS
decision_maker: tester
connections:
  source: { driver: sqlite, path: src.db }
  target: { driver: sqlite, path: dst.db }
triggers: { reject_rate: 5% }
steps:
` + strings.Join(extraSteps, "") + `  - { id: copy, kind: copy, tables: [items], batch: 100 }
  - { id: check, kind: verify, tables: [items] }
`
	if err := os.WriteFile(w.runbook, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return w
}

func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func mustExec(t *testing.T, d *sql.DB, stmt string) {
	t.Helper()
	if _, err := d.Exec(stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

func (w *twoWriters) runArgs() []string {
	return []string{"run", w.runbook, "--plain", "--auto-decide", "continue", "--as", "tester", "--journal", w.journal}
}

func (w *twoWriters) resumeArgs() []string {
	return []string{"resume", w.journal, "--plain", "--auto-decide", "continue", "--as", "tester"}
}

// killMidCopy runs the runbook and SIGKILLs it once a quarter of the rows
// are in the target.
func (w *twoWriters) killMidCopy(t *testing.T) {
	t.Helper()
	quarter := func(out string) bool {
		return strings.Contains(out, "started (copy)") && targetRows(t, w.dst, w.kc) >= w.kc.rows/4
	}
	out, code, killed := runAndKill(t, nil, w.runArgs(), quarter, 0)
	if !killed {
		t.Fatalf("the run ended (exit %d) before it could be killed mid-copy:\n%s", code, out)
	}
	if n := targetRows(t, w.dst, w.kc); n >= w.kc.rows*9/10 {
		t.Fatalf("killed with %d of %d rows copied: not mid-copy", n, w.kc.rows)
	}
}

// check asserts the invariants: every source key once in the target or
// the rejects, one run_started, one run_finished (finished), a chain that
// verifies.
func (w *twoWriters) check(t *testing.T) {
	t.Helper()
	checkEveryRowOnce(t, nil, w.journal, w.src, w.dst, w.kc)
	events, err := journal.ReadAll(w.journal)
	if err != nil {
		t.Fatal(err)
	}
	count := map[journal.Type]int{}
	for _, e := range events {
		count[e.Type]++
	}
	if count[journal.RunStarted] != 1 || count[journal.RunFinished] != 1 {
		t.Errorf("%d run_started and %d run_finished events, want one each", count[journal.RunStarted], count[journal.RunFinished])
	}
	if s := journal.Fold(events); s.Outcome != journal.OutcomeFinished {
		t.Errorf("outcome %q", s.Outcome)
	}
	if out, code := tightrope(t, nil, "journal", "verify", w.journal); code != 0 || !strings.HasPrefix(out, "OK") {
		t.Errorf("journal verify exit %d: %s", code, out)
	}
}

// proc is the binary running in the background, its output in a file.
type proc struct {
	cmd    *exec.Cmd
	out    string
	exited chan struct{}
	code   int // once exited: the exit code, -1 when killed by a signal
}

func startBinary(t *testing.T, args ...string) *proc {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out-*.txt")
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: exec.Command(binary, args...), out: f.Name(), exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.exited)
		defer f.Close()
		_ = p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

func (p *proc) output() string {
	b, _ := os.ReadFile(p.out)
	return string(b)
}

// wait returns the exit code, failing the test if the process runs on
// past within.
func (p *proc) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.code
	case <-time.After(within):
		t.Fatalf("%v still running after %s:\n%s", p.cmd.Args[1:], within, p.output())
	}
	return 0
}

// waitFor waits until the output holds want, failing the test after within
// or if the process exits first without it.
func (p *proc) waitFor(t *testing.T, want string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for !strings.Contains(p.output(), want) {
		select {
		case <-p.exited:
			if !strings.Contains(p.output(), want) {
				t.Fatalf("%v exited %d without saying %q:\n%s", p.cmd.Args[1:], p.code, want, p.output())
			}
		case <-deadline:
			t.Fatalf("%v did not say %q within %s:\n%s", p.cmd.Args[1:], want, within, p.output())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// refusedNaming asserts a refused writer's exit and message: exit 1,
// naming the holder's host and pid.
func refusedNaming(t *testing.T, who string, code int, out string, holder int) {
	t.Helper()
	host, _ := os.Hostname()
	if code != 1 {
		t.Errorf("%s: exit %d, want 1:\n%s", who, code, out)
	}
	for _, want := range []string{"held by another writer", fmt.Sprintf("pid %d on host %s", holder, host), "since "} {
		if !strings.Contains(out, want) {
			t.Errorf("%s: the refusal does not say %q:\n%s", who, want, out)
		}
	}
}

// raceTwoResumes starts two resumes at the same instant and waits for
// both: exactly one must finish the run, the other be refused naming it.
func (w *twoWriters) raceTwoResumes(t *testing.T) {
	t.Helper()
	a, b := startBinary(t, w.resumeArgs()...), startBinary(t, w.resumeArgs()...)
	codes := [2]int{a.wait(t, 60*time.Second), b.wait(t, 60*time.Second)}
	winner, loser := a, b
	if codes[0] != 0 {
		winner, loser = b, a
	}
	if winner.code != 0 {
		t.Fatalf("neither resume finished: exit %d:\n%s\nexit %d:\n%s", a.code, a.output(), b.code, b.output())
	}
	refusedNaming(t, "the second resume", loser.code, loser.output(), winner.cmd.Process.Pid)
	t.Logf("pid %d won; pid %d was refused: %s", winner.cmd.Process.Pid, loser.cmd.Process.Pid, firstLine(loser.output()))
}

func firstLine(s string) string { s, _, _ = strings.Cut(s, "\n"); return s }

func TestTwoResumesAtOnceOnlyOneWrites(t *testing.T) {
	t.Parallel()
	w := newTwoWriters(t, 20000)
	w.killMidCopy(t)
	t.Logf("killed with %d rows in the target", targetRows(t, w.dst, w.kc))
	w.raceTwoResumes(t)
	w.check(t)
}

func TestRunOnAJournalHeldByALiveRun(t *testing.T) {
	t.Parallel()
	w := newTwoWriters(t, 20000, holdStep)
	first := startBinary(t, w.runArgs()...)
	first.waitFor(t, "hold: step started", 30*time.Second) // it is live until the file "go" exists
	pid := first.cmd.Process.Pid

	start := time.Now()
	out, code := tightrope(t, nil, w.runArgs()...)
	took := time.Since(start)
	refusedNaming(t, "a second run on the same journal", code, out, pid)
	if strings.Contains(out, "already exists") {
		t.Errorf("the second run is refused for the file, not for its live writer:\n%s", out)
	}
	t.Logf("the second run was refused in %s (process start to exit): %s", took.Round(time.Millisecond), firstLine(out))
	out, code = tightrope(t, nil, w.resumeArgs()...)
	refusedNaming(t, "a resume of a live run", code, out, pid)

	if err := os.WriteFile(filepath.Join(w.dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := first.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("the first run exited %d:\n%s", code, first.output())
	}
	w.check(t)
}

// TestWatchSeesTheWriterDieThenTwoResumes: a watcher following the killed
// run says "no heartbeat" within 20s of the kill, then says the heartbeat
// is back when two resumes race, follows the winner to the end and exits
// 0; the resume works while the watcher holds the journal open.
func TestWatchSeesTheWriterDieThenTwoResumes(t *testing.T) {
	t.Parallel()
	w := newTwoWriters(t, 20000)
	w.killMidCopy(t)
	killed := time.Now()
	watcher := startBinary(t, "watch", "--plain", w.journal)
	watcher.waitFor(t, "watching: writer pid", 10*time.Second)
	watcher.waitFor(t, "no heartbeat", 20*time.Second-time.Since(killed))
	t.Logf("the watcher said no heartbeat %s after the kill", time.Since(killed).Round(100*time.Millisecond))
	if !strings.Contains(watcher.output(), "tightrope resume "+w.journal) {
		t.Errorf("the watcher does not say how to resume:\n%s", watcher.output())
	}

	w.raceTwoResumes(t)
	if code := watcher.wait(t, 10*time.Second); code != 0 {
		t.Errorf("watch exited %d:\n%s", code, watcher.output())
	}
	out := watcher.output()
	for _, want := range []string{"heartbeat again, the run is live", "run resumed by tester", "run finished: FINISHED"} {
		if !strings.Contains(out, want) {
			t.Errorf("the watcher did not say %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "no heartbeat"); n != 1 {
		t.Errorf("the watcher said no heartbeat %d times, want once:\n%s", n, out)
	}
	w.check(t)
}
