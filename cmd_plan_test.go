package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/internal/markuptest"
)

// TestRunRequiresApprovals: a runbook with approvals: [alice, bob] refuses
// to run (exit 2, naming who is missing, no journal created) until both
// have approved its text with plan --approve, then runs; editing the
// runbook voids the approvals again.
func TestRunRequiresApprovals(t *testing.T) {
	dir := t.TempDir()
	rb := filepath.Join(dir, "rb.yaml")
	text := `version: 1
name: needs approvals
migration_id: MIG-APPROVALS
decision_maker: alice
approvals: [alice, bob]
steps:
  - { id: hello, kind: shell, run: "echo hello" }
`
	if err := os.WriteFile(rb, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	j := filepath.Join(dir, "run.journal")
	run := func() (string, int) {
		return tightrope(t, nil, "run", rb, "--plain", "--as", "alice", "--auto-decide", "continue", "--journal", j)
	}
	out, code := run()
	if code != 2 || !strings.Contains(out, "missing for this text") || !strings.Contains(out, "alice, bob (tightrope plan") {
		t.Fatalf("without approvals: exit %d:\n%s", code, out)
	}
	if out, code := tightrope(t, nil, "plan", rb, "--approve", "--as", "alice"); code != 0 || !strings.Contains(out, "still missing before run may start: bob") {
		t.Fatalf("approve alice: exit %d:\n%s", code, out)
	}
	out, code = run()
	if code != 2 || !strings.Contains(out, "): bob (tightrope plan") {
		t.Fatalf("with alice only: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(j); !os.IsNotExist(err) {
		t.Fatalf("a refused run left a journal: %v", err)
	}
	if out, code := tightrope(t, nil, "plan", rb, "--approve", "--as", "bob"); code != 0 {
		t.Fatalf("approve bob: exit %d:\n%s", code, out)
	}
	md, code := tightrope(t, nil, "plan", rb)
	if code != 0 || !strings.Contains(md, "approved by alice") || !strings.Contains(md, "approved by bob") || strings.Contains(md, "Missing") {
		t.Fatalf("plan after approvals: exit %d:\n%s", code, md)
	}
	out, code = run()
	if code != 0 || !strings.Contains(out, "approved by alice, bob") || !strings.Contains(out, "hello") {
		t.Fatalf("with both approvals: exit %d:\n%s", code, out)
	}
	if err := os.WriteFile(rb, []byte(strings.Replace(text, "echo hello", "echo changed", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = tightrope(t, nil, "run", rb, "--plain", "--as", "alice", "--auto-decide", "continue", "--journal", j+"2")
	if code != 2 || !strings.Contains(out, "alice, bob (tightrope plan") {
		t.Fatalf("edited runbook ran on old approvals: exit %d:\n%s", code, out)
	}
}

// TestPlanCommandFormats: plan writes Markdown by default and HTML with
// --format html to -o FILE; a bad format is a usage error.
func TestPlanCommandFormats(t *testing.T) {
	out, code := tightrope(t, nil, "plan", "runbooks/examples/mysql-to-postgres.yaml")
	if code != 0 || !strings.Contains(out, "# Migration plan: Shop from MySQL to PostgreSQL") || !strings.Contains(out, "Roll back if more than 1% of any table's rows are rejected") {
		t.Fatalf("md: exit %d:\n%s", code, out)
	}
	file := filepath.Join(t.TempDir(), "plan.html")
	if out, code := tightrope(t, nil, "plan", "runbooks/examples/demo.yaml", "--format", "html", "-o", file); code != 0 {
		t.Fatalf("html: exit %d:\n%s", code, out)
	}
	page, err := os.ReadFile(file)
	if err != nil || !strings.HasPrefix(string(page), "<!DOCTYPE html>") || !strings.Contains(string(page), "</html>") {
		t.Fatalf("html file: %v\n%s", err, page)
	}
	if _, code := tightrope(t, nil, "plan", "runbooks/examples/demo.yaml", "--format", "pdf"); code != 2 {
		t.Errorf("--format pdf: exit %d, want 2", code)
	}
}

// TestPlanShowsDrillHistory: after a drill of the demo rolled back, the
// demo runbook's plan shows the drill, the restore time against the RTO,
// and its HTML is still strictly well-formed.
func TestPlanShowsDrillHistory(t *testing.T) {
	dir := t.TempDir()
	drills := filepath.Join(dir, "drills")
	if out, code := tightrope(t, nil, "drill", "--demo", "--scenario", "na-ratings", "--plain", "--auto-decide", "rollback", "--dir", drills); code != 0 {
		t.Fatalf("drill: exit %d:\n%s", code, out)
	}
	md, code := tightrope(t, nil, "plan", "runbooks/examples/demo.yaml", "--drills", drills)
	if code != 0 || !strings.Contains(md, "| na-ratings |") || !strings.Contains(md, "within the RTO of 5m") {
		t.Fatalf("md: exit %d:\n%s", code, md)
	}
	page, code := tightrope(t, nil, "plan", "runbooks/examples/demo.yaml", "--drills", drills, "--format", "html")
	if code != 0 || !strings.Contains(page, "<td>na-ratings</td>") {
		t.Fatalf("html: exit %d:\n%s", code, page)
	}
	markuptest.WellFormed(t, page)
}

// TestPlanWithCommands: plan --commands embeds the exact commands of the
// dry run (the snapshot and restore programs with their arguments, the
// password redacted) and, like the dry run, changes nothing.
func TestPlanWithCommands(t *testing.T) {
	shopMy, shopPG := exampleDatabases(t)
	const password = "plan-pw-5531"
	shopPG = strings.Replace(shopPG, "postgres://postgres@", "postgres://postgres:"+password+"@", 1)
	dir := t.TempDir()
	text, err := os.ReadFile("runbooks/examples/mysql-to-postgres.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rb := filepath.Join(dir, "m2p.yaml")
	if err := os.WriteFile(rb, text, 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"SHOP_MYSQL_DSN=" + shopMy, "SHOP_PG_DSN=" + shopPG}
	before := worldState(t, shopMy, shopPG, dir)
	out, code := tightrope(t, env, "plan", rb, "--commands", "--format", "html")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if after := worldState(t, shopMy, shopPG, dir); after != before {
		t.Errorf("plan --commands changed something:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	for _, want := range []string{"Exact commands (tightrope run --dry-run)", "pg_dump --format=custom", "pg_restore --clean", "PGPASSWORD=[redacted]", "RENAME TABLE"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q", want)
		}
	}
	if strings.Contains(out, password) {
		t.Error("plan shows the password")
	}
	markuptest.WellFormed(t, out)
}
