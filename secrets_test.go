package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/tightrope/tightrope/demo"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// pgDSN returns the PostgreSQL test DSN, or skips (fails under CI=true).
func pgDSN(t *testing.T) string {
	t.Helper()
	return dbtest.ServerDSN(t, dbtest.PostgresEnv, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
}

// TestNoSecretLeaves runs a migration whose target DSN carries a password
// (the server trusts local connections, so any password works) and looks
// for that password in every file the run left and everything it printed.
func TestNoSecretLeaves(t *testing.T) {
	base := pgDSN(t)
	const password = "Tr0ub4dor-and-3-horses"
	schema := fmt.Sprintf("tr_secret_%d", time.Now().UnixNano())
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec("DROP SCHEMA " + schema + " CASCADE")

	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	dir := t.TempDir()
	if _, err := demo.Write(context.Background(), dir, "alice"); err != nil {
		t.Fatal(err)
	}
	runbook := `version: 1
name: Secret-keeping migration
migration_id: MIG-SECRET
decision_maker: alice
objectives: { rto: 5m, rpo: 0s, expected: 10m, window: 1h }
connections:
  source: { driver: sqlite, path: shop.db }
  target: { driver: postgres, dsn_env: SECRET_TARGET_DSN }
triggers: { reject_rate: 50%, step_failed: true }
steps:
  - { id: prep, kind: sql, on: target, run: "SELECT 1" }
  - { id: copy, kind: copy, tables: [customers, products, orders], create: true }
  - { id: fail, kind: sql, on: target, run: "SELECT * FROM no_such_table_here" }
rollback:
  - { id: note, kind: shell, run: "echo rolling back" }
`
	path := filepath.Join(dir, "secret.yaml")
	if err := os.WriteFile(path, []byte(runbook), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"SECRET_TARGET_DSN=" + u.String()}
	journalFile := filepath.Join(dir, "secret.journal")
	out, code := tightrope(t, env, "run", path, "--plain", "--auto-decide", "rollback", "--as", "alice", "--journal", journalFile)
	if code != 3 {
		t.Fatalf("exit %d, want 3 (the failing step rolls back):\n%s", code, out)
	}
	replay, _ := tightrope(t, env, "replay", "--plain", journalFile)
	rejects, _ := tightrope(t, env, "rejects", "--format", "json", journalFile)
	for name, text := range map[string]string{"run output": out, "replay --plain": replay, "rejects": rejects} {
		if strings.Contains(text, password) {
			t.Errorf("the password appears in the %s", name)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	snaps, _ := filepath.Glob(filepath.Join(dir, "snapshots", "*"))
	checked := 0
	for _, f := range append(files, snaps...) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a directory
		}
		checked++
		if strings.Contains(string(b), password) {
			t.Errorf("the password appears in %s", f)
		}
	}
	if checked < 3 {
		t.Errorf("only %d files were checked", checked)
	}
	if testing.Verbose() {
		t.Log(out)
	}
	if !strings.Contains(out, "no_such_table_here") {
		t.Errorf("the failure itself is not shown:\n%s", out)
	}

	if _, err := admin.Exec("DROP TABLE " + schema + ".customers, " + schema + ".products, " + schema + ".orders"); err != nil {
		t.Fatal(err)
	}
	// The console, as a person sees it in a terminal, while the failed
	// step's trigger waits for a decision.
	screen := consoleScreen(t, env, "run", path, "--as", "alice", "--journal", filepath.Join(dir, "console.journal"))
	if !strings.Contains(screen, "no_such_table_here") {
		t.Errorf("the console does not show the failure:\n%s", screen)
	}
	if strings.Contains(screen, password) {
		t.Errorf("the password is on the screen:\n%s", screen)
	}
}

// consoleScreen runs the binary in a tmux terminal of 200x60, waits for a
// decision to be asked for, and returns what the screen shows.
func consoleScreen(t *testing.T, env []string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is needed to look at the console (apt-get install tmux)")
		}
		t.Skip("tmux is not installed")
	}
	session := fmt.Sprintf("tightrope-test-%d", time.Now().UnixNano())
	cmd := append([]string{"env"}, env...)
	cmd = append(cmd, binary)
	cmd = append(cmd, args...)
	quoted := make([]string, len(cmd))
	for i, a := range cmd {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	if out, err := exec.Command("tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "60", strings.Join(quoted, " ")+"; sleep 30").CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	defer exec.Command("tmux", "kill-session", "-t", session).Run()
	var screen string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		out, err := exec.Command("tmux", "capture-pane", "-p", "-t", session).Output()
		if err != nil {
			t.Fatalf("tmux capture-pane: %v", err)
		}
		screen = string(out)
		if strings.Contains(screen, "DECISION REQUIRED") {
			return screen
		}
	}
	t.Fatalf("the console never asked for a decision:\n%s", screen)
	return ""
}
