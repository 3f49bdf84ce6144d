package runbooks

import (
	"strings"
	"testing"
	"time"
)

const stallHeader = `version: 1
name: Stall
migration_id: MIG-STALL
decision_maker: alice
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
steps:
  - { id: copy, kind: copy, tables: all }
`

// TestStallTimeout: objectives.stall_timeout is read, defaults to 30s, and
// a value out of range is an error at its line.
func TestStallTimeout(t *testing.T) {
	rb, err := Parse("rb.yaml", []byte(stallHeader))
	if err != nil {
		t.Fatal(err)
	}
	if got := rb.Objectives.Stall(); got != 30*time.Second {
		t.Errorf("default stall timeout %s, want 30s", got)
	}
	rb, err = Parse("rb.yaml", []byte(stallHeader+"objectives: { stall_timeout: 5s }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := rb.Objectives.Stall(); got != 5*time.Second {
		t.Errorf("stall timeout %s, want 5s", got)
	}
	for _, bad := range []string{"0s", "10ms", "2h", "soon"} {
		_, err := Parse("rb.yaml", []byte(stallHeader+"objectives: { stall_timeout: "+bad+" }\n"))
		if err == nil || !strings.Contains(err.Error(), "stall_timeout") {
			t.Errorf("stall_timeout: %s: err %v", bad, err)
		}
	}
}
