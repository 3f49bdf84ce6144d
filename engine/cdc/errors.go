package cdc

import (
	"fmt"
	"strings"
)

// PositionLostError says a stream cannot resume exactly where the journal
// says it stopped: the source is another system, the slot is gone or lost
// WAL, or the server confirmed changes the journal never spooled. Evidence
// holds one sentence per finding.
type PositionLostError struct {
	Stream   string
	Evidence []string
}

// Error is "cdc stream s: position lost: slot s does not exist; ...".
func (e *PositionLostError) Error() string {
	return fmt.Sprintf("cdc stream %s: position lost: %s", e.Stream, strings.Join(e.Evidence, "; "))
}

// SchemaChangedError is a source table whose shape changed mid-stream:
// apply must pause rather than apply rows of a shape it does not know.
type SchemaChangedError struct {
	Table  string
	Before string // columns as known: id int4 key, name text
	After  string
}

// Error names the table and both shapes.
func (e *SchemaChangedError) Error() string {
	return fmt.Sprintf("cdc: table %s changed shape mid-stream: was (%s), now (%s)", e.Table, e.Before, e.After)
}
