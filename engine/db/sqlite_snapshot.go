package db

import (
	"context"
	"database/sql"
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

// SnapshotMethods: vacuum-into (default) and backup, both into a file.
func (d *sqliteDB) SnapshotMethods() []SnapshotMethod {
	return []SnapshotMethod{{Name: MethodVacuumInto, Ext: ".sqlite"}, {Name: MethodBackup, Ext: ".sqlite"}}
}

// PreflightSnapshot: SQLite needs no external tool; the tool is the
// library itself.
func (d *sqliteDB) PreflightSnapshot(ctx context.Context, method string) (Tool, error) {
	if _, err := FindSnapshotMethod(SQLite, d, method); err != nil {
		return Tool{}, err
	}
	t := Tool{Name: "sqlite"}
	if err := d.db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&t.Version); err != nil {
		return Tool{}, fmt.Errorf("sqlite: %w", err)
	}
	return t, nil
}

// TakeSnapshot writes dir/name.sqlite with VACUUM INTO (vacuum-into) or
// the online backup API in one step (backup; the copy is then switched to
// rollback-journal mode so it is one self-contained file), then opens the
// file and hands it to sums: the manifest is read from the artefact itself.
func (d *sqliteDB) TakeSnapshot(ctx context.Context, method, dir, name string, sums func(view DB) error) (info SnapshotInfo, err error) {
	m, err := FindSnapshotMethod(SQLite, d, method)
	if err != nil {
		return SnapshotInfo{}, err
	}
	tool, err := d.PreflightSnapshot(ctx, method)
	if err != nil {
		return SnapshotInfo{}, err
	}
	file := filepath.Join(dir, name+m.Ext)
	if m.Name == MethodBackup {
		err = d.backupTo(ctx, file)
	} else {
		err = d.Snapshot(ctx, file)
	}
	if err != nil {
		return SnapshotInfo{}, err
	}
	defer func() {
		if err != nil {
			os.Remove(file)
		}
	}()
	view, err := openSQLite(ctx, file)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("sqlite: opening the snapshot to verify it: %w", err)
	}
	err = sums(view)
	if cerr := view.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return SnapshotInfo{}, err
	}
	return SnapshotInfo{Artefact: file, Scope: "database", Tool: tool}, nil
}

// backupTo copies the live database into a new file with the online
// backup API, all pages in one step (one read transaction: consistent).
func (d *sqliteDB) backupTo(ctx context.Context, file string) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := os.Lstat(abs); err == nil {
		return fmt.Errorf("sqlite: backup: %s already exists", file)
	}
	tmp := abs + ".partial"
	defer os.Remove(tmp)
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		bk, ok := dc.(interface {
			NewBackup(dstURI string) (*sqlite.Backup, error)
		})
		if !ok {
			return fmt.Errorf("driver connection %T has no backup API", dc)
		}
		b, err := bk.NewBackup(sqliteURI(tmp, ""))
		if err != nil {
			return err
		}
		if _, err := b.Step(-1); err != nil {
			b.Finish()
			return err
		}
		return b.Finish()
	})
	if err == nil {
		err = sqliteJournalDelete(ctx, tmp)
	}
	if err == nil {
		err = finishFile(tmp, abs)
	}
	if err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", file, err)
	}
	return nil
}

// sqliteJournalDelete switches a file to rollback-journal mode, so it
// holds everything itself (no -wal beside it).
func sqliteJournalDelete(ctx context.Context, path string) error {
	pool, err := sql.Open("sqlite", sqliteURI(path, "mode=rw"))
	if err != nil {
		return err
	}
	defer pool.Close()
	_, err = pool.ExecContext(ctx, "PRAGMA journal_mode = DELETE")
	return err
}

// RestoreSnapshot restores either method's file with Restore.
func (d *sqliteDB) RestoreSnapshot(ctx context.Context, method, artefact string, _ func(view DB) error) error {
	if _, err := FindSnapshotMethod(SQLite, d, method); err != nil {
		return err
	}
	return d.Restore(ctx, artefact)
}

// SnapshotView: SQLite snapshots are files.
func (d *sqliteDB) SnapshotView(context.Context, string, string) (DB, error) {
	return nil, errors.New("sqlite: snapshots are files; there is no in-server view")
}

// DropSnapshot: nothing lives in a server.
func (d *sqliteDB) DropSnapshot(context.Context, string, string) error { return nil }
