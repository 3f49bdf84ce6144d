package demo

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tightrope/tightrope/runbooks"
)

// TestDemoRunbookPointsAtItsSchema: the demo's folder holds the schema
// its runbook's first line names, and the runbook still loads.
func TestDemoRunbookPointsAtItsSchema(t *testing.T) {
	dir := t.TempDir()
	path, err := Write(t.Context(), dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(text, []byte(runbooks.SchemaComment+"\n")) {
		t.Errorf("the demo runbook starts %q", text[:min(len(text), 80)])
	}
	schema, err := os.ReadFile(filepath.Join(dir, runbooks.SchemaFile))
	if err != nil || !bytes.Equal(schema, runbooks.SchemaJSON()) {
		t.Errorf("the schema beside the demo runbook: %v", err)
	}
	if _, err := runbooks.Load(path); err != nil {
		t.Error(err)
	}
}
