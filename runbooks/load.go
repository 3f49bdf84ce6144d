package runbooks

import (
	"errors"
	"os"
)

// Load reads and parses a runbook file.
func Load(path string) (*Runbook, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, text)
}

// Parse parses and validates runbook text; path is used in messages.
// TEMPORARY STUB: replaced by the real loader.
func Parse(path string, text []byte) (*Runbook, error) {
	return nil, errors.New("runbooks: loader not written yet")
}
