package main

import (
	"bytes"
	"database/sql"
	"errors"
	"github.com/tightrope/tightrope/internal/cdctest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/tightrope/tightrope/journal"
)

// binary is the tightrope binary built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tightrope-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "tightrope")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := cdctest.Main(m) // also stops the change-capture servers tests started
	os.RemoveAll(dir)
	os.Exit(code)
}

// tightrope runs the binary and returns its output and exit code.
func tightrope(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}

var tableLine = regexp.MustCompile(`(?m)^(\w+)\s+read (\d+)\s+written (\d+)\s+rejected (\d+)\s+(\w+)$`)

// tableCounts parses the per-table summary lines of plain output.
func tableCounts(t *testing.T, out string) map[string][3]int {
	t.Helper()
	got := map[string][3]int{}
	for _, m := range tableLine.FindAllStringSubmatch(out, -1) {
		r, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		j, _ := strconv.Atoi(m[4])
		got[m[1]] = [3]int{r, w, j}
		if r != w+j || m[5] != "ok" {
			t.Errorf("%s: read %d != written %d + rejected %d (%s)", m[1], r, w, j, m[5])
		}
	}
	return got
}

var journalLine = regexp.MustCompile(`(?m)^journal: (.+)$`)

func journalPath(t *testing.T, out string) string {
	t.Helper()
	m := journalLine.FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		t.Fatalf("no journal path printed:\n%s", out)
	}
	return m[len(m)-1][1]
}

func TestDemoContinue(t *testing.T) {
	dir := t.TempDir()
	out, code := tightrope(t, nil, "demo", "--plain", "--dir", dir, "--auto-decide", "continue", "--as", "alice")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	counts := tableCounts(t, out)
	want := map[string][3]int{"customers": {1200, 1199, 1}, "products": {400, 373, 27}, "orders": {3000, 2998, 2}}
	for tbl, w := range want {
		if counts[tbl] != w {
			t.Errorf("%s: got %v, want %v", tbl, counts[tbl], w)
		}
	}
	j := journalPath(t, out)

	rejects, code := tightrope(t, nil, "rejects", j)
	if code != 0 {
		t.Fatalf("rejects exit %d: %s", code, rejects)
	}
	for _, want := range []string{`"rating":"N/A"`, "not_integer", "precision_loss", "25.945", "too_long", "null_violation"} {
		if !strings.Contains(strings.ReplaceAll(rejects, `""`, `"`), want) {
			t.Errorf("rejects do not mention %s:\n%s", want, rejects)
		}
	}

	verified, code := tightrope(t, nil, "journal", "verify", j)
	if code != 0 || !strings.HasPrefix(verified, "OK") {
		t.Fatalf("verify exit %d: %s", code, verified)
	}

	replay, code := tightrope(t, nil, "replay", "--plain", j)
	if code != 0 {
		t.Fatalf("replay exit %d: %s", code, replay)
	}
	if got := tableCounts(t, replay); len(got) != 3 || got["products"] != counts["products"] || got["orders"] != counts["orders"] || got["customers"] != counts["customers"] {
		t.Errorf("replay ends with %v, the live run with %v", got, counts)
	}
}

