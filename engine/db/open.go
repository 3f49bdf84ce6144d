package db

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tightrope/tightrope/runbooks"
)

// opener opens a database from a DSN (SQLite: a file path).
type opener func(ctx context.Context, dsn string) (DB, error)

var openers = map[string]opener{}

// register makes a driver available to Open; adapters call it from init.
func register(driver string, open opener) { openers[driver] = open }

// Snapshotter is implemented by adapters that take and restore native
// snapshots into a file artefact.
type Snapshotter interface {
	Snapshot(ctx context.Context, artefact string) error
	Restore(ctx context.Context, artefact string) error
}

// Open opens a runbook connection. A SQLite path is resolved against
// baseDir; other drivers read their DSN from the environment variable the
// connection names. The DSN itself never leaves this function in an error.
func Open(ctx context.Context, c runbooks.Connection, baseDir string) (DB, error) {
	open, ok := openers[c.Driver]
	if !ok {
		return nil, fmt.Errorf("connection %q: unknown driver %q (known: %s)", c.Name, c.Driver, strings.Join(Drivers(), ", "))
	}
	dsn := c.Path
	if c.Driver == SQLite && dsn != "" && !filepath.IsAbs(dsn) {
		dsn = filepath.Join(baseDir, dsn)
	}
	if c.DSNEnv != "" {
		dsn = os.Getenv(c.DSNEnv)
		if dsn == "" {
			return nil, fmt.Errorf("connection %q: environment variable %s is empty or not set", c.Name, c.DSNEnv)
		}
	}
	if dsn == "" {
		return nil, fmt.Errorf("connection %q: neither path nor dsn_env is set", c.Name)
	}
	d, err := open(ctx, dsn)
	if err != nil {
		if c.Driver != SQLite { // a SQLite path is no secret, and the user needs to see it
			err = scrub(err, dsn)
		}
		return nil, fmt.Errorf("connection %q (%s): %w", c.Name, c.Driver, err)
	}
	return d, nil
}

// Drivers lists the registered drivers.
func Drivers() []string {
	var out []string
	for d := range openers {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// scrub removes the DSN from an error message, in case a driver echoes it.
func scrub(err error, dsn string) error {
	if err == nil || dsn == "" || !strings.Contains(err.Error(), dsn) {
		return err
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), dsn, "[dsn redacted]"))
}
