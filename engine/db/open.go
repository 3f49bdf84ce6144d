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
// snapshots. Package snapshot drives it: it labels the snapshot, computes
// the manifest's checksums through the views the adapter hands it, writes
// the manifest and verifies restores. An unknown method is an error naming
// the adapter's methods.
type Snapshotter interface {
	// SnapshotMethods lists the adapter's native methods, the default first.
	SnapshotMethods() []SnapshotMethod
	// PreflightSnapshot checks, before anything is written, that method can
	// run here: its external tools exist and suit the server, and the user
	// may create what the method creates. It returns the tool that will run.
	PreflightSnapshot(ctx context.Context, method string) (Tool, error)
	// TakeSnapshot captures the database with method: a file dir/name+ext,
	// or an in-server snapshot database derived from name. sums is called
	// once, with a read-only view showing exactly the data the artefact
	// holds (same instant); its error fails the snapshot. A failed snapshot
	// leaves no artefact behind.
	TakeSnapshot(ctx context.Context, method, dir, name string, sums func(view DB) error) (SnapshotInfo, error)
	// RestoreSnapshot replaces the live tables with the artefact's. Methods
	// that stage the data before swapping it in call staged with a view of
	// the staged tables first; its error aborts the restore before the live
	// data is touched. Staged tables must then become the live ones
	// unchanged (an atomic rename): package snapshot takes the checksums it
	// read from them as the restored data's and only counts the live rows.
	RestoreSnapshot(ctx context.Context, method, artefact string, staged func(view DB) error) error
	// SnapshotView opens a read-only view of an in-server artefact, showing
	// its tables under the live names. Close it after use.
	SnapshotView(ctx context.Context, method, artefact string) (DB, error)
	// DropSnapshot deletes an in-server artefact; file artefacts are plain
	// files that package snapshot removes itself (nil here).
	DropSnapshot(ctx context.Context, method, artefact string) error
}

// SnapshotMethod is one native snapshot method of an adapter, as a runbook
// step's method: names it.
type SnapshotMethod struct {
	Name     string
	InServer bool   // the artefact is a database on the server, not a file
	Ext      string // file artefacts: the file name's extension
}

// Tool is the program that takes a snapshot: an external binary
// (pg_dump, mysqldump) or the server itself.
type Tool struct {
	Name    string // e.g. "pg_dump"
	Path    string // absolute path of the binary; empty for the server
	Version string // as the tool reports it, e.g. "15.4"
}

// SnapshotInfo is what TakeSnapshot reports about the artefact.
type SnapshotInfo struct {
	Artefact string // file path, or in-server database name
	InServer bool
	Size     int64  // in-server artefacts: bytes on the server; files: 0 (stat the file)
	Scope    string // what the artefact covers, e.g. `schema "public"`
	Tool     Tool
}

// Snapshot method names, as runbooks spell them.
const (
	MethodVacuumInto = "vacuum-into" // SQLite: VACUUM INTO a file (default)
	MethodBackup     = "backup"      // SQLite: online backup API into a file
	MethodPgDump     = "pg_dump"     // PostgreSQL: pg_dump -Fc, pg_restore (default)
	MethodSchema     = "schema"      // MySQL: in-server snapshot database (default)
	MethodMysqldump  = "mysqldump"   // MySQL: mysqldump --single-transaction, mysql
)

// FindSnapshotMethod returns the named method of sn (the default when name
// is empty), or an error naming the methods the engine has.
func FindSnapshotMethod(driver string, sn Snapshotter, name string) (SnapshotMethod, error) {
	methods := sn.SnapshotMethods()
	if name == "" {
		return methods[0], nil
	}
	var names []string
	for _, m := range methods {
		if m.Name == name {
			return m, nil
		}
		names = append(names, m.Name)
	}
	return SnapshotMethod{}, fmt.Errorf("%s has no snapshot method %q (allowed: %s)", driver, name, strings.Join(names, ", "))
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
	if m, ok := d.(*myDB); ok { // mysqldump and mysql need the credentials again
		return withMySQLTools(m, dsn), nil
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
