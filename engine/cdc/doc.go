// Package cdc is tightrope's change data capture: it reads a source's
// change log (PostgreSQL logical replication with pgoutput, the MariaDB
// binlog with GTIDs), spools every
// committed source transaction into the journal with its source position
// before the source is told it was received, and applies the spooled
// transactions to a target, each in one target transaction together with
// the applied position, idempotently by key (PGApplier, MyApplier).
//
// The positions are checkable: a stream records the source's identity when
// it is opened (cdc_stream_started), and every (re)start compares it, and
// the slot's state, with what the journal holds. A mismatch is a
// *PositionLostError naming the evidence, never a silent skip.
package cdc

import (
	"fmt"
	"regexp"
)

// validName is what a stream (slot) or publication name may be: PostgreSQL
// slot names allow only lower-case letters, digits and underscores.
var validName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

func checkName(what, name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("cdc: %s name %q: use 1-63 lower-case letters, digits and underscores", what, name)
	}
	return nil
}
