package bluegreen

import "context"

// Freezer stops and restores the application's writes to the tables on
// one side. Freeze must hold against every application session (a
// session cannot undo it) and end the writing ones; both must be safe to
// repeat. The conductor plugs in its journaled freeze (engine/cutover:
// the record of exactly what it revokes is journaled before it revokes
// it, so a crash anywhere leaves a record to undo from).
type Freezer interface {
	Freeze(ctx context.Context, s Side, tables []string) error
	Unfreeze(ctx context.Context, s Side, tables []string) error
}