func TestDemoRollback(t *testing.T) {
	dir := t.TempDir()
	out, code := tightrope(t, nil, "demo", "--plain", "--dir", dir, "--auto-decide", "rollback", "--as", "alice")
	if code != 3 {
		t.Fatalf("exit %d, want 3:\n%s", code, out)
	}
	for _, want := range []string{"ROLLBACK started", "restore of", "RTO 5m", "verified", "rollback finished"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	j := journalPath(t, out)
	if verified, code := tightrope(t, nil, "journal", "verify", j); code != 0 {
		t.Fatalf("verify exit %d: %s", code, verified)
	}
}

// TestJournalTamperIsCaught changes one byte of one event's payload behind
// the store's back (as someone with the sqlite3 tool would) and expects
// verify to name that event.
func TestJournalTamperIsCaught(t *testing.T) {
	dir := t.TempDir()
	out, code := tightrope(t, nil, "demo", "--plain", "--dir", dir, "--auto-decide", "continue", "--as", "alice")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	j := journalPath(t, out)
	d, err := sql.Open("sqlite", "file:"+j)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const seq = 7
	for _, stmt := range []string{
		"DROP TRIGGER events_no_update",
		"UPDATE events SET payload_json = substr(payload_json, 1, 5) || CASE substr(payload_json, 6, 1) WHEN 'a' THEN 'b' ELSE 'a' END || substr(payload_json, 7) WHERE seq = " + strconv.Itoa(seq),
	} {
		if _, err := d.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	d.Close()
	verified, code := tightrope(t, nil, "journal", "verify", j)
	if code != 1 {
		t.Fatalf("verify exit %d, want 1: %s", code, verified)
	}
	if !strings.Contains(verified, "seq "+strconv.Itoa(seq)) {
		t.Errorf("verify does not name seq %d: %s", seq, verified)
	}
}

func TestLintReportsEveryError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	text := `version: 1
name: Bad
migration_id: MIG-1
decision_maker: alice
colour: blue
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
steps:
  - { id: a, kind: manual }
  - { id: a, kind: wait, duration: 10 minutes }
`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := tightrope(t, nil, "lint", path)
	if code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", code, out)
	}
	for _, pos := range []string{path + ":5:1:", path + ":11:11:", path + ":11:36:"} {
		if !strings.Contains(out, pos) {
			t.Errorf("lint output lacks %q:\n%s", pos, out)
		}
	}
	good, code := tightrope(t, nil, "lint", "runbooks/examples/demo.yaml")
	if code != 0 {
		t.Errorf("demo.yaml: exit %d\n%s", code, good)
	}
}

// TestLintAndRunRefuseAKindThisBuildCannotRun: a cdc-catchup step into
// SQLite passes the runbook loader but not Check (this build applies
// changes to PostgreSQL and MySQL/MariaDB only): lint exits 2 naming its position, and run
// exits 2 before creating a journal.
func TestLintAndRunRefuseAKindThisBuildCannotRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "runbook.yaml")
	text := `version: 1
name: Switch
migration_id: MIG-SW
decision_maker: alice
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
steps:
  - { id: go, kind: gate, question: Go? }
  - id: cutover
    kind: cdc-catchup
`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	want := path + `:10:5: step "cutover" applies changes to connection "target": cdc: this build cannot apply to sqlite yet`
	out, code := tightrope(t, nil, "lint", path)
	if code != 2 || !strings.Contains(out, want) || !strings.Contains(out, "  10 |   - id: cutover\n     |     ^") {
		t.Fatalf("lint: exit %d, want 2 and %q:\n%s", code, want, out)
	}
	out, code = tightrope(t, nil, "run", "--plain", "--as", "alice", "--auto-decide", "continue", path)
	if code != 2 || !strings.Contains(out, want) {
		t.Fatalf("run: exit %d, want 2 and %q:\n%s", code, want, out)
	}
	if journals, _ := filepath.Glob(filepath.Join(dir, "*.journal*")); len(journals) > 0 {
		t.Errorf("run created %v for a runbook it cannot run", journals)
	}
	// A journal written by a build that applied changes to SQLite does not resume here.
	j := filepath.Join(dir, "old.journal")
	store, err := journal.Create(j, journal.RunStartedPayload{RunbookText: text, RunbookPath: path,
		ToolVersion: "future", Operator: "alice", Mode: journal.ModeLive}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	out, code = tightrope(t, nil, "resume", "--plain", "--as", "alice", j)
	if code != 2 || !strings.Contains(out, want) {
		t.Fatalf("resume: exit %d, want 2 and %q:\n%s", code, want, out)
	}
	if out, code := tightrope(t, nil, "lint", "runbooks/examples/mysql-to-postgres.yaml"); code != 0 {
		t.Errorf("mysql-to-postgres.yaml: exit %d\n%s", code, out)
	}
}
