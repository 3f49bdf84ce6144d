package notify

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// Message is the JSON document a notifier receives: the event, with the
// migration it belongs to. Field order is the order on the wire. Seq and
// HeadHash are a witness of the journal outside the machine: the journal
// held at least Seq events, the last with this hash, so a journal later cut
// or re-chained no longer matches what the notifier received.
type Message struct {
	Seq         int64           `json:"seq"`
	HeadHash    string          `json:"head_hash"` // the event's chain hash: the journal's head when it was written
	At          string          `json:"at"`        // RFC 3339, UTC, nanoseconds
	Actor       string          `json:"actor"`
	StepID      string          `json:"step_id"`
	Type        journal.Type    `json:"type"`
	Payload     json.RawMessage `json:"payload"` // the event's payload; {} when it has none
	MigrationID string          `json:"migration_id"`
	Run         Run             `json:"run"`
}

// Run describes the run an event belongs to.
type Run struct {
	Runbook string `json:"runbook"`        // the runbook's name
	Mode    string `json:"mode,omitempty"` // live | drill
}

// encode builds the message for e with every string (and object key) of it
// passed through journal.RedactText. Redaction works on decoded strings, so
// it cannot break the JSON, and a secret cannot hide behind JSON escapes.
func encode(e journal.Event, opts Options) ([]byte, error) {
	red := func(s string) string { return journal.RedactText(s, opts.Secrets) }
	payload := json.RawMessage("{}")
	if len(bytes.TrimSpace(e.Payload)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(e.Payload))
		dec.UseNumber()
		var tree any
		if err := dec.Decode(&tree); err != nil {
			tree = string(e.Payload) // not JSON: pass it on as text, redacted
		}
		b, err := marshal(redactTree(tree, red))
		if err != nil {
			return nil, err
		}
		payload = b
	}
	return marshal(Message{
		Seq:         e.Seq,
		HeadHash:    e.Hash,
		At:          e.At.UTC().Format(time.RFC3339Nano),
		Actor:       red(e.Actor),
		StepID:      red(e.StepID),
		Type:        journal.Type(red(string(e.Type))),
		Payload:     payload,
		MigrationID: red(opts.MigrationID),
		Run:         Run{Runbook: red(opts.RunbookName), Mode: opts.Mode},
	})
}

// redactTree applies red to every string and object key of a decoded JSON
// tree.
func redactTree(v any, red func(string) string) any {
	switch x := v.(type) {
	case string:
		return red(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[red(k)] = redactTree(e, red)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactTree(e, red)
		}
		return out
	default:
		return v
	}
}

// marshal encodes v as compact JSON without HTML escapes (a notifier is
// not a browser) and without the trailing newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
