package fault

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// direct opens (once) the named drill connection straight to its server,
// past its relay: a fault that cuts the relay still reaches the server.
// Without a relay it is DB(name).
func (e *Env) direct(ctx context.Context, name string) (db.DB, error) {
	r := e.Relays[name]
	if r == nil {
		return e.DB(ctx, name)
	}
	key := name + " (direct)"
	e.mu.Lock()
	d, ok := e.dbs[key]
	e.mu.Unlock()
	if ok {
		return d, nil
	}
	conn, ok := e.Runbook.Connection(name)
	if !ok {
		return nil, fmt.Errorf("no connection named %q", name)
	}
	through := os.Getenv(conn.DSNEnv)
	if through == "" {
		return nil, fmt.Errorf("connection %s: environment variable %s is empty", name, conn.DSNEnv)
	}
	dsn, err := db.WithAddress(conn.Driver, through, r.Target())
	if err != nil {
		return nil, fmt.Errorf("connection %s: %w", name, err)
	}
	env := strings.TrimSuffix(conn.DSNEnv, "_RELAY") + "_DIRECT"
	if err := os.Setenv(env, dsn); err != nil {
		return nil, err
	}
	d, err = db.Open(ctx, runbooks.Connection{Name: key, Driver: conn.Driver, DSNEnv: env}, e.BaseDir)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dbs == nil {
		e.dbs = map[string]db.DB{}
	}
	if old, ok := e.dbs[key]; ok { // opened meanwhile
		d.Close()
		return old, nil
	}
	e.dbs[key] = d
	return d, nil
}
