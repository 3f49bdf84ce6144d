package snapshot

// The catalog: a directory of snapshots, each a manifest
// <name>.manifest.json beside its artefact (a file there, or a database on
// the server). List reads it, VerifyArtefact re-proves one artefact, Prune
// removes old ones.

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

// Entry is one snapshot of a catalog directory.
type Entry struct {
	journal.SnapshotPayload
	Manifest string // path of the manifest file
	Name     string // the manifest's file name without ManifestSuffix
	Err      error  // the manifest could not be read; the payload is empty
}

// writeManifest writes m as indented JSON, atomically (temporary file,
// sync, rename).
func writeManifest(path string, m journal.SnapshotPayload) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// List reads every manifest in dir, oldest capture first. A manifest that
// cannot be read is listed with Err set. A file artefact recorded at a
// path that no longer exists but sits beside its manifest (the directory
// was moved or copied) is found there. A missing dir lists nothing.
func List(dir string) ([]Entry, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*"+ManifestSuffix))
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, f := range files {
		e := Entry{Manifest: f, Name: strings.TrimSuffix(filepath.Base(f), ManifestSuffix)}
		b, err := os.ReadFile(f)
		if err == nil {
			err = json.Unmarshal(b, &e.SnapshotPayload)
		}
		if err == nil && e.Label == "" {
			err = errors.New("not a snapshot manifest (no label)")
		}
		if err != nil {
			e.Err = fmt.Errorf("manifest %s: %w", f, err)
		} else if !e.InServer && e.Artefact != "" {
			if _, serr := os.Stat(e.Artefact); serr != nil {
				beside := filepath.Join(filepath.Dir(f), filepath.Base(e.Artefact))
				if _, err := os.Stat(beside); err == nil {
					e.Artefact = beside
				}
			}
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b Entry) int {
		return cmp.Or(a.CapturedAt.Compare(b.CapturedAt), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}

// ErrNeedsConnection is returned for an in-server snapshot when no
// database connection was given.
var ErrNeedsConnection = errors.New("an in-server snapshot needs a connection to its server")

// VerifyArtefact re-proves an artefact against its manifest: a file by its
// size and sha256, an in-server snapshot by re-reading its tables' counts
// and checksums through live, its server's database (nil for files). A
// mismatch, or an artefact that is gone, is ErrDamaged.
func VerifyArtefact(ctx context.Context, m journal.SnapshotPayload, live db.DB) error {
	if !m.InServer {
		return checkFile(m)
	}
	if m.SHA256 != tablesDigest(m.Tables) {
		return fmt.Errorf("%w: the manifest of %s does not match its own sha256", ErrDamaged, m.Label)
	}
	if live == nil {
		return ErrNeedsConnection
	}
	sn, method, err := snapshotter(live, m.Method)
	if err != nil {
		return err
	}
	view, err := sn.SnapshotView(ctx, method.Name, m.Artefact)
	if errors.Is(err, db.ErrSnapshotMissing) {
		return fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	if err != nil {
		return err
	}
	defer view.Close()
	got, err := checksums(ctx, view, names(m), m.Tables)
	if errors.Is(err, db.ErrNoTable) {
		return fmt.Errorf("%w: %s: %w", ErrDamaged, m.Artefact, err)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", m.Artefact, err)
	}
	return checkTables("the in-server snapshot "+m.Artefact, m, got)
}

// Connect opens the live database a manifest's in-server snapshot lives
// beside (its connection), for VerifyArtefact and Prune.
type Connect func(ctx context.Context, m journal.SnapshotPayload) (db.DB, error)

// PruneReport says what Prune did, or would do with dryRun.
type PruneReport struct {
	Kept    []Entry
	Deleted []Entry // with dryRun: would be deleted
	Skipped []Skip  // due for deletion but kept
}

// Skip is a snapshot Prune could not delete, and why.
type Skip struct {
	Entry
	Reason error
}

// MinKeep is the fewest snapshots Prune keeps of every migration id and
// connection: the pre-migration snapshot and the one before it.
const MinKeep = 2

// Prune keeps the newest keep snapshots of every migration id and
// connection in dir and deletes the older ones: the file artefact and the
// manifest, or the in-server snapshot database (through connect; nil, or a
// failure to connect, keeps it and reports it in Skipped) and the
// manifest. keep below MinKeep is refused. Unreadable manifests are never
// touched.
func Prune(ctx context.Context, dir string, keep int, dryRun bool, connect Connect) (PruneReport, error) {
	var rep PruneReport
	if keep < MinKeep {
		return rep, fmt.Errorf("--keep %d: at least %d snapshots of every migration and connection are always kept", keep, MinKeep)
	}
	entries, err := List(dir)
	if err != nil {
		return rep, err
	}
	groups := map[string][]Entry{}
	var order []string
	for _, e := range entries {
		if e.Err != nil {
			rep.Skipped = append(rep.Skipped, Skip{Entry: e, Reason: e.Err})
			continue
		}
		k := groupKey(e.SnapshotPayload)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], e)
	}
	for _, k := range order {
		g := groups[k] // oldest first
		cut := max(len(g)-keep, 0)
		rep.Kept = append(rep.Kept, g[cut:]...)
		for _, e := range g[:cut] {
			if dryRun {
				rep.Deleted = append(rep.Deleted, e)
				continue
			}
			if err := remove(ctx, e, connect); err != nil {
				rep.Skipped = append(rep.Skipped, Skip{Entry: e, Reason: err})
				continue
			}
			rep.Deleted = append(rep.Deleted, e)
		}
	}
	return rep, nil
}

// groupKey is migration id + connection; manifests written before the
// catalog carried no migration id, whose label starts with it.
func groupKey(m journal.SnapshotPayload) string {
	mig := m.MigrationID
	if mig == "" {
		mig, _, _ = strings.Cut(m.Label, " ")
	}
	return mig + "\x00" + m.Connection
}

// remove deletes one snapshot: the artefact first, then the manifest, so
// a failure never leaves an artefact without its manifest.
func remove(ctx context.Context, e Entry, connect Connect) error {
	if e.InServer {
		if connect == nil {
			return ErrNeedsConnection
		}
		live, err := connect(ctx, e.SnapshotPayload)
		if err != nil {
			return err
		}
		sn, method, err := snapshotter(live, e.Method)
		if err == nil {
			err = sn.DropSnapshot(ctx, method.Name, e.Artefact)
		}
		if err != nil {
			return err
		}
	} else {
		if filepath.Dir(filepath.Clean(e.Artefact)) != filepath.Dir(filepath.Clean(e.Manifest)) {
			abs, _ := filepath.Abs(e.Manifest)
			if filepath.Dir(filepath.Clean(e.Artefact)) != filepath.Dir(abs) {
				return fmt.Errorf("artefact %s is not beside its manifest: left alone", e.Artefact)
			}
		}
		if err := os.Remove(e.Artefact); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return os.Remove(e.Manifest)
}
