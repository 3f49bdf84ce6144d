package drill

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tightrope/tightrope/runbooks"

	_ "modernc.org/sqlite" // the SQLite driver
)

// cloneSQLite copies the live file with VACUUM INTO (a consistent copy,
// whatever the live file's journal mode) into the drill directory, as
// <name>_drill_<id>.db; the live file is only read.
func (p *Prepared) cloneSQLite(ctx context.Context, live runbooks.Connection, base string, o Options) (runbooks.Connection, error) {
	if live.Path == "" {
		return runbooks.Connection{}, fmt.Errorf("a sqlite connection named by dsn_env cannot be cloned; give it a drill: path")
	}
	src := absPath(base, live.Path)
	if _, err := os.Stat(src); err != nil {
		return runbooks.Connection{}, err
	}
	name := strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))
	dst := absPath(o.Dir, fmt.Sprintf("%s_drill_%s.db", name, o.ID))
	if err := vacuumInto(ctx, src, dst); err != nil {
		return runbooks.Connection{}, err
	}
	p.clones = append(p.clones, clone{what: dst, drop: func(context.Context) error {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			if err := os.Remove(dst + suffix); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
		return nil
	}})
	p.Notes = append(p.Notes, fmt.Sprintf("cloned %s to %s", src, dst))
	return runbooks.Connection{Name: live.Name, Driver: live.Driver, Path: dst}, nil
}

func vacuumInto(ctx context.Context, src, dst string) error {
	d, err := sql.Open("sqlite", "file:"+src+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return nil
}
