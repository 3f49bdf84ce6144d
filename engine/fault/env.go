package fault

import (
	"context"
	"fmt"
	"sync"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// Env is what faults act on: the drill's runbook (whose connections are
// the drill connections, never the live ones) and its base directory.
type Env struct {
	Runbook *runbooks.Runbook
	BaseDir string
	// Relays are the loopback relays drill connections go through, by
	// connection name (network and latency faults act on them).
	Relays map[string]*Relay
	// Child: the faults run in a drill's child run process, which the kill
	// fault may kill.
	Child bool

	mu      sync.Mutex
	dbs     map[string]db.DB
	running map[string]bool // steps started and not yet past their action
	watches []*rowWatch     // faults waiting for their step to commit rows (rows.go)
}

// setRunning records that a step started (true) or its action returned.
func (e *Env) setRunning(step string, on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.running == nil {
		e.running = map[string]bool{}
	}
	e.running[step] = on
}

// stillRunning says whether the step's action is still going: a fault
// that strikes a while into a step does not strike after it.
func (e *Env) stillRunning(step string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.running[step]
}

// DB opens (once) the named drill connection.
func (e *Env) DB(ctx context.Context, name string) (db.DB, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if d, ok := e.dbs[name]; ok {
		return d, nil
	}
	conn, ok := e.Runbook.Connection(name)
	if !ok {
		return nil, fmt.Errorf("no connection named %q", name)
	}
	d, err := db.Open(ctx, conn, e.BaseDir)
	if err != nil {
		return nil, err
	}
	if e.dbs == nil {
		e.dbs = map[string]db.DB{}
	}
	e.dbs[name] = d
	return d, nil
}

// Close closes the connections the faults opened.
func (e *Env) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var first error
	for name, d := range e.dbs {
		if err := d.Close(); err != nil && first == nil {
			first = err
		}
		delete(e.dbs, name)
	}
	return first
}

// placeholder is the n-th (1-based) bind parameter of the driver.
func placeholder(driver string, n int) string {
	if driver == db.Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}
