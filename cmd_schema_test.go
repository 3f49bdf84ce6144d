package main

import (
	"os"
	"testing"
)

// TestSchemaCommandPrintsTheExamplesSchema: `tightrope schema` prints
// exactly the schema the examples point at (runbooks/schema_test.go
// validates every example against it).
func TestSchemaCommandPrintsTheExamplesSchema(t *testing.T) {
	out, code := tightrope(t, nil, "schema")
	want, err := os.ReadFile("runbooks/examples/runbook.schema.json")
	if err != nil || code != 0 || out != string(want) {
		t.Errorf("tightrope schema (exit %d) differs from runbooks/examples/runbook.schema.json (%v); regenerate it with go run . schema > runbooks/examples/runbook.schema.json", code, err)
	}
}
