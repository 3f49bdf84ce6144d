// Package cutover holds what a switch between two sides needs on the
// databases themselves: stopping writes on a side (a freeze) and giving them
// back exactly, and bringing the new side's sequences and AUTO_INCREMENT
// counters past the copied keys. The conductor journals each record before
// it acts on it (engine/freeze_step.go, engine/switch_step.go); this package
// only reads and changes the databases, idempotently, so applying a record
// twice is applying it once.
package cutover

import (
	"strings"

	"github.com/tightrope/tightrope/engine/db"
)

// quoted quotes a table name, splitting schema.table at the first dot as
// the adapters do.
func quoted(d db.DB, name string) string {
	if schema, table, ok := strings.Cut(name, "."); ok {
		return d.Quote(schema) + "." + d.Quote(table)
	}
	return d.Quote(name)
}
