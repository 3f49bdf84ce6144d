package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/tightrope/tightrope/journal"
)

// takeLease makes this process the only writer of the journal at path
// until the returned lease is released (run, demo and resume hold it to
// their end). Another live writer is refused at once, exit 1, naming its
// host, pid and start. With existing set, a journal that is not there is
// an error (resume), rather than a lease file beside nothing.
func takeLease(path, operator string, existing bool) (*journal.Lease, error) {
	if existing {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
	}
	l, err := journal.AcquireLease(path, journal.LeaseOptions{Operator: operator})
	if errors.Is(err, journal.ErrLeaseHeld) {
		err = fmt.Errorf("%w\nfollow it read-only with: tightrope watch %s", err, path)
	}
	if err != nil {
		return nil, &exitError{code: exitFailure, err: err}
	}
	return l, nil
}
