package bluegreen

import (
	"context"
	"strings"
	"testing"
)

// TestOpenRefusesAMixedPair: native replication needs one engine; a
// postgres blue and a mysql green are refused before anything connects,
// with the path a mixed pair takes instead, and an engine without an
// implementation is named.
func TestOpenRefusesAMixedPair(t *testing.T) {
	cfg := Config{Name: "mixed", Tables: []string{"t"},
		Blue:  Side{Driver: "postgres", DSN: "postgres://u@127.0.0.1:1/db"},
		Green: Side{Driver: "mysql", DSN: "u@tcp(127.0.0.1:1)/db"}}
	if _, err := Open(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "cdc-start") {
		t.Fatalf("a mixed pair: %v", err)
	}
	cfg.Blue.Driver, cfg.Green.Driver = "sqlite", "sqlite"
	if _, err := Open(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "known: mysql, postgres") {
		t.Fatalf("sqlite: %v", err)
	}
}
