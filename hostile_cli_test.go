package main

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// hostileValue carries an escape sequence, an OSC 52 clipboard write, a
// bell, a carriage return and a C1 CSI (which JSON does not escape).
const hostileValue = "ok\x1b[2J\x1b]52;c;cm0gLXJm\a\rEVIL\u009b2J"

// rawControls are what must never reach a terminal raw.
var rawControls = []string{"\x1b", "\a", "\r", "\u009b"}

// hostileRejectsJournal runs a copy whose target refuses a row holding
// hostileValue, so the journal's rejects hold it, and returns the
// journal's path.
func hostileRejectsJournal(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	exec := func(path string, stmts ...string) {
		t.Helper()
		d, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		for _, s := range stmts {
			if _, err := d.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	d, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec("CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, code TEXT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec("INSERT INTO items VALUES (1, 1, 'fine'), (2, -1, ?)", hostileValue); err != nil {
		t.Fatal(err)
	}
	exec(filepath.Join(dir, "b.db"), "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER CHECK (qty >= 0), code TEXT)")
	runbook := writeRunbook(t, dir, `version: 1
name: Hostile rejects
migration_id: MIG-HREJ
decision_maker: alice
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
steps:
  - { id: copy, kind: copy, tables: [items] }
`)
	j := filepath.Join(dir, "h.journal")
	if out, code := tightrope(t, nil, "run", "--plain", "--as", "alice", "--auto-decide", "continue", "--journal", j, runbook); code != 0 {
		t.Fatalf("run: exit %d:\n%s", code, out)
	}
	return j
}

// TestJournalVerifyEscapesTheFile: `journal verify` of a journal whose
// run_started declares a hostile chain kind, under a hostile file name,
// and of a missing hostile path, prints the file's text escaped.
func TestJournalVerifyEscapesTheFile(t *testing.T) {
	j := hostileRejectsJournal(t)
	hostile := filepath.Join(filepath.Dir(j), "j\x1b]0;owned\a\r.journal")
	data, err := os.ReadFile(j)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hostile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := sql.Open("sqlite", "file:"+hostile)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"DROP TRIGGER events_no_update",
		fmt.Sprintf("UPDATE events SET payload_json = json_set(payload_json, '$.chain', %s) WHERE seq = 1", sqlText(hostileValue))} {
		if _, err := d.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	d.Close()
	out, code := tightrope(t, nil, "journal", "verify", hostile)
	if code != 1 || !strings.Contains(out, `unknown chain kind ok\x1b[2J\x1b]52;c;cm0gLXJm\x07\rEVIL\u009b2J`) {
		t.Fatalf("journal verify: exit %d, the hostile chain kind is not shown escaped:\n%q", code, out)
	}
	missing, code := tightrope(t, nil, "journal", "verify", hostile+".gone")
	if code == 0 || !strings.Contains(missing, `\x1b]0;owned\x07\r.journal.gone`) {
		t.Fatalf("journal verify of a missing file: exit %d:\n%q", code, missing)
	}
	for name, text := range map[string]string{"verify": out, "missing": missing} {
		for _, bad := range rawControls {
			if strings.Contains(text, bad) {
				t.Errorf("journal verify (%s) prints %q raw:\n%q", name, bad, text)
			}
		}
	}
}

// sqlText is s as a SQLite string literal built with char(), so control
// characters need no escaping in SQL.
func sqlText(s string) string {
	var parts []string
	for _, r := range s {
		parts = append(parts, fmt.Sprint(r))
	}
	return "char(" + strings.Join(parts, ", ") + ")"
}

// TestRejectsCSVToAFileIsExact: `tightrope rejects` into a file (or a
// pipe) writes the rejected row's values whole, control characters
// included, so the CSV is the data.
func TestRejectsCSVToAFileIsExact(t *testing.T) {
	j := hostileRejectsJournal(t)
	path := filepath.Join(t.TempDir(), "rejects.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "rejects", j)
	cmd.Stdout = f
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rejects: %v: %s", err, stderr.String())
	}
	f.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%q", err, data)
	}
	var row map[string]any
	if len(recs) != 2 || json.Unmarshal([]byte(recs[1][5]), &row) != nil {
		t.Fatalf("rejects CSV: %q", recs)
	}
	if row["code"] != hostileValue {
		t.Errorf("the rejected row holds code %q, want %q", row["code"], hostileValue)
	}
	if !strings.Contains(string(data), "\u009b2J") {
		t.Errorf("the file does not hold the C1 control raw:\n%q", data)
	}
}

// TestCobraErrorsAreEscaped: cobra's own errors quote what was typed (an
// unknown command, flag or flag value); main prints them escaped.
func TestCobraErrorsAreEscaped(t *testing.T) {
	for _, args := range [][]string{
		{hostileValue},
		{"rejects", "--" + hostileValue, "x.journal"},
		{"replay", "--speed", hostileValue, "x.journal"},
	} {
		out, code := tightrope(t, nil, args...)
		if code == 0 || !strings.Contains(out, "EVIL") {
			t.Errorf("%q: exit %d, the typed text is not quoted escaped:\n%q", args, code, out)
		}
		for _, bad := range rawControls {
			if strings.Contains(out, bad) {
				t.Errorf("%q prints %q raw:\n%q", args, bad, out)
			}
		}
	}
}
