package notify

import (
	"testing"

	"github.com/tightrope/tightrope/journal"
)

func TestEncodeOddPayloads(t *testing.T) {
	opts := Options{MigrationID: "M", RunbookName: "R", Secrets: []string{"s3cr3t"}}
	for payload, want := range map[string]string{
		"":                           `{}`,
		`{"a":<b>}`:                  `"{\"a\":<b>}"`, // not JSON: passed on as text
		`not json s3cr3t`:            `"not json [redacted]"`,
		`{"n":12345678901234567890}`: `{"n":12345678901234567890}`, // numbers kept exact
	} {
		b, err := encode(journal.Event{Seq: 1, At: at, Type: journal.Note, Payload: []byte(payload), Hash: headHash(1)}, opts)
		if err != nil {
			t.Fatal(err)
		}
		prefix := `{"seq":1,"head_hash":"` + headHash(1) + `","at":"2026-03-14T22:05:00.123Z","actor":"","step_id":"","type":"note","payload":`
		if got, want := string(b), prefix+want+`,"migration_id":"M","run":{"runbook":"R"}}`; got != want {
			t.Errorf("payload %q:\n got %s\nwant %s", payload, got, want)
		}
	}
}
