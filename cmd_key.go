package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/journal"
)

// Where the journal key comes from, besides --key-file.
const (
	envJournalKey     = "TIGHTROPE_JOURNAL_KEY"      // the key itself
	envJournalKeyFile = "TIGHTROPE_JOURNAL_KEY_FILE" // a file holding it
)

// keyFileFlag registers --key-file on cmd.
func keyFileFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "key-file", "", "file holding the journal key (HMAC chain); default $"+envJournalKeyFile+", then $"+envJournalKey)
}

// journalKey returns the journal key: the file named by --key-file, else by
// $TIGHTROPE_JOURNAL_KEY_FILE, else $TIGHTROPE_JOURNAL_KEY; nil when none is
// set (an unkeyed journal). One trailing newline of a key file is dropped.
// Setting both variables is refused as ambiguous.
func journalKey(keyFile string) ([]byte, error) {
	envKey, envFile := os.Getenv(envJournalKey), os.Getenv(envJournalKeyFile)
	var key []byte
	switch {
	case keyFile != "":
	case envFile != "" && envKey != "":
		return nil, usageError{fmt.Errorf("both $%s and $%s are set: set one", envJournalKey, envJournalKeyFile)}
	case envFile != "":
		keyFile = envFile
	case envKey != "":
		key = []byte(envKey)
	default:
		return nil, nil
	}
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, usageError{fmt.Errorf("journal key: %w", err)}
		}
		key = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
	}
	if err := journal.CheckKey(key); err != nil {
		return nil, usageError{err}
	}
	return key, nil
}

// hideKey removes the key variable from the environment of this process,
// so shell steps and notify commands do not inherit it.
func hideKey() { _ = os.Unsetenv(envJournalKey) }
