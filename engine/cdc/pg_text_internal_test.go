package cdc

import (
	"strings"
	"testing"
)

// TestPGTextRefusesNonUTF8: a value pgoutput sends that is not UTF-8 (a
// SQL_ASCII database's byte the server did not check) stops the capture
// with the column and its bytes instead of reaching the journal, whose
// JSON would replace it with U+FFFD.
func TestPGTextRefusesNonUTF8(t *testing.T) {
	if s, err := pgText("t", "c", []byte("é€😀")); err != nil || s != "é€😀" {
		t.Fatalf("pgText(UTF-8) = %q, %v", s, err)
	}
	_, err := pgText("items", "note", []byte{'a', 0xe9})
	if err == nil || !strings.Contains(err.Error(), "items column note") || !strings.Contains(err.Error(), "x'61e9'") || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Fatalf("pgText(0x61e9) error = %v, want the refusal naming the column and the bytes", err)
	}
}
