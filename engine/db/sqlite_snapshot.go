package db

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	sqlite "modernc.org/sqlite"
)

// sqliteRestorer is the part of modernc's driver connection that runs
// SQLite's online backup API with the connection as the destination.
type sqliteRestorer interface {
	NewRestore(srcURI string) (*sqlite.Backup, error)
}

// sqliteRestorePages is how many pages one backup step copies between
// checks of the context.
const sqliteRestorePages = 1024

// Snapshot writes a consistent copy of the database to artefact with
// VACUUM INTO (one read transaction, so concurrent writers are seen either
// entirely or not at all; the copy is compacted). The artefact must not
// exist; a failed snapshot leaves no file behind. The file and its directory
// are synced before Snapshot returns.
func (d *sqliteDB) Snapshot(ctx context.Context, artefact string) (err error) {
	abs, err := filepath.Abs(artefact)
	if err != nil {
		return fmt.Errorf("sqlite: snapshot: %w", err)
	}
	if _, err := os.Lstat(abs); err == nil {
		return fmt.Errorf("sqlite: snapshot: %s already exists", artefact)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: snapshot: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(abs)
		}
	}()
	// A plain absolute path, bound as a parameter: no quoting, and not a
	// URI (it does not start with "file:").
	if _, err = d.db.ExecContext(ctx, "VACUUM INTO ?", abs); err != nil {
		return fmt.Errorf("sqlite: snapshot to %s: %w", artefact, err)
	}
	if err = sqliteSyncPath(abs); err != nil {
		return fmt.Errorf("sqlite: snapshot to %s: %w", artefact, err)
	}
	if err = sqliteSyncPath(filepath.Dir(abs)); err != nil {
		return fmt.Errorf("sqlite: snapshot to %s: %w", artefact, err)
	}
	return nil
}

// Restore replaces the live database's content with the artefact's, through
// SQLite's online backup API with one of the pool's connections as the
// destination (sqlite3_backup_init on the open handle, via (*sql.Conn).Raw).
// The destination is locked exclusively for the whole copy and written in
// one transaction: other connections of the pool, and other processes, see
// the old content or the new one, never a mix, and re-read the schema
// afterwards (the backup bumps the schema cookie). If the context ends or a
// step fails, the backup is finished early and the destination rolls back
// to its old content. Afterwards the database is page for page the
// artefact: tables, indexes, triggers, views, and ProgressTable as it was
// at snapshot time (or absent). The artefact is opened read-only and must
// exist. The live file keeps its journal mode; a WAL database only accepts
// an artefact of the same page size (VACUUM INTO preserves it).
func (d *sqliteDB) Restore(ctx context.Context, artefact string) error {
	abs, err := filepath.Abs(artefact)
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	src, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: restore: no such snapshot file: %s", artefact)
	}
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	if live, err := os.Stat(d.path); err == nil && os.SameFile(src, live) {
		return fmt.Errorf("sqlite: restore: %s is the live database itself", artefact)
	}
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: restore from %s: %w", artefact, err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		r, ok := dc.(sqliteRestorer)
		if !ok {
			return fmt.Errorf("driver connection %T has no backup API", dc)
		}
		b, err := r.NewRestore(sqliteURI(abs, "mode=ro"))
		if err != nil {
			return err
		}
		for {
			if err := ctx.Err(); err != nil {
				b.Finish() // rolls the destination back
				return err
			}
			more, err := b.Step(sqliteRestorePages)
			if err != nil {
				b.Finish()
				return err
			}
			if !more {
				return b.Finish()
			}
		}
	})
	if err != nil {
		return fmt.Errorf("sqlite: restore from %s: %w", artefact, err)
	}
	return nil
}

// sqliteSyncPath fsyncs a file or a directory. Directories that cannot be synced
// (some platforms refuse) are not an error.
func sqliteSyncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		if fi, serr := f.Stat(); serr == nil && fi.IsDir() {
			return nil
		}
		return err
	}
	return nil
}
