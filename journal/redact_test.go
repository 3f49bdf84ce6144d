package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestRedactText(t *testing.T) {
	t.Parallel()
	secrets := []string{"s3cr3t-token", "abc"} // "abc" is too short to redact
	for _, c := range []struct{ in, want string }{
		{"plain text, nothing to hide", "plain text, nothing to hide"},
		{"token s3cr3t-token used", "token [redacted] used"},
		{"abc stays", "abc stays"},
		{"postgres://app:pa55word@db.internal:5432/shop?sslmode=require",
			"postgres://app:[redacted]@db.internal:5432/shop?sslmode=require"},
		{"mysql://root:hunter2@10.0.0.5:3306/shop", "mysql://root:[redacted]@10.0.0.5:3306/shop"},
		{"dial postgresql://u:p@ss:w@rd@host/db failed", "dial postgresql://u:[redacted]@host/db failed"},
		{"postgres://app@db/shop (no password)", "postgres://app@db/shop (no password)"},
		{"root:hunter2@tcp(10.0.0.5:3306)/shop?parseTime=true", "root:[redacted]@tcp(10.0.0.5:3306)/shop?parseTime=true"},
		{`dsn="app:x@y@unix(/run/mysqld.sock)/shop"`, `dsn="app:[redacted]@unix(/run/mysqld.sock)/shop"`},
		{"open app:secret@/shop: refused", "open app:[redacted]@/shop: refused"},
		{"host=db user=app password=hunter2 dbname=shop", "host=db user=app password=[redacted] dbname=shop"},
		{"host=db password='two words' dbname=shop", "host=db password=[redacted] dbname=shop"},
		{`Server=db;Pwd="x;y";Database=shop`, `Server=db;Pwd=[redacted];Database=shop`},
		{"PGPASSWORD=hunter2 psql -h db", "PGPASSWORD=[redacted] psql -h db"},
		{"https://h/x?user=a&password=hunter2&ssl=1", "https://h/x?user=a&password=[redacted]&ssl=1"},
		{"CREATE USER app WITH PASSWORD 'it''s me'", "CREATE USER app WITH PASSWORD '[redacted]'"},
		{"ALTER USER app IDENTIFIED BY 'hunter2'", "ALTER USER app IDENTIFIED BY '[redacted]'"},
		{"password authentication failed for user app", "password authentication failed for user app"},
		{"at 12:30 the copy resumed", "at 12:30 the copy resumed"},
		{"Access denied for user 'root'@'localhost' (using password: YES)", "Access denied for user 'root'@'localhost' (using password: YES)"},
		{"ssh://git@github.com:22/org/repo", "ssh://git@github.com:22/org/repo"},
		{"orders: 5000 rows @ 1200/s, eta 4s", "orders: 5000 rows @ 1200/s, eta 4s"},
		{`{"dsn":"postgres://u:pw@h/db"}`, `{"dsn":"postgres://u:[redacted]@h/db"}`},
	} {
		if got := RedactText(c.in, secrets); got != c.want {
			t.Errorf("RedactText(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestAddSecretCoversEscapedFormsAndDSNPassword(t *testing.T) {
	t.Parallel()
	var r redactor
	r.add("postgres://app:Tr1cky%2Fpw@db/shop")
	r.add("root:My$ql-pw@tcp(db:3306)/shop")
	r.add("with space&amp")
	for in, leak := range map[string]string{
		"error near Tr1cky%2Fpw":          "Tr1cky%2Fpw",
		"login as root with My$ql-pw":     "My$ql-pw",
		"q=with+space%26amp":              "with+space%26amp",
		"full postgres://app:Tr1cky%2Fpw": "Tr1cky",
	} {
		if got := r.text(in); strings.Contains(got, leak) {
			t.Errorf("text(%q) = %q still holds %q", in, got, leak)
		}
	}
}

func TestRedactedPayloadStaysValidJSON(t *testing.T) {
	t.Parallel()
	var r redactor
	r.add(`pa"ss\word`) // a secret that JSON must escape
	body, err := r.payload(map[string]any{
		"line":              `login pa"ss\word to <db> & more`,
		`key pa"ss\word`:    []any{"postgres://u:pa\"ss\\word@h/db", 12345678901234567890.5},
		"n":                 json.Number("123456789012345678901234567890"),
		"nested":            map[string]any{"dsn": "password='pa\"ss\\word'"},
		"untouched_numbers": 1.5,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(body) {
		t.Fatalf("redacted payload is not JSON: %s", body)
	}
	for _, leak := range []string{`pa"ss\word`, `pa\"ss\\word`} {
		if bytes.Contains(body, []byte(leak)) {
			t.Errorf("payload still holds %q: %s", leak, body)
		}
	}
	if !bytes.Contains(body, []byte(`123456789012345678901234567890`)) || !bytes.Contains(body, []byte(`<db> & more`)) {
		t.Errorf("payload lost exact numbers or was HTML-escaped: %s", body)
	}
	if nilBody, _ := r.payload(nil); string(nilBody) != "{}" {
		t.Errorf("nil payload = %s, want {}", nilBody)
	}
}

// TestSecretsNeverReachDisk reads the journal file and its WAL as raw bytes.
func TestSecretsNeverReachDisk(t *testing.T) {
	t.Parallel()
	const (
		envDSN  = "postgres://shop:env-Pa55word@db.internal:5432/shop"
		added   = `later"s3cr3t\value`
		pgPass  = "pg-hunter2-pw"
		myPass  = "my-hunter2-pw"
		kwPass  = "kw pass phrase"
		sqlPass = "sql-pass-999"
	)
	leaks := []string{"env-Pa55word", added, `later\"s3cr3t\\value`, pgPass, myPass, kwPass, sqlPass}
	s, path := newJournal(t, WithSecrets(envDSN))
	s.AddSecret(added)
	ctx := context.Background()
	lines := []string{
		"connecting to " + envDSN,
		"token " + added,
		"postgres://migrator:" + pgPass + "@pg.internal:5432/shop",
		"source: root:" + myPass + "@tcp(mysql.internal:3306)/shop",
		"host=pg user=app password='" + kwPass + "' dbname=shop",
		"ALTER ROLE app PASSWORD '" + sqlPass + "'",
	}
	for _, l := range lines {
		if _, err := s.Append(ctx, "alice", "prep", Log, LogPayload{Stream: "stderr", Line: l}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Append(ctx, "alice", "prep", TriggerFired, TriggerPayload{
		Trigger: "step_failed", Message: "failed: " + lines[2], Evidence: map[string]any{"dsn": lines[3], added: 1},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRejects(ctx, "copy", []RejectRow{{
		Table: "settings", Key: map[string]any{"name": "dsn"},
		// Row data loses exact secrets only: a value merely shaped like a
		// DSN is data (see TestRunbookAndRejectDataKeptVerbatim).
		Row:    map[string]any{"name": "dsn", "value": lines[0], "other": []byte(envDSN), "tok": added},
		Column: "value", Reason: "too_long", Detail: "value " + lines[3] + " is too long",
	}}); err != nil {
		t.Fatal(err)
	}

	wal, err := os.ReadFile(path + "-wal")
	if err != nil || len(wal) == 0 {
		t.Fatalf("no WAL to inspect while the writer is open: %v", err)
	}
	main, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(wal, []byte("pg.internal")) {
		t.Fatal("the WAL does not hold the events: the test would prove nothing")
	}
	for name, b := range map[string][]byte{"journal": main, "wal": wal} {
		for _, leak := range leaks {
			if bytes.Contains(b, []byte(leak)) {
				t.Errorf("%s file holds secret %q", name, leak)
			}
		}
	}

	_ = s.Close() // checkpoints the WAL into the main file
	main, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range leaks {
		if bytes.Contains(main, []byte(leak)) {
			t.Errorf("journal file holds secret %q after checkpoint", leak)
		}
	}
	if !bytes.Contains(main, []byte("[redacted]")) || !bytes.Contains(main, []byte("mysql.internal")) {
		t.Error("the journal lost the redacted text around the secrets")
	}
}
